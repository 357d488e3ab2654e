import JSON
import SpoolClient
import SpoolCore

/// A Spool server reached over TCP with `SpoolConnection`; when a token is given, the first
/// line on the connection is `{"op":"auth","token":…}`.
final class RemoteBackend: Backend {
    let connection: SpoolConnection
    let address: ServerAddress
    let token: String?

    private init(connection: SpoolConnection, address: ServerAddress, token: String?) {
        self.connection = connection
        self.address = address
        self.token = token
    }

    /// Connects and authenticates. Throws `CLIFailure` (exit 2) when nobody answers at
    /// `address`, `ServerError` when the server refuses the token. With a `timeout`, a call
    /// whose answer takes longer fails and closes the connection (nil waits for ever).
    static func connect(to address: ServerAddress, token: String?, timeout: Duration? = nil) async throws -> RemoteBackend {
        let connection: SpoolConnection
        do {
            connection = try await SpoolConnection.connect(host: address.host, port: address.port, timeout: timeout)
        } catch {
            throw CLIFailure(
                "cannot connect to a Spool server at \(address) (\(error)); start spoold, point --server or SPOOL_SERVER at it, "
                    + "or open a data directory with --data DIR")
        }
        let backend = RemoteBackend(connection: connection, address: address, token: token)
        if let token {
            do {
                _ = try await backend.call("auth", ["token": .string(token)])
            } catch {
                await connection.close()
                throw error
            }
        }
        return backend
    }

    func send(_ request: JSONObject) async throws -> JSONValue {
        do {
            return try await connection.request(.object(request))
        } catch {
            throw lost(error)
        }
    }

    func pipeline(_ requests: [JSONObject]) async throws -> [JSONValue] {
        do {
            return try await connection.pipeline(requests.map(JSONValue.object))
        } catch {
            throw lost(error)
        }
    }

    /// The failure to report when the connection fails mid-request.
    private func lost(_ error: any Error) -> CLIFailure {
        CLIFailure("the connection to \(address) failed before the answer came (\(error)); what was sent may or may not have been done")
    }

    func companion() async throws -> any Backend {
        try await RemoteBackend.connect(to: address, token: token)
    }

    var engine: Engine? { nil }

    func close() async { await connection.close() }
}
