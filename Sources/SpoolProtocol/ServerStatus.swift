import SpoolCore
import Synchronization

/// The numbers `stats` reports that no database holds: committed events per second and the
/// open connection count.
///
/// Owner of its state: the `Mutex` inside (the writer thread records commits, event loops
/// count connections, `stats` reads both).
public final class ServerStatus: Sendable {
    private let window: Mutex<RateWindow>
    private let connections = Mutex(0)
    private let clock: @Sendable () -> Int64

    /// `clock` gives wall-clock milliseconds (tests inject one).
    public init(clock: @escaping @Sendable () -> Int64 = ServerStatus.wallClock) {
        self.clock = clock
        window = Mutex(RateWindow(startMilliseconds: clock()))
    }

    /// Counts `events` just committed.
    public func recordCommit(events: Int) {
        let now = clock()
        window.withLock { $0.record(events, atMilliseconds: now) }
    }

    /// Committed events per second over the last few seconds.
    public var eventsPerSecond: Double {
        let now = clock()
        return window.withLock { $0.rate(atMilliseconds: now) }
    }

    /// Counts a connection opened (`+1`) or closed (`-1`).
    public func connectionsChanged(by delta: Int) { connections.withLock { $0 += delta } }

    /// The connections open now.
    public var connectionCount: Int { connections.withLock { $0 } }

    @Sendable public static func wallClock() -> Int64 { Timestamp.now().milliseconds }
}
