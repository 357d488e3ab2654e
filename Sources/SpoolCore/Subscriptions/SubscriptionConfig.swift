import JSON

/// A subscription's settings, fixed at creation (a second create with the same settings is a
/// no-op; with other settings it is refused).
public struct SubscriptionConfig: Sendable, Equatable {
    public var name: String
    /// Where delivery starts.
    public var start: Start
    public var filter: EventFilter
    /// How long a consumer holds an event before it is delivered again to anyone.
    public var ackTimeoutMilliseconds: Int64
    /// Deliveries after which an unacknowledged event moves to the dead letters.
    public var maxDeliveries: UInt32
    /// Most events leased at once across all consumers (nil: no limit beyond each fetch).
    public var maxInFlight: Int?

    public static let defaultAckTimeout: Int64 = 30_000
    public static let defaultMaxDeliveries: UInt32 = 5
    static let ackTimeouts: ClosedRange<Int64> = 100...86_400_000
    static let maxDeliveriesAllowed: ClosedRange<Int64> = 1...1000
    static let maxInFlightAllowed: ClosedRange<Int64> = 1...100_000

    /// Where a subscription starts.
    public enum Start: Sendable, Equatable {
        /// From seq 1.
        case beginning
        /// With the first event appended after creation.
        case end
        /// From this seq (inclusive).
        case seq(UInt64)
        /// With the first event after this time.
        case time(Timestamp)
    }

    public init(
        name: String, start: Start = .beginning, filter: EventFilter = .all, ackTimeoutMilliseconds: Int64 = defaultAckTimeout,
        maxDeliveries: UInt32 = defaultMaxDeliveries, maxInFlight: Int? = nil
    ) {
        self.name = name
        self.start = start
        self.filter = filter
        self.ackTimeoutMilliseconds = ackTimeoutMilliseconds
        self.maxDeliveries = maxDeliveries
        self.maxInFlight = maxInFlight
    }

    /// Nil when the settings are usable, else the `bad_request` message naming the field.
    public var problem: String? {
        let nameOK = !name.isEmpty && name.utf8.count <= 128 && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
        if !nameOK { return "name: 1 to 128 printable ASCII characters without spaces" }
        if !Self.ackTimeouts.contains(ackTimeoutMilliseconds) { return "ack_timeout_ms: between 100 and 86400000" }
        if !Self.maxDeliveriesAllowed.contains(Int64(maxDeliveries)) { return "max_deliveries: between 1 and 1000" }
        if let maxInFlight, !Self.maxInFlightAllowed.contains(Int64(maxInFlight)) { return "max_in_flight: between 1 and 100000" }
        return nil
    }

    /// The stored and wire form.
    public var json: JSONValue {
        var object: JSONObject = ["name": .string(name)]
        switch start {
        case .beginning: object["start"] = "beginning"
        case .end: object["start"] = "end"
        case .seq(let seq): object["start"] = .int(Int64(seq))
        case .time(let time): object["start"] = .string(time.rfc3339)
        }
        var filterObject: JSONObject = [:]
        if !filter.types.isEmpty { filterObject["types"] = .array(filter.types.sorted().map(JSONValue.string)) }
        if let prefix = filter.streamPrefix, !prefix.isEmpty { filterObject["stream_prefix"] = .string(prefix) }
        object["filter"] = .object(filterObject)
        object["ack_timeout_ms"] = .int(ackTimeoutMilliseconds)
        object["max_deliveries"] = .int(Int64(maxDeliveries))
        object["max_in_flight"] = maxInFlight.map { .int(Int64($0)) } ?? .null
        return .object(object)
    }

    /// Reads the stored form; nil when it is not a subscription. Settings out of range (which
    /// only damage can store) are clamped into range, so the subscription still loads.
    public init?(json: JSONValue) {
        guard let name = json["name"]?.stringValue else { return nil }
        let start: Start
        switch json["start"] {
        case .string("beginning"): start = .beginning
        case .string("end"): start = .end
        case .int(let seq) where seq >= 0: start = .seq(UInt64(seq))
        case .string(let text):
            guard let time = Timestamp(rfc3339: text) else { return nil }
            start = .time(time)
        default: return nil
        }
        let types = Set((json["filter"]?["types"]?.arrayValue ?? []).compactMap(\.stringValue))
        self.init(
            name: name, start: start, filter: EventFilter(types: types, streamPrefix: json["filter"]?["stream_prefix"]?.stringValue),
            ackTimeoutMilliseconds: Self.clamp(json["ack_timeout_ms"]?.intValue ?? Self.defaultAckTimeout, to: Self.ackTimeouts),
            maxDeliveries: UInt32(
                Self.clamp(json["max_deliveries"]?.intValue ?? Int64(Self.defaultMaxDeliveries), to: Self.maxDeliveriesAllowed)),
            maxInFlight: json["max_in_flight"]?.intValue.map { Int(Self.clamp($0, to: Self.maxInFlightAllowed)) })
    }

    private static func clamp(_ value: Int64, to range: ClosedRange<Int64>) -> Int64 {
        min(max(value, range.lowerBound), range.upperBound)
    }
}
