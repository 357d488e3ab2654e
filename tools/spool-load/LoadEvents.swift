import JSON

/// The events every mode sends: UserProfileUpdated whose data is `dataSize` bytes of JSON (250,
/// the size the performance budget is stated for), the same bytes to Spool (an `append` line)
/// and to Redis (the `data` field of an `XADD`, beside `stream` and `type`).
///
/// Each connection appends to its own few users (`streamsPerConnection`), like `spool-bench
/// append --streams own`; user ids have a fixed width, so every event has the same size.
/// Requests are encoded once per connection (streams × 10 name variants) and then cycled,
/// so building them costs the client nothing during a run.
struct LoadEvents: Sendable {
    let dataSize: Int
    let streamsPerConnection: Int
    /// Whether each event's attributes differ from the one before on its stream (`plan` names
    /// the variant), so that the server patches them rather than finding them restated.
    let changingAttributes: Bool
    private let filler: String

    /// The number of distinct events per stream (first names `Ada0` … `Ada9`).
    static let variants = 10

    init(dataSize: Int = 250, streamsPerConnection: Int = 4, changingAttributes: Bool = false) {
        self.dataSize = dataSize
        self.streamsPerConnection = streamsPerConnection
        self.changingAttributes = changingAttributes
        let bare = Self.data(userID: Self.userID(connection: 0, stream: 0), variant: 0, note: "", changingAttributes: changingAttributes)
            .jsonBytes.count
        filler = String(repeating: "x", count: max(0, dataSize - bare))
    }

    /// The fixed-width user id of stream `stream` of connection `connection`.
    static func userID(connection: Int, stream: Int) -> String {
        "c" + padded(connection, 4) + "-" + padded(stream, 2)
    }

    /// The data JSON of one event.
    func data(connection: Int, stream: Int, variant: Int) -> [UInt8] {
        Self.data(
            userID: Self.userID(connection: connection, stream: stream), variant: variant, note: filler,
            changingAttributes: changingAttributes
        ).jsonBytes
    }

    /// Spool `append` lines (with their `\n`) of `eventsPerAppend` events each, for every
    /// stream and variant of connection `connection`: request `i` is `lines[i % lines.count]`.
    func spoolAppends(connection: Int, eventsPerAppend: Int = 1) -> [[UInt8]] {
        requests(connection: connection) { stream, variant in
            let userID = Self.userID(connection: connection, stream: stream)
            let data = Self.data(userID: userID, variant: variant, note: filler, changingAttributes: changingAttributes)
            let event: JSONValue = ["type": "UserProfileUpdated", "data": data]
            let request: JSONValue = [
                "op": "append", "stream": .string("user-" + userID), "events": .array(Array(repeating: event, count: eventsPerAppend)),
            ]
            return request.jsonBytes + [0x0A]
        }
    }

    /// Redis `XADD key * stream user-… type UserProfileUpdated data {…}` commands in RESP,
    /// cycled like `spoolAppends`. With `eventsPerAppend` above 1, a request is that many
    /// `XADD`s between `MULTI` and `EXEC`, atomic like one Spool append of as many events.
    func redisAdds(connection: Int, key: String, eventsPerAppend: Int = 1) -> [[UInt8]] {
        requests(connection: connection) { stream, variant in
            let userID = Self.userID(connection: connection, stream: stream)
            let add = RESP.command([
                Array("XADD".utf8), Array(key.utf8), [UInt8(ascii: "*")], Array("stream".utf8), Array(("user-" + userID).utf8),
                Array("type".utf8), Array("UserProfileUpdated".utf8), Array("data".utf8),
                data(connection: connection, stream: stream, variant: variant),
            ])
            guard eventsPerAppend > 1 else { return add }
            let adds = Array(repeating: add, count: eventsPerAppend).joined()
            return RESP.command([Array("MULTI".utf8)]) + adds + RESP.command([Array("EXEC".utf8)])
        }
    }

    /// Stream-major within each variant: consecutive requests go to different streams.
    private func requests(connection: Int, _ make: (_ stream: Int, _ variant: Int) -> [UInt8]) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for variant in 0..<Self.variants {
            for stream in 0..<streamsPerConnection { lines.append(make(stream, variant)) }
        }
        return lines
    }

    private static func data(userID: String, variant: Int, note: String, changingAttributes: Bool) -> JSONValue {
        [
            "user_id": .string(userID),
            "email": .string(userID + "@example.com"),
            "first_name": .string("Ada\(variant % 10)"),
            "last_name": "Lovelace",
            "attributes": [
                "plan": .string(changingAttributes ? "pro\(variant % 10)" : "pro"), "city": "London", "company": "Analytical Engines Ltd",
                "referrer": "newsletter-2026-11", "note": .string(note),
            ],
        ]
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
