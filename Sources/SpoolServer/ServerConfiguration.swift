import NIOCore
import SpoolCore
import SpoolProtocol

/// Every setting and limit of a server, each with its default. `spoold` fills it from its
/// command line and its configuration file (same names, snake_case, in the file).
public struct ServerConfiguration: Sendable {
    /// The address to listen on. Without `tokens` only loopback addresses are accepted (see
    /// `ListenAddress.isLoopback`).
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
    /// The tokens connections authenticate with (`auth`), each with a principal and roles.
    /// Empty: no authentication, and every connection acts as `anonymous` with every role.
    public var tokens = TokenTable()
    /// Requests one connection may send per second, on average; over it a request is answered
    /// `rate_limited` with `retry_after_ms`, and the connection stays open. 0: no limit.
    public var requestsPerSecond = 50_000
    /// Requests one connection may send at once above the rate (the token bucket's size).
    public var requestBurst = 10_000
    /// How long a connection may stay unauthenticated when tokens are configured; then it is
    /// sent an `unauthorized` error and closed.
    public var authTimeout = Duration.seconds(10)
    /// With tokens configured, the most connections one remote address may hold open before
    /// they authenticate; one more is sent a `rate_limited` error and closed.
    public var maxUnauthenticatedPerAddress = 64
    /// The most answer bytes one connection may have waiting for its client to read them
    /// (pushes included); past that the client is too slow and is disconnected.
    public var maxOutputBytes = 64 << 20
    /// The most events one `append` may carry.
    public var maxAppendEvents = AppendRequest.maxEvents
    /// The most answers one connection may have pending (pipelined requests started but not
    /// yet written); past that the server stops reading from it until answers go out.
    public var maxPipelinedRequests = 256
    /// The most bytes of append lines read but not yet answered, across every connection;
    /// past that, connections stop reading appends until earlier ones are answered.
    public var maxPendingAppendBytes = 256 << 20
    /// The deepest nesting of arrays and objects in a request (at most 64, the depth at which
    /// stored data is read back).
    public var maxJSONDepth = 64
    /// Events a `read` or `read_all` returns when the request gives no `limit`.
    public var defaultReadLimit = 100
    /// The largest `limit` a `read` or `read_all` accepts.
    public var maxReadLimit = 10_000
    /// The most records one `read_all` examines before it returns with `next_seq`.
    public var readAllScanLimit = 100_000
    /// Event loop threads (parsing and answering); default: one per core but one, which the
    /// writer thread, the one every append waits for, keeps to itself (one on a single core).
    public var eventLoopThreads = max(1, System.coreCount - 1)
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
        limits.maxAppendEvents = maxAppendEvents
        return limits
    }

    /// The first setting that cannot work, as a sentence; nil when all are usable.
    public var problem: String? {
        if !(0...65_535).contains(port) { return "port must be in 0...65535, got \(port)" }
        if !(64...(1 << 30)).contains(maxLineBytes) { return "max_line_bytes must be in 64...1073741824, got \(maxLineBytes)" }
        if !(1...(1 << 40)).contains(maxPendingAppendBytes) {
            return "max_pending_append_bytes must be in 1...\(1 << 40), got \(maxPendingAppendBytes)"
        }
        if !(1...1_000_000).contains(maxPipelinedRequests) {
            return "max_pipelined_requests must be in 1...1000000, got \(maxPipelinedRequests)"
        }
        if !(1...1_000_000).contains(maxConnections) { return "max_connections must be in 1...1000000, got \(maxConnections)" }
        if !(1...1_000_000).contains(maxUnauthenticatedPerAddress) {
            return "max_unauthenticated_per_address must be in 1...1000000, got \(maxUnauthenticatedPerAddress)"
        }
        // Stored data is read back at the parser's default depth, 64: deeper data could be appended
        // and then never read (views, rebuilds).
        if !(1...64).contains(maxJSONDepth) { return "max_json_depth must be in 1...64, got \(maxJSONDepth)" }
        if !(1...1_000_000).contains(maxReadLimit) { return "max_read_limit must be in 1...1000000, got \(maxReadLimit)" }
        if !(1...maxReadLimit).contains(defaultReadLimit) {
            return "default_read_limit must be in 1...max_read_limit, got \(defaultReadLimit)"
        }
        if readAllScanLimit < maxReadLimit { return "read_all_scan_limit must be at least max_read_limit" }
        if !(1...256).contains(eventLoopThreads) || !(1...256).contains(blockingThreads) {
            return "event_loop_threads and blocking_threads must be in 1...256"
        }
        if !(1 << 20...1 << 44).contains(initialMapSize) { return "initial_map_bytes must be in 1 MiB...16 TiB, got \(initialMapSize)" }
        if !(.zero...Duration.seconds(86_400)).contains(shutdownGracePeriod) { return "shutdown_grace_seconds must be in 0...86400" }
        if !(0...1_000_000_000).contains(requestsPerSecond) || !(1...1_000_000_000).contains(requestBurst) {
            return "requests_per_second must be in 0...1000000000 and request_burst in 1...1000000000"
        }
        if !(Duration.milliseconds(1)...Duration.seconds(86_400)).contains(authTimeout) { return "auth_timeout_ms must be in 1...86400000" }
        if !(maxLineBytes...(1 << 40)).contains(maxOutputBytes) {
            return "max_output_bytes must be at least max_line_bytes (and at most 1 TiB)"
        }
        if !(1...AppendRequest.maxEvents).contains(maxAppendEvents) {
            return "max_append_events must be in 1...\(AppendRequest.maxEvents), got \(maxAppendEvents)"
        }
        if tokens.isEmpty && !ListenAddress.isLoopback(host) {
            return
                "refusing to listen on \(host) without tokens: anyone who can reach it could read and write every client's data. "
                + "Listen on loopback (127.0.0.1, ::1, localhost), or configure tokens: create one with `spool token new NAME --roles read,write,admin` "
                + "and add the line it prints to \"tokens\" in the configuration file (--config)"
        }
        if let metricsAddress, !ListenAddress.isLoopback(metricsAddress.host) {
            return
                "refusing to serve metrics on \(metricsAddress.host): the metrics endpoint has no authentication, so spoold serves it only on loopback (127.0.0.1, ::1, localhost)"
        }
        return nil
    }
}
