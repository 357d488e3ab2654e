import JSON
import SpoolCore
import Synchronization

/// The `subscribe`d subscriptions of one connection: for each, a task that leases events
/// while the connection has credit and pushes them as `{"push":"<name>","seq":…,"delivery":…,
/// "event":E}` lines. Credit is `credit` minus the seqs pushed and still leased to this
/// connection: an ack or nack gives one back at once, and a lease that expired (and may have
/// gone to another consumer) gives its back at the next check, at least once a second.
/// `unsubscribe` or the end of the connection stops the task (events still leased are
/// delivered again after their timeout). Owner of its state: the `Mutex` inside.
public final class PushSubscriptions: Sendable {
    private struct Subscription {
        var task: Task<Void, Never>
        var ticker: Task<Void, Never>
        /// The most events pushed and not yet settled.
        var limit: Int
        var leased: Set<UInt64>
        var wake: AsyncStream<Void>.Continuation

        var credit: Int { max(limit - leased.count, 0) }
    }

    private let state = Mutex<[String: Subscription]>([:])
    private let sink: @Sendable ([UInt8]) async -> Void
    /// The consumer name leases are taken under: unique per connection.
    let consumer: String

    /// `sink` writes one pushed line (with its `\n`) to the connection, in order with answers.
    public init(consumer: String, sink: @escaping @Sendable ([UInt8]) async -> Void) {
        self.consumer = consumer
        self.sink = sink
    }

    /// Starts pushing `name` with `credit` events in flight at most. Throws `already_exists`
    /// when this connection already subscribed to it.
    func subscribe(_ name: String, credit: Int, hub: SubscriptionHub) throws(SpoolError) {
        let (stream, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let started: Bool = state.withLock { subscriptions in
            guard subscriptions[name] == nil else { return false }
            let task = Task { [self] in await self.deliver(name, hub: hub, wakes: stream) }
            let ticker = Task {
                while (try? await Task.sleep(for: .seconds(1))) != nil { wake.yield() }
            }
            subscriptions[name] = Subscription(task: task, ticker: ticker, limit: credit, leased: [], wake: wake)
            return true
        }
        guard started else { throw SpoolError(.alreadyExists, "this connection already subscribed to \(name)") }
    }

    /// Stops pushing `name`; false when it was not subscribed.
    func unsubscribe(_ name: String) -> Bool {
        guard let subscription = state.withLock({ $0.removeValue(forKey: name) }) else { return false }
        subscription.task.cancel()
        subscription.ticker.cancel()
        subscription.wake.finish()
        return true
    }

    /// Gives back the credit of acked or nacked seqs this connection was pushed.
    func settled(_ name: String, _ seqs: [UInt64]) {
        let wake = state.withLock { subscriptions -> AsyncStream<Void>.Continuation? in
            guard var subscription = subscriptions[name] else { return nil }
            let returned = seqs.filter { subscription.leased.remove($0) != nil }.count
            guard returned > 0 else { return nil }
            subscriptions[name] = subscription
            return subscription.wake
        }
        wake?.yield()
    }

    /// Stops every push; the connection is closing.
    public func cancelAll() {
        for name in state.withLock({ Array($0.keys) }) { _ = unsubscribe(name) }
    }

    private func deliver(_ name: String, hub: SubscriptionHub, wakes: AsyncStream<Void>) async {
        var iterator = wakes.makeAsyncIterator()
        while !Task.isCancelled {
            var credit = state.withLock { $0[name]?.credit ?? 0 }
            if credit == 0 {
                credit = reclaimExpired(name, hub: hub)
            }
            if credit == 0 {
                if await iterator.next() == nil { return }
                continue
            }
            guard let deliveries = try? await hub.fetch(name, max: credit, waitMilliseconds: 1000, consumer: consumer) else {
                try? await Task.sleep(for: .milliseconds(200))  // e.g. the subscription was deleted
                continue
            }
            state.withLock { subscriptions in
                for delivery in deliveries { subscriptions[name]?.leased.insert(delivery.seq) }
            }
            for delivery in deliveries {
                var writer = JSONWriter(reserveCapacity: 512)
                writer.beginObject()
                writer.key("push")
                writer.writeString(name)
                writer.writeDelivery(delivery, of: name, push: true)
                writer.endObject()
                writer.bytes.append(UInt8(ascii: "\n"))
                await sink(writer.bytes)
            }
        }
    }

    /// Forgets pushed seqs whose lease this connection no longer holds (expired); returns the
    /// credit then.
    private func reclaimExpired(_ name: String, hub: SubscriptionHub) -> Int {
        let leased = state.withLock { $0[name]?.leased ?? [] }
        let held = hub.held(name, leased, by: consumer)
        return state.withLock { subscriptions in
            guard var subscription = subscriptions[name] else { return 0 }
            subscription.leased.subtract(leased.subtracting(held))
            subscriptions[name] = subscription
            return subscription.credit
        }
    }
}
