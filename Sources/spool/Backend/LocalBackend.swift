import Foundation
import JSON
import SpoolCore
import SpoolProtocol
import Synchronization

/// A data directory opened in this process, answered by the server's own `Dispatcher`
/// (over an `InlineExecutor`), so every answer is the JSON a server would send.
///
/// Reads open the directory read-only, never take its lock and work beside a running server
/// (LMDB lets other processes read). Writes open it writable, which takes the directory's
/// lock: they are refused while a server (or another writer) holds it. Events appended here
/// are stamped with the actor `local:<user>`.
final class LocalBackend: Backend {
    let localEngine: Engine
    let dispatcher: Dispatcher
    let session: Session
    let directory: String
    /// Whether `close` closes the engine (false for a companion sharing it).
    let ownsEngine: Bool

    /// Opens `directory` for `access`; a writable one first catches up views that lag the
    /// log, as the server does when it starts. Throws `CLIFailure` (exit 2) when a write is
    /// asked of a directory a server holds, when there is no Spool data to read or change,
    /// or when it cannot be opened.
    static func open(directory: String, access: BackendAccess) async throws -> LocalBackend {
        let backend = try LocalBackend(directory: directory, access: access)
        guard access != .read else { return backend }
        do {
            _ = try await backend.localEngine.catchUpViews()
        } catch {
            backend.localEngine.close()
            throw CLIFailure("cannot bring the views of \(directory) up to date: \(error)")
        }
        return backend
    }

    private init(directory: String, access: BackendAccess) throws {
        var options = Engine.Options()
        if access != .create, !FileManager.default.fileExists(atPath: directory + "/data.mdb") {
            throw CLIFailure("no Spool data in \(directory) (no data.mdb there)")
        }
        switch access {
        case .read:
            options.readOnly = true
        case .write, .create:
            if Store.isInUse(directory: directory) {
                throw CLIFailure(
                    "data directory \(directory) is held by a running Spool server\(Self.holder(directory)); "
                        + "stop it first, or send this through the server with --server HOST:PORT")
            }
        }
        do {
            localEngine = try Engine(directory: directory, options: options)
        } catch let error as SpoolError {
            throw CLIFailure("cannot open \(directory): \(error.message)")
        } catch {
            throw CLIFailure("cannot open \(directory): \(error)")
        }
        self.directory = directory
        dispatcher = Dispatcher(engine: localEngine, blocking: InlineExecutor())
        let user = ProcessInfo.processInfo.environment["USER"] ?? "unknown"
        session = Session(principal: "local:\(user)")
        ownsEngine = true
    }

    /// Another way into `backend`'s engine, for watching progress; closing it closes nothing.
    private init(sharing backend: LocalBackend) {
        localEngine = backend.localEngine
        dispatcher = backend.dispatcher
        session = backend.session
        directory = backend.directory
        ownsEngine = false
    }

    func send(_ request: JSONObject) async throws -> JSONValue {
        try Self.parse(await dispatcher.handle(JSONValue.object(request).jsonBytes, session: session))
    }

    /// Starts requests in order the way the server does: `pipelined` ops (appends) overlap,
    /// each queued in the writer before the next starts; any other op waits for what came
    /// before it.
    func pipeline(_ requests: [JSONObject]) async throws -> [JSONValue] {
        let answers = Mutex([[UInt8]?](repeating: nil, count: requests.count))
        let running = InFlightRequests()
        var strings = JSONStringTable()
        for (index, request) in requests.enumerated() {
            let decoded: Request
            let operation: SpoolProtocol.Operation
            switch dispatcher.decode(JSONValue.object(request).jsonBytes, session: session, strings: &strings) {
            case .response(let response):
                answers.withLock { $0[index] = response }
                continue
            case .request(let request, let op): (decoded, operation) = (request, op)
            case .append(let id, let append, let op):
                (decoded, operation) = (Request(id: id, op: op.name, append: append, session: session), op)
            }
            if operation.scheduling == .sequential { await running.idle() }
            running.begin()
            dispatcher.start(decoded, operation) { answer in
                answers.withLock { $0[index] = answer }
                running.end()
            }
        }
        await running.idle()
        return try answers.withLock { $0 }.map { try Self.parse($0 ?? []) }
    }

    func companion() async throws -> any Backend { LocalBackend(sharing: self) }

    var engine: Engine? { localEngine }

    func close() async {
        if ownsEngine { localEngine.close() }
    }

    /// Parses one response line from the dispatcher.
    static func parse(_ line: [UInt8]) throws -> JSONValue {
        let trimmed = line.last == 0x0A ? Array(line.dropLast()) : line
        do {
            return try JSONParser.parse(trimmed, maxDepth: 1_000)
        } catch {
            throw CLIFailure("the dispatcher answered something that is not JSON (\(error))")
        }
    }

    /// ` (pid N)` from the directory's lock file, when it names one.
    private static func holder(_ directory: String) -> String {
        guard let text = try? String(contentsOfFile: directory + "/spool.lock", encoding: .utf8) else { return "" }
        let pid = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return pid.isEmpty ? "" : " (pid \(pid))"
    }
}
