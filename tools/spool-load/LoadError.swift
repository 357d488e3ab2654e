/// A failure of a load run: the server's error reply, a reply not understood, or a closed
/// connection. `main` prints it and exits with status 1.
struct LoadError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
