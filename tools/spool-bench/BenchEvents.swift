import JSON
import SpoolCore

/// The events the benchmarks append: UserProfileUpdated whose data encodes to `dataSize`
/// bytes of JSON (~250, the size the performance budget is stated for).
///
/// User ids have a fixed width per run, so one filler length, measured once, brings every
/// event to the same size.
struct BenchEvents: Sendable {
    /// The target size of an event's data JSON in bytes.
    let dataSize: Int
    private let filler: String

    /// Sizes events for user ids as long as `sampleUserID`.
    init(dataSize: Int = 250, sampleUserID: String) {
        self.dataSize = dataSize
        let bare = Self.data(userID: sampleUserID, note: "").jsonBytes.count
        filler = String(repeating: "x", count: max(0, dataSize - bare))
    }

    /// An append of `count` profile updates to `user-<userID>`, numbered by `sequence`. Its
    /// events share one data object, built once per append: building a tree per event had
    /// been a fifth of the benchmark's CPU at 64 events per append, a client's cost that is
    /// not the engine's (which still validates every event). The events carry their data's
    /// canonical JSON, as spoold's do (it keeps the text a client sent when it is canonical):
    /// the engine copies it into each record instead of writing the tree again.
    func append(userID: String, sequence: Int, count: Int = 1) -> AppendRequest {
        var data = Self.data(userID: userID, note: filler)
        if case .object(var object) = data {
            object["first_name"] = .string("Ada\(sequence % 10)")  // same width, so same size
            data = .object(object)
        }
        let event = ProposedEvent(type: "UserProfileUpdated", data: data, canonicalData: data.jsonBytes[...])
        return AppendRequest(stream: "user-" + userID, events: Array(repeating: event, count: count))
    }

    private static func data(userID: String, note: String) -> JSONValue {
        [
            "user_id": .string(userID),
            "email": .string(userID + "@example.com"),
            "first_name": "Ada0",
            "last_name": "Lovelace",
            "attributes": [
                "plan": "pro", "city": "London", "company": "Analytical Engines Ltd",
                "referrer": "newsletter-2026-11", "note": .string(note),
            ],
        ]
    }

    /// The fixed-width user id of stream `index` owned by `submitter` ("own streams" runs).
    static func ownUserID(submitter: Int, index: Int) -> String {
        "s" + padded(submitter, 4) + "-" + padded(index, 2)
    }

    /// The fixed-width user id of user `index` of the shared population ("random streams" runs).
    static func sharedUserID(_ index: Int) -> String { "u" + padded(index, 7) }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// SplitMix64: a small, fast, seedable generator, so every lane draws its own reproducible
/// sequence without sharing state.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
