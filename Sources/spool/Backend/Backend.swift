import JSON
import SpoolCore

/// Where a command's protocol requests go: a server over TCP (`RemoteBackend`) or a data
/// directory opened in this process (`LocalBackend`).
///
/// Design: every command speaks the protocol, whichever way it goes, so both ways print the
/// same JSON; a local directory is answered by the server's own `Dispatcher`. Rejected: a
/// second code path calling the engine directly for `--data` (two sets of answers to keep
/// equal).
protocol Backend: Sendable {
    /// Answers one request (an object with `op`) with its response object, `ok` true or
    /// false. Throws only when the request could not be asked (the connection is gone).
    func send(_ request: JSONObject) async throws -> JSONValue

    /// Sends every request before awaiting any and returns the answers in order. Pipelined
    /// appends reach the writer in request order, so their seqs follow that order.
    func pipeline(_ requests: [JSONObject]) async throws -> [JSONValue]

    /// A second way in to watch progress (`stats`) while a long request runs on this one:
    /// a new connection to the same server, or the same engine (whose `close` then closes
    /// nothing). The caller closes it.
    func companion() async throws -> any Backend

    /// The in-process engine of a local backend, nil for a server. Commands use it only for
    /// what the protocol cannot tell them (progress of a local verify, the views check).
    var engine: Engine? { get }

    /// Finishes: a local engine drains its writer and syncs; a connection closes.
    func close() async
}

/// What a command needs from a data directory.
enum BackendAccess: Sendable {
    /// Reads only: opened read-only, so it works beside a running server.
    case read
    /// Writes to existing data (offline rebuild, consume): refused while a server holds it.
    case write
    /// Writes that may start a new data directory (append, import): as `write`, but a
    /// missing directory is created.
    case create
}

extension Backend {
    /// Sends `op` with `fields` and returns the response when it is `ok`.
    /// Throws `ServerError` (`code: message`) when the answer is an error.
    func call(_ op: String, _ fields: JSONObject = [:]) async throws -> JSONValue {
        try ServerError.check(try await send(requestObject(op, fields)))
    }

    /// Calls a paged `op` (one that takes `after` and `limit` and answers `next`) until its
    /// last page, `pageSize` items a request, and returns one answer whose `key` array holds
    /// the items of every page, with `next` null. Throws as `call` does.
    func everyPage(_ op: String, _ fields: JSONObject, collecting key: String, pageSize: Int = 1_000) async throws -> JSONValue {
        var fields = fields
        fields["limit"] = .int(Int64(pageSize))
        var items: [JSONValue] = []
        while true {
            let page = try await call(op, fields)
            items += page[key]?.arrayValue ?? []
            guard let next = page["next"], next != .null else { break }
            fields["after"] = next
        }
        var answer: JSONObject = ["ok": true]
        answer[key] = .array(items)
        answer["next"] = .null
        return .object(answer)
    }

    /// Sends `op` with `fields` and returns the answer as it is, `ok` or not.
    func ask(_ op: String, _ fields: JSONObject = [:]) async throws -> JSONValue {
        try await send(requestObject(op, fields))
    }
}

/// The request object `{"op": op, …fields}`, `op` first so a logged line reads well.
func requestObject(_ op: String, _ fields: JSONObject) -> JSONObject {
    JSONObject([JSONMember("op", .string(op))] + fields.members.filter { $0.key != "op" })
}
