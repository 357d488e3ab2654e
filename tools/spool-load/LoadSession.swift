import NIOCore

/// What one connection of a load run does: the requests it writes and what it makes of the
/// replies. A session lives on its channel's event loop and is only touched there, by its
/// `LoadHandler`; it never blocks and never allocates per reply where it can avoid it, so the
/// client stays cheap next to the server it measures.
protocol LoadSession: AnyObject, SendableMetatype {
    associatedtype Result: Sendable

    /// Writes the first requests into `out`, at `now` (nanoseconds, `MonotonicClock.now()`).
    func start(now: UInt64, into out: inout ByteBuffer) throws

    /// Consumes every complete reply at the front of `input` and writes what follows from them
    /// into `out`. Returns true once the session is done (the handler then closes the
    /// connection). Throws `LoadError` for a reply that is an error or not understood.
    func receive(_ input: inout ByteBuffer, now: UInt64, into out: inout ByteBuffer) throws -> Bool

    /// For sessions that send on a timer (the latency producer): the interval in nanoseconds;
    /// nil for the rest.
    var tickInterval: UInt64? { get }

    /// Called every `tickInterval` after `start`; writes what is due into `out`. Returns true
    /// when the session is done (e.g. its time is up although replies are missing).
    func tick(now: UInt64, into out: inout ByteBuffer) throws -> Bool

    /// What the session measured; read once it is done.
    var result: Result { get }
}

extension LoadSession {
    var tickInterval: UInt64? { nil }
    func tick(now: UInt64, into out: inout ByteBuffer) throws -> Bool { false }
}

/// The user event that starts every session of a run at once, after all connections are up.
struct StartLoad: Sendable {}
