import NIOCore
import SpoolCore
import SpoolProtocol
import Synchronization

/// The open connections: the one owner of that list (counting for `stats`, the connection
/// limit, the limit on connections that have not authenticated yet, and closing them on
/// shutdown).
///
/// With tokens configured, a connection counts against its address until it authenticates
/// (or closes): at most `maxUnauthenticatedPerAddress` at once from one address, so one host
/// that opens connections and never authenticates cannot take every slot for the
/// authentication timeout; clients elsewhere still get in.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        /// Connections not authenticated yet, with their remote address.
        var unauthenticated: [ObjectIdentifier: String] = [:]
        /// How many of those each address has.
        var unauthenticatedByAddress: [String: Int] = [:]
        var shuttingDown = false

        /// Forgets that `id` still had to authenticate.
        mutating func settle(_ id: ObjectIdentifier) {
            guard let address = unauthenticated.removeValue(forKey: id) else { return }
            let left = (unauthenticatedByAddress[address] ?? 1) - 1
            unauthenticatedByAddress[address] = left > 0 ? left : nil
        }
    }

    private let state = Mutex(State())
    private let maxConnections: Int
    private let maxUnauthenticatedPerAddress: Int
    private let status: ServerStatus

    init(maxConnections: Int, maxUnauthenticatedPerAddress: Int, status: ServerStatus) {
        self.maxConnections = maxConnections
        self.maxUnauthenticatedPerAddress = maxUnauthenticatedPerAddress
        self.status = status
    }

    /// Adds `channel`, or says why not (nothing is added then). `authenticates`: it must
    /// authenticate before anything else, and counts against its address until it does.
    func register(_ channel: any Channel, authenticates: Bool) -> SpoolError? {
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        let refusal: SpoolError? = state.withLock { state in
            if state.shuttingDown { return SpoolError(.shuttingDown, "the server is shutting down") }
            guard state.channels.count < maxConnections else {
                return SpoolError(.rateLimited, "too many connections (limit \(maxConnections)); try again later")
            }
            if authenticates {
                let pending = state.unauthenticatedByAddress[address] ?? 0
                guard pending < maxUnauthenticatedPerAddress else {
                    return SpoolError(
                        .rateLimited,
                        "too many connections from \(address) that have not authenticated (limit \(maxUnauthenticatedPerAddress)); "
                            + "try again later")
                }
                state.unauthenticated[ObjectIdentifier(channel)] = address
                state.unauthenticatedByAddress[address] = pending + 1
            }
            state.channels[ObjectIdentifier(channel)] = channel
            return nil
        }
        if refusal == nil { status.connectionsChanged(by: 1) }
        return refusal
    }

    /// `channel` has authenticated: it no longer counts against its address.
    func authenticated(_ channel: any Channel) {
        state.withLock { $0.settle(ObjectIdentifier(channel)) }
    }

    func unregister(_ channel: any Channel) {
        let removed = state.withLock { state in
            state.settle(ObjectIdentifier(channel))
            return state.channels.removeValue(forKey: ObjectIdentifier(channel)) != nil
        }
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
