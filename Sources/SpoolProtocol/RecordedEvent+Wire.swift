import Foundation
import JSON
import SpoolCore

extension RecordedEvent {
    /// Reads event `E` as `writeEvent` writes it (and `spool export` prints it), for an exact
    /// restore: seq, stream, version, type, id, time, data, metadata and hash. `data` and
    /// `metadata` are re-encoded canonically, which gives back the stored bytes; whether the
    /// id came from a client is left for `WriteContext.restore` to learn from the hash.
    /// Throws `bad_request` naming the first missing or malformed field.
    public init(exported value: JSONValue) throws(SpoolError) {
        guard case .object(let object) = value else { throw .badRequest("expected an event object, got \(value.typeName)") }
        func field<T>(_ name: String, _ read: (JSONValue) -> T?) throws(SpoolError) -> T {
            guard let raw = object[name], let parsed = read(raw) else { throw .badRequest("\(name): missing or malformed") }
            return parsed
        }
        let seq = try field("seq") { $0.uint64Value }
        let version = try field("version") { $0.uint64Value }
        let hash = try field("hash") { $0.stringValue.flatMap(Hex.decode) }
        guard seq > 0, version > 0, hash.count == 32 else { throw .badRequest("seq, version and hash: out of range") }
        self.init(
            seq: seq, id: try field("id") { $0.stringValue.flatMap(UUID.init(strictText:)) },
            stream: try field("stream") { $0.stringValue },
            version: version, type: try field("type") { $0.stringValue },
            time: try field("time") { $0.stringValue.flatMap(Timestamp.init(rfc3339:)) },
            metadata: try field("metadata") { value -> [UInt8]? in
                if case .object = value { return value.jsonBytes }
                return nil
            },
            data: try field("data") { $0.jsonBytes }, hasClientID: false, previousHash: [], hash: hash)
    }
}
