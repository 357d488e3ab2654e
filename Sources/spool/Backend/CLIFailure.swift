/// A failure of `spool` itself, not an answer from the server: no server at the address, a
/// data directory in use, an unreadable file. Printed as `spool: message`.
struct CLIFailure: Error, CustomStringConvertible {
    let message: String
    /// 2 when the question could not be asked; 1 when the answer is negative (verify damage).
    let exitCode: Int32

    init(_ message: String, exitCode: Int32 = 2) {
        self.message = message
        self.exitCode = exitCode
    }

    var description: String { message }
}
