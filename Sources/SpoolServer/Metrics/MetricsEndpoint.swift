import NIOHTTP1

/// The HTTP side of the metrics endpoint as plain values: which request gets which answer.
/// `GET /metrics` (any query string) is the scrape; another path is 404; another method on
/// `/metrics` is 405 with `Allow: GET`.
public enum MetricsEndpoint: Equatable, Sendable {
    /// `GET /metrics`: answer with a scrape.
    case scrape
    /// No such path.
    case notFound
    /// `/metrics` with a method other than GET.
    case methodNotAllowed

    /// The path that serves the metrics.
    public static let path = "/metrics"

    /// Where a request for `uri` with `method` goes.
    public init(method: HTTPMethod, uri: String) {
        let path = uri.prefix { $0 != "?" && $0 != "#" }
        if path != Self.path {
            self = .notFound
        } else {
            self = method == .GET ? .scrape : .methodNotAllowed
        }
    }

    /// One HTTP answer: status, content type and body.
    public struct Answer: Equatable, Sendable {
        public var status: HTTPResponseStatus
        public var contentType: String
        public var body: [UInt8]
        /// Extra headers, e.g. `Allow` on a 405.
        public var headers: [(String, String)] = []

        public static func == (lhs: Answer, rhs: Answer) -> Bool {
            lhs.status == rhs.status && lhs.contentType == rhs.contentType && lhs.body == rhs.body
                && lhs.headers.map(\.0) == rhs.headers.map(\.0) && lhs.headers.map(\.1) == rhs.headers.map(\.1)
        }
    }

    /// The answer to this request; `scrape` is called only for `.scrape`, and its bytes are the body.
    public func answer(scrape: () async -> [UInt8]?) async -> Answer {
        switch self {
        case .scrape:
            guard let body = await scrape() else {
                return Answer(status: .serviceUnavailable, contentType: "text/plain; charset=utf-8", body: Array("shutting down\n".utf8))
            }
            return Answer(status: .ok, contentType: MetricsExposition.contentType, body: body)
        case .notFound:
            return Answer(
                status: .notFound, contentType: "text/plain; charset=utf-8", body: Array("not found: metrics are at \(Self.path)\n".utf8))
        case .methodNotAllowed:
            return Answer(
                status: .methodNotAllowed, contentType: "text/plain; charset=utf-8", body: Array("only GET is allowed here\n".utf8),
                headers: [("Allow", "GET")])
        }
    }
}
