import JSON
import SpoolCore

extension Dispatcher {
    static let subscriptionOperations: [Operation] = [
        Operation(
            "sub_create",
            "creates a durable subscription: name, start, filter{types, stream_prefix}, ack_timeout_ms, max_deliveries, max_in_flight",
            access: .role(.admin)
        ) {
            dispatcher, request, writer in try await dispatcher.subCreate(&request, &writer)
        },
        Operation("sub_delete", "deletes a subscription and its state: name", access: .role(.admin)) {
            dispatcher, request, writer in try await dispatcher.subDelete(&request, &writer)
        },
        Operation("sub_list", "every subscription with its position, lag, in-flight and dead letters", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.subList(&request, &writer)
        },
        Operation(
            "sub_info", "one subscription's settings, position, ack floor, lag, in-flight, dead letters, consumers: name",
            access: .role(.read)
        ) {
            dispatcher, request, writer in try await dispatcher.subInfo(&request, &writer)
        },
        Operation(
            "fetch", "leases up to max events, waiting up to wait_ms for new ones: name, max (100), wait_ms (0), consumer",
            access: .role(.read)
        ) {
            dispatcher, request, writer in try await dispatcher.fetch(&request, &writer)
        },
        Operation(
            "subscribe", "pushes events to this connection as they arrive, at most credit unacked: name, credit (100)", access: .role(.read)
        ) {
            dispatcher, request, writer in try await dispatcher.subscribe(&request, &writer)
        },
        Operation("unsubscribe", "stops pushing a subscription to this connection: name", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.unsubscribe(&request, &writer)
        },
        Operation(
            "ack", "marks events done; they are never delivered again: name, seqs", access: .role(.read), scheduling: .immediate
        ) {
            dispatcher, request, writer in try await dispatcher.ack(&request, &writer)
        },
        Operation(
            "nack", "gives events back for redelivery: name, seqs, delay_ms (0), error", access: .role(.read), scheduling: .immediate
        ) {
            dispatcher, request, writer in try await dispatcher.nack(&request, &writer)
        },
        Operation("reset", "moves the cursor to replay from a point: name, to (beginning|end|seq|RFC 3339 time)", access: .role(.admin)) {
            dispatcher, request, writer in try await dispatcher.reset(&request, &writer)
        },
        Operation("dlq_list", "the dead letters of a subscription: name, limit (100)", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.dlqList(&request, &writer)
        },
        Operation("dlq_requeue", "delivers dead letters again: name, seqs (all when absent)", access: .role(.admin)) {
            dispatcher, request, writer in try await dispatcher.dlqRequeue(&request, &writer)
        },
        Operation("dlq_purge", "drops dead letters, counting them done: name, seqs (all when absent)", access: .role(.admin)) {
            dispatcher, request, writer in try await dispatcher.dlqPurge(&request, &writer)
        },
    ]

    /// `sub_create` → `created` (false when it existed with the same settings) and `subscription`.
    func subCreate(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        var config = SubscriptionConfig(name: try request.fields.string("name"))
        if let start = request.fields.value("start") { config.start = try request.fields.start(start, field: "start") }
        if var fields = try request.fields.optionalObject("filter") {
            config.filter.types = Set(try fields.optionalStrings("types") ?? [])
            config.filter.streamPrefix = try fields.optionalString("stream_prefix")
            try fields.finish()
        }
        config.ackTimeoutMilliseconds = Int64(try request.fields.int("ack_timeout_ms", in: 100...86_400_000, default: 30_000))
        config.maxDeliveries = UInt32(try request.fields.int("max_deliveries", in: 1...1000, default: 5))
        if request.fields.object["max_in_flight"] != nil {
            config.maxInFlight = try request.fields.int("max_in_flight", in: 1...100_000, default: 1000)
        }
        try request.fields.finish()
        let created = try await engine.subscriptions.create(config)
        writer.key("created")
        writer.writeBool(created)
        writer.key("subscription")
        writer.write(config.json)
    }

    func subDelete(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try request.fields.string("name")
        try request.fields.finish()
        try await engine.subscriptions.delete(name)
        writer.key("deleted")
        writer.writeBool(true)
    }

