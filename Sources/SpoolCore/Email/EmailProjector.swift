import Foundation
import JSON

/// Turns user events into personalized emails, exactly once.
///
/// An internal consumer of its own durable subscription (`email-projector`, user event
/// types). For each event it folds the user as of that event (onto the fold of the user's
/// previous event when it has it: `FoldedUsers`), evaluates the rules, renders
/// the templates and appends one `EmailGenerated` per email to `email-<user_id>`, with the
/// source event as `causation_id` and an event id derived from (source event id, template),
/// then acks. A crash between append and ack redelivers the event; the append is then an
/// idempotent no-op. A failure nacks the event with the reason; past the subscription's
/// max deliveries it becomes a dead letter, and the projector goes on with the next event.
/// Events of different users are processed concurrently (their appends share commits);
/// one user's events in order.
public struct EmailProjector: Sendable {
    public static let subscription = "email-projector"
    /// The subscription external senders consume: every `EmailGenerated`.
    public static let outbox = "email-outbox"
    static let actor = "email-projector"

    let engine: Engine
    public let catalog: EmailCatalog
    /// Each user as of the last of their events handled, for the next one to fold onto.
    let folded = FoldedUsers()
    /// How long a failed event waits before it is tried again.
    public var retryDelayMilliseconds: Int64 = 1000

    public init(engine: Engine, catalog: EmailCatalog) {
        self.engine = engine
        self.catalog = catalog
    }

    /// Creates the projector's subscription and the outbox when missing (existing ones, with
    /// whatever settings an operator gave them, are kept).
    public func ensureSubscriptions() async throws {
        let userTypes = Set(EventType.allCases.filter(\.isUserEvent).map(\.rawValue))
        let wanted = [
            SubscriptionConfig(name: Self.subscription, filter: EventFilter(types: userTypes)),
            SubscriptionConfig(name: Self.outbox, filter: EventFilter(types: [EventType.emailGenerated.rawValue])),
        ]
        for config in wanted where (try? engine.subscriptions.info(config.name)) == nil {
            try await engine.subscriptions.create(config)
        }
    }

    /// Consumes until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            do {
                let batch = try await engine.subscriptions.fetch(Self.subscription, max: 256, waitMilliseconds: 1000, consumer: Self.actor)
                try await process(batch)
            } catch {
                try? await Task.sleep(for: .milliseconds(200))  // e.g. shutting down, disk full: try again
            }
        }
    }

    /// Processes one fetched batch and acks or nacks every event in it.
    func process(_ batch: [SubscriptionHub.Delivery]) async throws {
        guard !batch.isEmpty else { return }
        // A user event's stream is `user-<user_id>`: grouping by it needs no decoding.
        let byUser = Dictionary(grouping: batch) { $0.stored.stream }
        let outcomes = await withTaskGroup(of: [(UInt64, String?)].self) { group in
            for deliveries in byUser.values {
                group.addTask {
                    var outcomes: [(UInt64, String?)] = []
                    for delivery in deliveries.sorted(by: { $0.seq < $1.seq }) {
                        do {
                            try await handle(delivery.event)
                            outcomes.append((delivery.seq, nil))
                        } catch {
                            outcomes.append((delivery.seq, "\(error)"))
                        }
                    }
                    return outcomes
                }
            }
            return await group.reduce(into: [(UInt64, String?)]()) { $0 += $1 }
        }
        let done = outcomes.filter { $0.1 == nil }.map(\.0)
        if !done.isEmpty { try await engine.subscriptions.ack(Self.subscription, done) }
        for (seq, error) in outcomes {
            if let error {
                try await engine.subscriptions.nack(Self.subscription, [seq], delayMilliseconds: retryDelayMilliseconds, error: error)
            }
        }
    }

    /// Renders and appends the emails of one source event.
    private func handle(_ event: RecordedEvent) async throws {
        let decoded = try DecodedEvent(event)
        guard let userID = decoded.userID else { return }
        let user = try folded.user(userID, foldingIn: decoded) ?? engine.queries.user(userID, asOf: .seq(event.seq))
        folded.keep(user)
        let source = (try? JSONParser.parse(event.metadata)) ?? [:]
        for email in try catalog.render(decoded, user: user) {
            var metadata: JSONObject = ["causation_id": .string(event.id.lowercasedString)]
            if let correlation = source["correlation_id"] { metadata["correlation_id"] = correlation }
            let generated = ProposedEvent(
                id: email.emailID, type: EventType.emailGenerated.rawValue, data: email.data(userID: userID), metadata: metadata)
            _ = try await engine.append(AppendRequest(stream: "email-\(userID)", events: [generated]), actor: Self.actor)
        }
    }

    /// What `type` with `data` would generate for the user now, without appending anything.
    /// Throws `not_found` for an unknown user (unless the event is a `UserCreated`),
    /// `invalid_event` for bad data, `bad_request` for a render failure.
    public func preview(userID: String, type: String, data: JSONObject) throws -> [RenderedEmail] {
        var data = data
        data["user_id"] = .string(userID)
        _ = try EventValidator.validate(type: type, data: .object(data), stream: "user-\(userID)", index: 0)
        let current: UserView? = type == EventType.userCreated.rawValue ? nil : try engine.queries.user(userID)
        let head = try engine.log.head().seq
        let time = Timestamp.now()
        let event = RecordedEvent(
            seq: head + 1, id: UUID.version7(at: time), stream: "user-\(userID)", version: (current?.version ?? 0) + 1, type: type,
            time: time, metadata: [], data: JSONValue.object(data).jsonBytes, hasClientID: false, previousHash: [], hash: [])
        let decoded = try DecodedEvent(event)
        do {
            return try catalog.render(decoded, user: UserView.fold(current, decoded))
        } catch {
            throw SpoolError.badRequest("rendering failed: \(error.description)")
        }
    }
}
