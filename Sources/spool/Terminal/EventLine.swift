import JSON

/// One event `E` as one readable line: `seq  time  stream@version  type  data`.
enum EventLine {
    static func render(_ event: JSONValue, prefix: String = "") -> String {
        let seq = KeyValueList.text(event["seq"] ?? .null)
        let time = KeyValueList.text(event["time"] ?? .null)
        let stream = "\(KeyValueList.text(event["stream"] ?? .null))@\(KeyValueList.text(event["version"] ?? .null))"
        let type = KeyValueList.text(event["type"] ?? .null)
        return [prefix + seq, time, stream, type, (event["data"] ?? .null).jsonString].joined(separator: "  ")
    }
}
