import NIOCore
import SpoolCore
import SpoolProtocol
import Synchronization

/// The open connections: the one owner of that list (counting for `stats`, the connection
/// limit, and closing them on shutdown).
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var shuttingDown = false
    }

    private let state = Mutex(State())
    private let maxConnections: Int
    private let status: ServerStatus

    init(maxConnections: Int, status: ServerStatus) {
        self.maxConnections = maxConnections
        self.status = status
    }

    /// Adds `channel`, or says why not (nothing is added then).
    func register(_ channel: any Channel) -> SpoolError? {
        let refusal: SpoolError? = state.withLock { state in
            if state.shuttingDown { return SpoolError(.shuttingDown, "the server is shutting down") }
            guard state.channels.count < maxConnections else {
                return SpoolError(.rateLimited, "too many connections (limit \(maxConnections)); try again later")
            }
            state.channels[ObjectIdentifier(channel)] = channel
            return nil
        }
        if refusal == nil { status.connectionsChanged(by: 1) }
        return refusal
    }

    func unregister(_ channel: any Channel) {
        let removed = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) != nil }
        if removed { status.connectionsChanged(by: -1) }
    }

    /// Refuses new connections and closes the input side of every open one: each finishes the
    /// requests it has read, writes their responses, and closes.
    func beginShutdown() {
        let channels = state.withLock { state in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
        for channel in channels { channel.close(mode: .input, promise: nil) }
    }

    /// Closes every connection now (after the grace period).
    func closeAll() {
        for channel in state.withLock({ Array($0.channels.values) }) { channel.close(promise: nil) }
    }
}
