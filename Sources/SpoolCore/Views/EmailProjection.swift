import JSON
import LMDB

/// emails-by-user: every generated email of a user, with its delivery history.
///
/// ```
/// 0 emails     user ‖ 0x00 ‖ seq of EmailGenerated  → email JSON (see `EmailRecord`)
/// 1 email_ids  email id                             → the `emails` key
/// ```
/// Status events (sent, bounced, opened, clicked) append to the email's `history` with their
/// seq, so the status as of any seq is the last history entry at or before it.
enum EmailProjection {
    static let emails = 0, emailIDs = 1

    static func apply(_ decoded: DecodedEvent, to tables: some ViewTables) throws {
        guard let user = decoded.userID, let emailID = decoded.data["email_id"]?.stringValue else { return }
        let event = decoded.event
        if decoded.type == .emailGenerated {
            let key = rowKey(user: user, seq: event.seq)
            let cause = (try? JSONParser.parse(event.metadata))?["causation_id"] ?? .null
            var row: JSONObject = [
                "email_id": .string(emailID), "user_id": .string(user), "seq": .int(Int64(event.seq)),
                "template": decoded.data["template"] ?? .null, "category": decoded.data["category"] ?? .null,
                "to": decoded.data["to"] ?? .null, "subject": decoded.data["subject"] ?? .null,
                "generated_at": .string(event.time.rfc3339), "cause": cause, "history": [],
            ]
            row["event_id"] = .string(event.id.lowercasedString)
            try tables.put(emails, key, JSONValue.object(row).jsonBytes)
            try tables.put(emailIDs, Array(emailID.utf8), key)
            return
        }
        guard let status = EmailRecord.status(for: decoded.type), let key = try tables.get(emailIDs, Array(emailID.utf8)),
            let stored = try tables.get(emails, key), var row = try? JSONParser.parse(stored).objectValue
        else { return }
        var entry: JSONObject = ["status": .string(status), "seq": .int(Int64(event.seq)), "time": .string(event.time.rfc3339)]
        for field in ["provider_id", "reason", "url"] { if let value = decoded.data[field] { entry[field] = value } }
        row["history"] = .array((row["history"]?.arrayValue ?? []) + [.object(entry)])
        try tables.put(emails, key, JSONValue.object(row).jsonBytes)
    }

    static func rowKey(user: String, seq: UInt64) -> [UInt8] { NameKey.key(user, seq) }
}

/// The email row as a client sees it, as of a seq.
public enum EmailRecord {
    static func status(for type: EventType?) -> String? {
        switch type {
        case .emailSent: "sent"
        case .emailBounced: "bounced"
        case .emailOpened: "opened"
        case .emailClicked: "clicked"
        default: nil
        }
    }

    /// The stored row with its history cut at `asOf`, its `status` (the last entry, else
    /// "generated") and the time each status was first reported (`sent_at`, …).
    public static func render(_ stored: [UInt8], asOf: UInt64) -> JSONValue? {
        guard var row = try? JSONParser.parse(stored).objectValue else { return nil }
        let history = (row["history"]?.arrayValue ?? []).filter { ($0["seq"]?.uint64Value ?? .max) <= asOf }
        row["history"] = .array(history)
        row["status"] = history.last?["status"] ?? "generated"
        for status in ["sent", "bounced", "opened", "clicked"] {
            row["\(status)_at"] = history.first { $0["status"]?.stringValue == status }?["time"] ?? .null
        }
        return .object(row)
    }
}