    func subList(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        try request.fields.finish()
        let hub = engine.subscriptions
        let infos = try await blocking { try hub.list() }
        writer.key("subscriptions")
        writer.write(.array(infos.map(\.json)))
    }

    func subInfo(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try request.fields.string("name")
        try request.fields.finish()
        let hub = engine.subscriptions
        let info = try await blocking { try hub.info(name) }
        writer.key("subscription")
        writer.write(info.json)
    }

    /// The `name` of a subscription the session may consume (fetch, subscribe, ack, nack): the
    /// email projector's own only with the admin role, since its leases and acks decide which
    /// emails are generated.
    private func consumedName(_ request: inout Request) throws -> String {
        let name = try request.fields.string("name")
        guard name != EmailProjector.subscription || request.session.allows(.role(.admin)) else {
            throw SpoolError(.unauthorized, "\(name) is the email projector's own subscription: consuming it needs the admin role")
        }
        return name
    }

    /// `fetch` → `messages` [{seq, delivery, subscription, event}], possibly empty after `wait_ms`.
    func fetch(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try consumedName(&request)
        let max = try request.fields.int("max", in: 1...10_000, default: 100)
        let wait = try request.fields.int("wait_ms", in: 0...300_000, default: 0)
        let consumer = try request.fields.optionalString("consumer") ?? request.session.principal
        guard consumer.utf8.count <= 256 else { throw request.fields.problem("consumer", "at most 256 bytes") }
        try request.fields.finish()
        let deliveries = try await engine.subscriptions.fetch(name, max: max, waitMilliseconds: Int64(wait), consumer: consumer)
        writer.key("messages")
        writer.beginArray()
        for delivery in deliveries { writer.writeDelivery(delivery, of: name, push: false) }
        writer.endArray()
    }

    /// `subscribe` → `subscribed: true`; then `{"push": name, "seq", "delivery", "event"}` lines.
    func subscribe(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try consumedName(&request)
        let credit = try request.fields.int("credit", in: 1...10_000, default: 100)
        try request.fields.finish()
        guard let pushes = request.session.pushes else { throw SpoolError.badRequest("this connection cannot receive pushes") }
        guard engine.subscriptions.exists(name) else { throw SpoolError.notFound("no subscription \(name)") }
        try pushes.subscribe(name, credit: credit, hub: engine.subscriptions)
        writer.key("subscribed")
        writer.writeBool(true)
    }

    func unsubscribe(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try request.fields.string("name")
        try request.fields.finish()
        guard request.session.pushes?.unsubscribe(name) == true else {
            throw SpoolError.notFound("this connection is not subscribed to \(name)")
        }
        writer.key("unsubscribed")
        writer.writeBool(true)
    }

    func ack(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try consumedName(&request)
        let seqs = try request.fields.seqs("seqs")
        try request.fields.finish()
        try await engine.subscriptions.ack(name, seqs)
        request.session.pushes?.settled(name, seqs)
        writer.key("acked")
        writer.writeInt(Int64(seqs.count))
    }

