import LMDB

/// Keys of a name and a number: `name ‖ 0x00 ‖ number (u64 BE)`. Names hold no 0x00, so one
/// name's keys are adjacent and in number order (a stream's versions, a user's emails, a
/// subscription's seqs).
enum NameKey {
    /// Built in one allocation: the writer makes one per event.
    static func key(_ name: String, _ number: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(name.utf8.count + 9)
        append(name, number, to: &key)
        return key
    }

    /// Appends the key of `name` and `number` to `key`.
    static func append(_ name: String, _ number: UInt64, to key: inout [UInt8]) {
        key += name.utf8
        key.append(0)
        BigEndian.append(number, to: &key)
    }
}
