/// A server's `host:port` (`[::1]:7070` for IPv6).
struct ServerAddress: Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    static let standard = ServerAddress(host: "127.0.0.1", port: 7070)

    /// Parses `host:port`; nil when there is no port or it is not 1…65535.
    init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
