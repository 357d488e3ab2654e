extension LoadRunner {
    /// Sends `requests` on one new connection and returns the replies as text, in order.
    /// Throws when the connection fails.
    func script<Framer: TextFramer>(_ requests: [[UInt8]], framer: Framer.Type) async throws -> [String] {
        let run = try await run(connections: 1, serverPID: nil) { _ in ScriptSession<Framer>(requests: requests) }
        return run.results.first ?? []
    }

    /// `script` for Spool request objects (one line each).
    func spool(_ requests: [String]) async throws -> [String] {
        try await script(requests.map { Array(($0 + "\n").utf8) }, framer: SpoolTextFramer.self)
    }

    /// `script` for Redis commands (each an argument list).
    func redis(_ commands: [[String]]) async throws -> [String] {
        try await script(commands.map { RESP.command($0.map { Array($0.utf8) }) }, framer: RedisTextFramer.self)
    }
}
