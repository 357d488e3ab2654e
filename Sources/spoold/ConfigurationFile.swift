import Foundation
import SpoolCore
import SpoolProtocol
import SpoolServer

/// `spoold --config FILE`: a JSON object with the command line's settings in snake_case,
/// each optional, e.g. `{"listen": "127.0.0.1:7070", "data": "./data", "max_line_bytes": 1048576}`.
/// Cold path, read once: Foundation's Codable is fine here. Unknown keys are refused, so a
/// typo is not silently ignored.
struct ConfigurationFile: Decodable {
    var listen: String?
    var data: String?
    var maxLineBytes: Int?
    var maxConnections: Int?
    var maxUnauthenticatedPerAddress: Int?
    var maxPipelinedRequests: Int?
    var maxPendingAppendBytes: Int?
    var maxJSONDepth: Int?
    var defaultReadLimit: Int?
    var maxReadLimit: Int?
    var readAllScanLimit: Int?
    var eventLoopThreads: Int?
    var blockingThreads: Int?
    var shutdownGraceSeconds: Double?
    var initialMapBytes: Int?
    var emails: Bool?
    var emailConfig: String?
    var tokens: [TokenLine]?
    var requestsPerSecond: Int?
    var requestBurst: Int?
    var authTimeoutMs: Int?
    var maxOutputBytes: Int?
    var maxAppendEvents: Int?
    var metrics: String?

    /// One token: `{"name": "crm", "sha256": "<64 hex digits>", "roles": ["read", "write"]}`,
    /// as `spool token new` prints it.
    struct TokenLine: Decodable {
        var name: String
        var sha256: String
        var roles: [String]
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case listen, data
        case maxLineBytes = "max_line_bytes"
        case maxConnections = "max_connections"
        case maxUnauthenticatedPerAddress = "max_unauthenticated_per_address"
        case maxPipelinedRequests = "max_pipelined_requests"
        case maxPendingAppendBytes = "max_pending_append_bytes"
        case maxJSONDepth = "max_json_depth"
        case defaultReadLimit = "default_read_limit"
        case maxReadLimit = "max_read_limit"
        case readAllScanLimit = "read_all_scan_limit"
        case eventLoopThreads = "event_loop_threads"
        case blockingThreads = "blocking_threads"
        case shutdownGraceSeconds = "shutdown_grace_seconds"
        case initialMapBytes = "initial_map_bytes"
        case emails
        case emailConfig = "email_config"
        case tokens
        case requestsPerSecond = "requests_per_second"
        case requestBurst = "request_burst"
        case authTimeoutMs = "auth_timeout_ms"
        case maxOutputBytes = "max_output_bytes"
        case maxAppendEvents = "max_append_events"
        case metrics
    }

    /// Reads `path`. Throws a `ValidationError`-style message for unreadable JSON or unknown keys.
    static func load(_ path: String) throws -> ConfigurationFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("cannot read configuration file \(path)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ConfigurationError("\(path) is not a JSON object")
        }
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError("\(path): unknown setting \"\(unknown)\" (known: \(known.sorted().joined(separator: ", ")))")
        }
        do {
            return try JSONDecoder().decode(ConfigurationFile.self, from: data)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigurationError("\(path): \(key) has the wrong type")
        }
    }

    /// Applies the settings present in the file to `configuration`.
    func apply(to configuration: inout ServerConfiguration) throws {
        if let listen { try configuration.setListen(listen) }
        if let data { configuration.dataDirectory = data }
        if let maxLineBytes { configuration.maxLineBytes = maxLineBytes }
        if let maxConnections { configuration.maxConnections = maxConnections }
        if let maxUnauthenticatedPerAddress { configuration.maxUnauthenticatedPerAddress = maxUnauthenticatedPerAddress }
        if let maxPipelinedRequests { configuration.maxPipelinedRequests = maxPipelinedRequests }
        if let maxPendingAppendBytes { configuration.maxPendingAppendBytes = maxPendingAppendBytes }
        if let maxJSONDepth { configuration.maxJSONDepth = maxJSONDepth }
        if let defaultReadLimit { configuration.defaultReadLimit = defaultReadLimit }
        if let maxReadLimit { configuration.maxReadLimit = maxReadLimit }
        if let readAllScanLimit { configuration.readAllScanLimit = readAllScanLimit }
        if let eventLoopThreads { configuration.eventLoopThreads = eventLoopThreads }
        if let blockingThreads { configuration.blockingThreads = blockingThreads }
        if let shutdownGraceSeconds {
            guard (0...86_400).contains(shutdownGraceSeconds) else {
                throw ConfigurationError("shutdown_grace_seconds must be in 0...86400")
            }
            configuration.shutdownGracePeriod = .milliseconds(Int64(shutdownGraceSeconds * 1000))
        }
        if let initialMapBytes { configuration.initialMapSize = initialMapBytes }
        if let emails { configuration.emails = emails }
        if let emailConfig { configuration.emailDirectory = emailConfig }
        if let metrics { try configuration.setMetrics(metrics) }
        if let tokens { configuration.tokens = try Self.tokenTable(tokens) }
        if let requestsPerSecond { configuration.requestsPerSecond = requestsPerSecond }
        if let requestBurst { configuration.requestBurst = requestBurst }
        if let authTimeoutMs { configuration.authTimeout = .milliseconds(Int64(clamping: authTimeoutMs)) }
        if let maxOutputBytes { configuration.maxOutputBytes = maxOutputBytes }
        if let maxAppendEvents { configuration.maxAppendEvents = maxAppendEvents }
    }

    /// The token table of the file's `tokens`; throws naming the first bad entry.
    static func tokenTable(_ lines: [TokenLine]) throws -> TokenTable {
        var entries: [TokenTable.Entry] = []
        for (index, line) in lines.enumerated() {
            let place = "tokens[\(index)]"
            guard !line.name.isEmpty, !line.name.contains(where: \.isWhitespace) else {
                throw ConfigurationError("\(place).name must be a non-empty name without spaces")
            }
            guard !entries.contains(where: { $0.principal == line.name }) else {
                throw ConfigurationError("\(place).name \"\(line.name)\" is used twice")
            }
            guard let hash = Hex.decode(line.sha256), hash.count == 32 else {
                throw ConfigurationError("\(place).sha256 must be 64 hex digits (the SHA-256 of the token, as spool token new prints it)")
            }
            guard let roles = Role.parseList(line.roles.joined(separator: ",")) else {
                throw ConfigurationError("\(place).roles must list one or more of: read, write, admin")
            }
            entries.append(TokenTable.Entry(principal: line.name, sha256: hash, roles: roles))
        }
        return TokenTable(entries)
    }
}

/// A configuration problem, printed as is.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension ServerConfiguration {
    /// Sets host and port from `host:port`.
    mutating func setListen(_ text: String) throws {
        let address = try Self.address(text, of: "listen", example: "127.0.0.1:7070")
        host = address.host
        port = address.port
    }

    /// Sets the metrics address from `host:port`.
    mutating func setMetrics(_ text: String) throws {
        metricsAddress = try Self.address(text, of: "metrics", example: "127.0.0.1:9464")
    }

    private static func address(_ text: String, of setting: String, example: String) throws -> ListenAddress {
        guard let address = ListenAddress(parsing: text) else {
            throw ConfigurationError("\(setting) address \"\(text)\" is not host:port (e.g. \(example))")
        }
        return address
    }
}
