import BenchSupport

/// The options every mode of `spool-load` shares.
extension Arguments {
    /// `--port`: required, the server's TCP port.
    func port() throws(UsageError) -> Int {
        guard let text = string("port"), let port = Int(text), (1...65_535).contains(port) else {
            throw UsageError("\(command): --port is required (the server's port, 1-65535)")
        }
        return port
    }

    /// `--server-pid`: the server's process id, whose CPU time the report shows; nil when not given.
    func serverPID() throws(UsageError) -> Int32? {
        guard let text = string("server-pid") else { return nil }
        guard let pid = Int32(text), pid > 0 else { throw UsageError("--server-pid: expected a process id, got '\(text)'") }
        return pid
    }
}
