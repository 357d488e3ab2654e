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
/// A fetched batch's emails are appended together (one commit); a user's events are
/// handled in order.
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

    /// Processes one fetched batch and acks or nacks every event in it: renders the emails of
    /// each event in seq order (a user's events fold in turn), appends them all as one writer
    /// item (one commit; each append stands alone), then acks the events whose emails all went
    /// in and nacks the others with the reason.
    /// Rejected: a task per user of the batch, each appending its emails in turn. Its task
    /// switches and wake-ups took the projector to 1.3–1.4 µs per event against 0.9–1.1 now
    /// (64 connections × window 32 with no email to send; BENCHMARKS.md).
    func process(_ batch: [SubscriptionHub.Delivery]) async throws {
        guard !batch.isEmpty else { return }
        var failures: [UInt64: String] = [:]
        var appends: [PreparedAppend] = []
        var sources: [UInt64] = []  // the seq of the event each append is an email of
        for delivery in batch.sorted(by: { $0.seq < $1.seq }) {
            do {
                let emails = try emails(of: delivery.event).map { try $0.prepare(actor: Self.actor) }
                appends += emails
                sources += repeatElement(delivery.seq, count: emails.count)
            } catch {
                failures[delivery.seq] = "\(error)"
            }
        }
        if !appends.isEmpty {
            let results = try await engine.requireWriter().append(appends)
            for (seq, result) in zip(sources, results) {
                if case .failure(let error) = result, failures[seq] == nil { failures[seq] = "\(error)" }
            }
        }
        let done = batch.map(\.seq).filter { failures[$0] == nil }
        if !done.isEmpty { try await engine.subscriptions.ack(Self.subscription, done) }
        for (seq, error) in failures.sorted(by: { $0.key < $1.key }) {
            try await engine.subscriptions.nack(Self.subscription, [seq], delayMilliseconds: retryDelayMilliseconds, error: error)
        }
    }

    /// The `EmailGenerated` appends one source event calls for, after folding its user.
    private func emails(of event: RecordedEvent) throws -> [AppendRequest] {
        let decoded = try DecodedEvent(event)
        guard let userID = decoded.userID else { return [] }
        let user = try folded.user(userID, foldingIn: decoded) ?? engine.queries.user(userID, asOf: .seq(event.seq))
        folded.keep(user)
        let emails = try catalog.render(decoded, user: user)
        guard !emails.isEmpty else { return [] }
        let source = (try? JSONParser.parse(event.metadata)) ?? [:]
        return emails.map { email in
            var metadata: JSONObject = ["causation_id": .string(event.id.lowercasedString)]
            if let correlation = source["correlation_id"] { metadata["correlation_id"] = correlation }
            let generated = ProposedEvent(
                id: email.emailID, type: EventType.emailGenerated.rawValue, data: email.data(userID: userID), metadata: metadata)
            return AppendRequest(stream: "email-\(userID)", events: [generated])
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
