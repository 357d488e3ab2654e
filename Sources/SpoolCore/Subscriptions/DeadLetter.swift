import JSON

/// An event a subscription gave up on: it stays here, blocking the ack floor, until an
/// operator requeues it (delivered again) or purges it (counted as done).
public struct DeadLetter: Sendable, Equatable {
    public var seq: UInt64
    /// Why: `max_deliveries`.
    public var reason: String
    /// The last error text a consumer gave with its nack, or "ack timeout".
    public var lastError: String?
    public var deliveries: UInt32
    public var time: Timestamp

    public var json: JSONValue {
        .object([
            "seq": .int(Int64(clamping: seq)), "reason": .string(reason), "last_error": lastError.map(JSONValue.string) ?? .null,
            "deliveries": .int(Int64(deliveries)), "time": .string(time.rfc3339),
        ])
    }

    init?(seq: UInt64, json bytes: [UInt8]) {
        guard let object = try? JSONParser.parse(bytes).objectValue, let reason = object["reason"]?.stringValue,
            let time = object["time"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        else { return nil }
        self.init(
            seq: seq, reason: reason, lastError: object["last_error"]?.stringValue,
            deliveries: UInt32(clamping: object["deliveries"]?.intValue ?? 0), time: time)
    }

    init(seq: UInt64, reason: String, lastError: String?, deliveries: UInt32, time: Timestamp) {
        self.seq = seq
        self.reason = reason
        self.lastError = lastError
        self.deliveries = deliveries
        self.time = time
    }
}
