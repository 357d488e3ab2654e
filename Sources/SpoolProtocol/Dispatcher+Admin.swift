import JSON
import SpoolCore

extension Dispatcher {
    static let adminOperations: [Operation] = [
        Operation(
            "stats", "head seq and hash, events/s, connections, data size, uptime, views, subscriptions' lag, email projector",
            access: .role(.read)
        ) {
            dispatcher, request, writer in try await dispatcher.stats(&request, &writer)
        },
        Operation("digest", "the log's head (seq, hash), or the hash at seq: keep it to check the log later", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.digest(&request, &writer)
        },
        Operation(
            "verify", "recomputes the hash chain and indexes, and checks each view against a fresh fold: views (true)",
            access: .role(.admin)
        ) {
            dispatcher, request, writer in try await dispatcher.verify(&request, &writer)
        },
    ]

    /// `stats` → `head_seq`, `head_hash`, `events_per_second`, `connections`, `data_bytes`,
    /// `map_bytes`, `uptime_seconds`, `views`, `subscriptions` (each one's name and progress,
    /// as `sub_list` computes it, in name order) and `email_projector` {`running`, `lag`}: the
    /// `email-projector` subscription's lag, 0 when that subscription does not exist.
    func stats(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        try request.fields.finish()
        let engine = engine
        let (head, info, views, subscriptions) = try await blocking { [self] in
            (try engine.log.head(), engine.store.environment.info, try viewStatistics(), try engine.subscriptions.list())
        }
        writer.key("head_seq")
        writer.writeUInt(head.seq)
        writer.key("head_hash")
        writer.writeString(Hex.encode(head.hash))
        writer.key("events_per_second")
        writer.writeDouble((status.eventsPerSecond * 10).rounded() / 10)
        writer.key("connections")
        writer.writeInt(Int64(status.connectionCount))
        writer.key("data_bytes")
        writer.writeInt(Int64(info.usedBytes))
        writer.key("map_bytes")
        writer.writeInt(Int64(info.mapSize))
        writer.key("uptime_seconds")
        let uptime = ContinuousClock.now - started
        writer.writeDouble(uptime.inSeconds.rounded())
        writer.key("views")
        writer.write(views)
        writer.key("subscriptions")
        writer.write(.array(subscriptions.map(\.progressJSON)))
        writer.key("email_projector")
        let emailLag = subscriptions.first { $0.config.name == EmailProjector.subscription }?.lag ?? 0
        writer.write(["running": .bool(engine.emails != nil), "lag": .int(Int64(emailLag))])
    }

    /// `digest` → `seq` and `hash` of the head, or of `seq` when given (seq 0: the zero hash
    /// before the first event). A seq past the head is `not_found`.
    func digest(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let seq = try request.fields.optionalUInt64("seq")
        try request.fields.finish()
        let log = engine.log
        let digest: (seq: UInt64, hash: [UInt8])? = try await blocking {
            switch seq {
            case nil: return try log.head()
            case 0?: return (0, EventRecord.zeroHash)
            case let seq?: return try log.event(at: seq).map { ($0.seq, $0.hash) }
            }
        }
        guard let digest else { throw SpoolError.notFound("no event at seq \(seq ?? 0): the log is shorter") }
        writer.key("seq")
        writer.writeUInt(digest.seq)
        writer.key("hash")
        writer.writeString(Hex.encode(digest.hash))
    }

    /// `verify` → `valid`, `verified_through`, `head_hash`, and `problem` {seq, reason} when
    /// the log is damaged; with `views` (default true) and an intact log, also `views` (each
    /// view's stored and freshly folded checksums) and `views_valid`. Runs on the blocking
    /// executor; it reads the whole log (twice with views, holding a fold in memory).
    func verify(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let checkViews = try request.fields.optionalBool("views") ?? true
        try request.fields.finish()
        let engine = engine
        let (report, checks) = try await blocking {
            let report = try engine.verify()
            return (report, checkViews && report.isValid ? try engine.checkViews() : nil)
        }
        writer.key("valid")
        writer.writeBool(report.isValid)
        writer.key("verified_through")
        writer.writeUInt(report.verifiedThrough)
        writer.key("head_hash")
        writer.writeString(Hex.encode(report.headHash))
        if let problem = report.problem {
            logger.warning("verify found a problem", metadata: ["seq": "\(problem.seq)", "reason": "\(problem.reason)"])
            writer.key("problem")
            writer.beginObject()
            writer.key("seq")
            writer.writeUInt(problem.seq)
            writer.key("reason")
            writer.writeString(problem.reason)
            writer.endObject()
        }
        if let checks {
            writer.key("views")
            writer.write(.array(checks.map(\.json)))
            writer.key("views_valid")
            writer.writeBool(checks.allSatisfy(\.matches))
        }
    }
}

extension ViewCheck {
    /// `{"view", "matches", "checkpoint", "head", "stored", "fresh"}`, as `verify` answers it.
    public var json: JSONValue {
        [
            "view": .string(view.rawValue), "matches": .bool(matches), "checkpoint": .int(Int64(clamping: checkpoint)),
            "head": .int(Int64(clamping: head)),
            "stored": .string(stored), "fresh": .string(fresh),
        ]
    }
}
