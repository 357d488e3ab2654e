import ArgumentParser
import Foundation

/// `--server` and `--token`: which server to ask, and as whom. Both fall back to the
/// environment (`SPOOL_SERVER`, `SPOOL_TOKEN`), then to 127.0.0.1:7070 without a token.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The server to ask, host:port (default: $SPOOL_SERVER, else 127.0.0.1:7070).")
    var server: String?

    @Option(name: .long, help: "The token to authenticate with (default: $SPOOL_TOKEN); sent first, only when given.")
    var token: String?

    /// The address from `--server`, `SPOOL_SERVER` or the default.
    var address: ServerAddress {
        get throws {
            let text = server ?? ProcessInfo.processInfo.environment["SPOOL_SERVER"] ?? ""
            if text.isEmpty { return .standard }
            guard let address = ServerAddress(parsing: text) else {
                throw ValidationError("\(server == nil ? "SPOOL_SERVER" : "--server") '\(text)' is not host:port (e.g. 127.0.0.1:7070)")
            }
            return address
        }
    }

    /// The token from `--token` or `SPOOL_TOKEN`; nil when neither is set (or empty).
    var resolvedToken: String? {
        let token = token ?? ProcessInfo.processInfo.environment["SPOOL_TOKEN"]
        return token?.isEmpty == false ? token : nil
    }

    func validate() throws {
        _ = try address
    }

    /// Refuses `--server` together with a data directory: one way in at a time. (A data
    /// directory wins over `SPOOL_SERVER`, which is only a default.)
    func validate(alongside directory: String?) throws {
        if server != nil, let directory {
            throw ValidationError("give either --server or a data directory (\(directory)), not both")
        }
    }

    /// Opens the backend: the data directory when one is given, else the server, and runs
    /// `body` with it; the backend is closed afterwards, whether `body` throws or not.
    func withBackend<T: Sendable>(
        directory: String?, access: BackendAccess, _ body: (any Backend) async throws -> T
    ) async throws -> T {
        let backend: any Backend
        if let directory {
            backend = try await LocalBackend.open(directory: directory, access: access)
        } else {
            backend = try await RemoteBackend.connect(to: try address, token: resolvedToken)
        }
        do {
            let result = try await body(backend)
            await backend.close()
            return result
        } catch {
            await backend.close()
            throw error
        }
    }
}
