import JSON

/// Readable `key: value` lines with the values aligned; nested objects are flattened into
/// dotted keys (`views.users-by-id.checkpoint`).
struct KeyValueList {
    var pairs: [(key: String, value: String)] = []

    init() {}

    /// The members of `object` (without `ok` and `id`), nested objects flattened.
    init(flattening object: JSONObject) {
        for member in object.members where member.key != "ok" && member.key != "id" { add(member.key, member.value) }
    }

    mutating func append(_ key: String, _ value: String) { pairs.append((key, value)) }

    /// Adds `value` under `key`: a non-empty object as one line per member, anything else as
    /// its readable text.
    mutating func add(_ key: String, _ value: JSONValue) {
        if case .object(let object) = value, !object.isEmpty {
            for member in object.members { add("\(key).\(member.key)", member.value) }
        } else {
            append(key, Self.text(value))
        }
    }

    /// A value as a person reads it: strings bare, null and empty objects as `-`, lists of
    /// strings comma-separated, anything else as compact JSON.
    static func text(_ value: JSONValue) -> String {
        switch value {
        case .null: "-"
        case .object(let object) where object.isEmpty: "-"
        case .string(let string): string
        case .array(let items) where items.allSatisfy({ $0.stringValue != nil || $0.intValue != nil }):
            items.isEmpty ? "-" : items.map(text).joined(separator: ", ")
        default: value.jsonString
        }
    }

    func render() -> String {
        let width = (pairs.map(\.key.count).max() ?? 0) + 1
        return pairs.map { ($0.key + ":").padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.value }
            .map { line in
                var line = line
                while line.last == " " { line.removeLast() }
                return line + "\n"
            }
            .joined()
    }
}
