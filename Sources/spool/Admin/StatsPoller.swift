import Foundation
import JSON

/// Asks `stats` again and again over one way in, opening a new one whenever the last one
/// failed: the data source of `spool top`, which must outlive a server restart.
///
/// A refresh never throws: its problem comes back as a sentence for the screen, and the
/// last good answer is kept so the screen can still show it.
struct StatsPoller {
    let connection: ConnectionOptions
    /// The data directory to open instead of a server, when given.
    let directory: String?
    /// How long one answer may take before the connection is dropped and opened again.
    let timeout: Duration
    private var backend: (any Backend)?
    /// The last good `stats` answer, and when it came.
    private(set) var last: (stats: JSONValue, at: Date)?

    init(connection: ConnectionOptions, directory: String?, timeout: Duration) {
        self.connection = connection
        self.directory = directory
        self.timeout = timeout
    }

    /// Opens the way in when needed and asks once. Returns nil when `last` was refreshed,
    /// else what went wrong; a connection that failed is dropped, so the next call opens a
    /// new one.
    mutating func refresh() async -> String? {
        do {
            let backend = try await opened()
            last = (try await backend.call("stats"), Date())
            return nil
        } catch let error as ServerError {
            return "the server answered \(error.code): \(error.message)"
        } catch let failure as CLIFailure {
            await close()
            return failure.message
        } catch {
            await close()
            return "\(error)"
        }
    }

    /// Closes the way in, if open.
    mutating func close() async {
        await backend?.close()
        backend = nil
    }

    private mutating func opened() async throws -> any Backend {
        if let backend { return backend }
        let opened: any Backend
        if let directory {
            opened = try await LocalBackend.open(directory: directory, access: .read)
        } else {
            opened = try await RemoteBackend.connect(to: try connection.address, token: connection.resolvedToken, timeout: timeout)
        }
        backend = opened
        return opened
    }
}