    /// `text` cut to at most `limit` bytes of UTF-8, between scalars. (Not `prefix(_:)`, which
    /// counts characters: one can be a letter and any number of combining marks.)
    static func truncated(_ text: String, toBytes limit: Int) -> String {
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > limit { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    func nack(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try consumedName(&request)
        let seqs = try request.fields.seqs("seqs")
        let delay = try request.fields.int("delay_ms", in: 0...86_400_000, default: 0)
        let error = try request.fields.optionalString("error")
        try request.fields.finish()
        try await engine.subscriptions.nack(
            name, seqs, delayMilliseconds: Int64(delay), error: error.map { Self.truncated($0, toBytes: 1000) })
        request.session.pushes?.settled(name, seqs)
        writer.key("nacked")
        writer.writeInt(Int64(seqs.count))
    }

    func reset(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try request.fields.string("name")
        guard let to = request.fields.value("to") else { throw request.fields.problem("to", "required") }
        let start = try request.fields.start(to, field: "to")
        try request.fields.finish()
        try await engine.subscriptions.reset(name, to: start)
        let hub = engine.subscriptions
        let info = try await blocking { try hub.info(name) }
        writer.key("subscription")
        writer.write(info.json)
    }

    func dlqList(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try request.fields.string("name")
        let limit = try readLimit(&request.fields)
        try request.fields.finish()
        let letters = try engine.subscriptions.deadLetters(name, limit: limit)
        writer.key("dead_letters")
        writer.write(.array(letters.map(\.json)))
    }

    func dlqRequeue(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try request.fields.string("name")
        let seqs = request.fields.object["seqs"] == nil ? nil : try request.fields.seqs("seqs")
        try request.fields.finish()
        let requeued = try await engine.subscriptions.requeue(name, seqs)
        writer.key("requeued")
        writer.write(.array(requeued.map { .int(Int64($0)) }))
    }

    func dlqPurge(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let name = try request.fields.string("name")
        let seqs = request.fields.object["seqs"] == nil ? nil : try request.fields.seqs("seqs")
        try request.fields.finish()
        let purged = try await engine.subscriptions.purge(name, seqs)
        writer.key("purged")
        writer.write(.array(purged.map { .int(Int64($0)) }))
    }
}

extension FieldReader {
    /// A non-empty array of seqs (at most 10,000).
    mutating func seqs(_ name: String) throws(SpoolError) -> [UInt64] {
        guard let items = try optionalArray(name) else { throw problem(name, "required") }
        guard !items.isEmpty, items.count <= 10_000 else { throw problem(name, "1 to 10000 seqs") }
        var seqs: [UInt64] = []
        for (index, item) in items.enumerated() {
            guard let seq = item.uint64Value, seq > 0 else { throw problem("\(name)[\(index)]", "expected a positive integer seq") }
            seqs.append(seq)
        }
        return seqs
    }

    /// A subscription start: "beginning", "end", a seq, or an RFC 3339 time.
    func start(_ value: JSONValue, field: String) throws(SpoolError) -> SubscriptionConfig.Start {
        switch value {
        case .string("beginning"): return .beginning
        case .string("end"): return .end
        case .int(let seq) where seq >= 0: return .seq(UInt64(seq))
        case .string(let text):
            guard let time = Timestamp(rfc3339: text) else {
                throw problem(field, "expected \"beginning\", \"end\", a seq or an RFC 3339 time, got '\(text)'")
            }
            return .time(time)
        default: throw problem(field, "expected \"beginning\", \"end\", a seq or an RFC 3339 time, got \(value.typeName)")
        }
    }
}

extension JSONWriter {
    /// One delivery: `{"seq":…,"delivery":…,"subscription":…,"event":E}`, or as a push line's
    /// members after its `"push":"<subscription>"` (which names the subscription already).
    public mutating func writeDelivery(_ delivery: SubscriptionHub.Delivery, of subscription: String, push: Bool) {
        if !push { beginObject() }
        key(EventKeys.seq)
        writeUInt(delivery.seq)
        key(EventKeys.delivery)
        writeUInt(UInt64(delivery.delivery))
        if !push {
            key(EventKeys.subscription)
            writeString(subscription)
        }
        key(EventKeys.event)
        writeEvent(delivery.stored)
        if !push { endObject() }
    }
}

extension SubscriptionHub.Info {
    /// The wire form of `sub_info` and `sub_list`: the settings (`config.json`), then where
    /// the subscription stands (`progress`).
    public var json: JSONValue {
        guard case .object(var object) = config.json else { return .null }
        for member in progress.members { object[member.key] = member.value }
        return .object(object)
    }

    /// The wire form of a `stats` entry: `name` and where the subscription stands, without
    /// its settings.
    public var progressJSON: JSONValue {
        .object(JSONObject([JSONMember("name", .string(config.name))] + progress.members))
    }

    /// `ack_floor`, `position`, `lag`, `lag_exact`, `in_flight`, `waiting_redelivery`,
    /// `dead_letters`, `consumers`: the one list both wire forms are made of.
    private var progress: JSONObject {
        [
            "ack_floor": .int(Int64(clamping: ackFloor)), "position": .int(Int64(clamping: position)), "lag": .int(Int64(clamping: lag)),
            "lag_exact": .bool(lagExact), "in_flight": .int(Int64(inFlight)), "waiting_redelivery": .int(Int64(waitingRedelivery)),
            "dead_letters": .int(Int64(deadLetters)), "consumers": .int(Int64(consumers)),
        ]
    }
}
