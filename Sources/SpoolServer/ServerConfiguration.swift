import NIOCore
import SpoolProtocol

/// Every setting and limit of a server, each with its default. `spoold` fills it from its
/// command line and its configuration file (same names, snake_case, in the file).
public struct ServerConfiguration: Sendable {
    /// The address to listen on. Only loopback addresses are accepted until tokens exist
    /// (see `ListenAddress.isLoopback`).
    public var host = "127.0.0.1"
    /// The TCP port; 0 picks a free one (the chosen port is reported when listening).
    public var port = 7070
    /// The data directory: one LMDB environment, created when missing.
    public var dataDirectory = "./data"
    /// The LMDB map size to start with, in bytes; it doubles whenever it fills.
    public var initialMapSize = 1 << 30
    /// The longest request line, in bytes, without its `\n`; a longer line is answered with
    /// `line_too_long` and skipped up to its `\n`, and the connection stays open.
    public var maxLineBytes = 1 << 20
    /// The most connections open at once; one more is sent a `rate_limited` error and closed.
    public var maxConnections = 1024
    /// The most answers one connection may have pending (pipelined requests started but not
    /// yet written); past that the server stops reading from it until answers go out.
    public var maxPipelinedRequests = 256
    /// The deepest nesting of arrays and objects in a request.
    public var maxJSONDepth = 64
    /// Events a `read` or `read_all` returns when the request gives no `limit`.
    public var defaultReadLimit = 100
    /// The largest `limit` a `read` or `read_all` accepts.
    public var maxReadLimit = 10_000
    /// The most records one `read_all` examines before it returns with `next_seq`.
    public var readAllScanLimit = 100_000
    /// Event loop threads (parsing and answering); default: one per core.
    public var eventLoopThreads = System.coreCount
    /// Threads for blocking engine calls (reads, `verify`), so they never stall an event loop.
    public var blockingThreads = 2
    /// How long a graceful shutdown lets connections finish their requests before closing them.
    public var shutdownGracePeriod = Duration.seconds(10)
    /// Run the email projector (user events → EmailGenerated) inside the server.
    public var emails = true
    /// A directory with `rules.json` and `templates/` replacing or adding to the built-in
    /// email rules and templates; nil: the built-in ones.
    public var emailDirectory: String?
    /// Where to serve Prometheus metrics over HTTP (`GET /metrics`); nil, the default: no
    /// metrics endpoint. Loopback only, like `host` (see `ListenAddress.isLoopback`); port 0
    /// picks a free port (the chosen one is reported when listening).
    public var metricsAddress: ListenAddress?

    public init() {}

    /// The protocol limits these settings imply.
    public var dispatcherLimits: Dispatcher.Limits {
        var limits = Dispatcher.Limits()
        limits.maxLineBytes = maxLineBytes
        limits.maxJSONDepth = maxJSONDepth
        limits.defaultReadLimit = defaultReadLimit
        limits.maxReadLimit = maxReadLimit
        limits.readAllScanLimit = readAllScanLimit
        return limits
    }

    /// The first setting that cannot work, as a sentence; nil when all are usable.
    public var problem: String? {
        if !(0...65_535).contains(port) { return "port must be in 0...65535, got \(port)" }
        if maxLineBytes < 64 { return "max_line_bytes must be at least 64, got \(maxLineBytes)" }
        if maxPipelinedRequests < 1 { return "max_pipelined_requests must be at least 1, got \(maxPipelinedRequests)" }
        if maxConnections < 1 { return "max_connections must be at least 1, got \(maxConnections)" }
        if !(1...1_000).contains(maxJSONDepth) { return "max_json_depth must be in 1...1000, got \(maxJSONDepth)" }
        if maxReadLimit < 1 { return "max_read_limit must be at least 1, got \(maxReadLimit)" }
        if !(1...maxReadLimit).contains(defaultReadLimit) {
            return "default_read_limit must be in 1...max_read_limit, got \(defaultReadLimit)"
        }
        if readAllScanLimit < maxReadLimit { return "read_all_scan_limit must be at least max_read_limit" }
        if eventLoopThreads < 1 || blockingThreads < 1 { return "event_loop_threads and blocking_threads must be at least 1" }
        if !ListenAddress.isLoopback(host) {
            return
                "refusing to listen on \(host): without auth tokens (not implemented yet) spoold listens only on loopback (127.0.0.1, ::1, localhost)"
        }
        if let metricsAddress, !ListenAddress.isLoopback(metricsAddress.host) {
            return
                "refusing to serve metrics on \(metricsAddress.host): the metrics endpoint has no authentication, so spoold serves it only on loopback (127.0.0.1, ::1, localhost)"
        }
        return nil
    }
}
