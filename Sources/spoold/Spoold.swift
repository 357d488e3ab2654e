import ArgumentParser
// Linking jemalloc replaces the C library's malloc and free in the whole process. Requests are
// parsed on the event loops and their memory freed on the writer thread (and back); glibc's
// arenas serve that pattern poorly: over TCP, jemalloc gave 35–50% more appends per second
// (BENCHMARKS.md).
import CJemalloc
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import SpoolCore
import SpoolServer

#if canImport(Glibc)
    import Glibc
#endif

/// `spoold`: the Spool server. Opens the data directory, listens, and serves the line
/// protocol until SIGTERM or SIGINT, which drain connections and then close the data cleanly.
@main
struct Spoold: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoold",
        abstract: "The Spool event-log server: one JSON object per line over TCP.",
        discussion: """
            Try it: spoold --listen 127.0.0.1:7070 --data ./data, then nc 127.0.0.1 7070 and type {"op":"ping"}.
            Command-line options override the configuration file.
            """)

    @Option(
        help:
            "The address to listen on, host:port (port 0 picks a free port); loopback only unless tokens are configured. Default 127.0.0.1:7070."
    )
    var listen: String?

    @Option(help: "The data directory (one LMDB environment), created when missing. Default ./data.")
    var data: String?

    @Option(help: "A JSON configuration file with these settings in snake_case, e.g. {\"max_line_bytes\": 1048576}.")
    var config: String?

    @Option(help: "The longest request line in bytes; longer lines get line_too_long. Default 1048576.")
    var maxLineBytes: Int?

    @Option(help: "The most client connections open at once. Default 1024.")
    var maxConnections: Int?

    @Option(help: "Requests per second one connection may send; over it requests get rate_limited. 0: no limit. Default 50000.")
    var requestsPerSecond: Int?

    @Option(help: "A directory with email rules.json and templates/<name>.{subject,text,html}.mustache; default: the built-in ones.")
    var emailConfig: String?

    @Flag(help: "Do not run the email projector (no emails are generated from user events).")
    var noEmails = false

    @Option(help: "Serve Prometheus metrics at http://HOST:PORT/metrics (loopback only; port 0 picks a free port). Default: off.")
    var metrics: String?

    @Option(help: "The log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level \(logLevel)") }
        if let listen, ListenAddress(parsing: listen) == nil {
            throw ValidationError("--listen \(listen) is not host:port (e.g. 127.0.0.1:7070)")
        }
        if let metrics, ListenAddress(parsing: metrics) == nil {
            throw ValidationError("--metrics \(metrics) is not host:port (e.g. 127.0.0.1:9464)")
        }
    }

    func run() async throws {
        let settings: ServerConfiguration
        do {
            settings = try resolvedConfiguration()
        } catch {
            Self.fail("\(error)", code: 2)
        }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "spoold")
        Self.raiseFileLimit(toAtLeast: settings.maxConnections + 64)
        // Before the engine and the server exist, so every metric they make feeds the registry.
        let registry = settings.metricsAddress.map { _ in PrometheusCollectorRegistry() }
        if let registry { MetricsSystem.bootstrap(PrometheusMetricsFactory.spool(registry: registry)) }

        var options = Engine.Options()
        options.mapSize = settings.initialMapSize
        let engine: Engine
        do {
            engine = try Engine(directory: settings.dataDirectory, options: options)
        } catch let error as SpoolError {
            Self.fail(error.message, code: 1)
        } catch {
            Self.fail("cannot open data directory \(settings.dataDirectory): \(error)", code: 1)
        }
        if registry != nil {
            let commits = CommitMetrics()
            engine.writer?.onCommit { commits.record($0) }
        }

        do {
            let lagging = try await engine.catchUpViews()
            if !lagging.isEmpty { logger.notice("rebuilt views that lagged the log", metadata: ["views": "\(lagging.map(\.rawValue))"]) }
            if settings.emails {
                try await engine.startEmails(EmailCatalog(directory: settings.emailDirectory))
            }
        } catch let error as SpoolError {
            engine.close()
            Self.fail(error.message, code: 1)
        } catch {
            engine.close()
            Self.fail("cannot start: \(error)", code: 1)
        }

        let server = Server(configuration: settings, engine: engine, logger: logger) { host, port in
            let address = ListenAddress.describe(host: host, port: port)
            if !settings.tokens.isEmpty {
                logger.info("tokens configured: connections must authenticate", metadata: ["tokens": "\(settings.tokens.entries.count)"])
            }
            logger.info(
                "spoold listening on \(address) (data \(settings.dataDirectory)) — try: nc \(host) \(port), then type {\"op\":\"ping\"}")
            FileHandle.standardOutput.write(Data("listening on \(address)\n".utf8))
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: EngineService(engine: engine, logger: logger)), .init(service: server),
        ]
        if let registry, let address = settings.metricsAddress {
            let collector = MetricsCollector(engine: engine, status: server.dispatcher.status, logger: logger) {
                registry.emitToBuffer()
            }
            let metrics = MetricsServer(address: address, collector: collector, logger: logger) { host, port in
                let address = ListenAddress.describe(host: host, port: port)
                FileHandle.standardOutput.write(Data("metrics listening on \(address)\n".utf8))
            }
            services.append(.init(service: metrics))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch let error as MetricsServer.ListenError {
            engine.close()
            Self.fail(error.description, code: 1)
        } catch {
            engine.close()
            Self.fail("cannot serve on \(ListenAddress.describe(host: settings.host, port: settings.port)): \(error)", code: 1)
        }
        logger.info("spoold stopped")
    }

    /// Defaults, then the configuration file, then the command line; checked.
    func resolvedConfiguration() throws -> ServerConfiguration {
        var settings = ServerConfiguration()
        if let config { try ConfigurationFile.load(config).apply(to: &settings) }
        if let listen { try settings.setListen(listen) }
        if let data { settings.dataDirectory = data }
        if let maxLineBytes { settings.maxLineBytes = maxLineBytes }
        if let maxConnections { settings.maxConnections = maxConnections }
        if let requestsPerSecond { settings.requestsPerSecond = requestsPerSecond }
        if let emailConfig { settings.emailDirectory = emailConfig }
        if noEmails { settings.emails = false }
        if let metrics { try settings.setMetrics(metrics) }
        if let problem = settings.problem { throw ConfigurationError(problem) }
        return settings
    }

    /// Prints `spoold: message` on standard error and exits with `code`.
    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("spoold: \(message)\n".utf8))
        Foundation.exit(code)
    }

    /// Raises the open-file limit so `max_connections` sockets fit beside the data files.
    static func raiseFileLimit(toAtLeast wanted: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(wanted) else { return }
        limit.rlim_cur = min(rlim_t(wanted), limit.rlim_max)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
