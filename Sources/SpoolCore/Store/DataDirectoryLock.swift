import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive `flock` on `<data>/spool.lock`, held by the one process that writes a data
/// directory (the server, or an offline tool). The kernel drops it when the process dies,
/// so a crash never leaves a stale lock behind.
final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock, or throws a `SpoolError` saying which process holds it.
    init(directory: String) throws(SpoolError) {
        let path = directory + "/spool.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SpoolError(.internal, "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            throw SpoolError(
                .alreadyExists,
                "data directory \(directory) is in use by another Spool process\(holder.map { " (pid \($0))" } ?? ""); stop it first")
        }
        ftruncate(fd, 0)
        let pid = Data("\(getpid())\n".utf8)
        FileHandle(fileDescriptor: fd, closeOnDealloc: false).write(pid)
        descriptor = fd
    }

    /// Whether a process holds the lock of `directory` right now (for read-only tools).
    static func isHeld(directory: String) -> Bool {
        let fd = open(directory + "/spool.lock", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    deinit { close(descriptor) }
}
