/// The short strings a parser made lately, kept to be handed out again: a request's member
/// names and its short values ("plan", "pro", "London") come back line after line, and a string
/// found here costs a lookup instead of validating and decoding its bytes again (~190
/// instructions in the standard library per string).
///
/// Guarantees: a string found is equal, byte for byte, to the one the parser would make; only
/// ASCII strings of at most 15 bytes without escapes are kept (a `String` holds those inline, so
/// handing one out allocates nothing and a slot keeps no storage alive). Direct-mapped, 256
/// slots: a new string takes its slot from whichever was there. One table per reader of a
/// stream of lines (a connection); it is not shared between threads.
/// Rejected: longer strings (they would need their bytes compared, and a kept one holds its
/// storage), and a table shared by connections (a lock, or atomics, per string).
public struct JSONStringTable: Sendable {
    private var slots: [Slot] = []

    private struct Slot: Sendable {
        /// The string's bytes packed little-endian, from the ninth on in `high`, with the
        /// length in `high`'s top byte.
        var low: UInt64
        var high: UInt64
        var string: String
    }

    static let slotCount = 256

    public init() {}

    /// The table, leaving an empty one in its place: a reader given the table then holds its
    /// only reference, and keeps strings in it without copying its slots first.
    mutating func take() -> JSONStringTable {
        let table = self
        self = JSONStringTable()
        return table
    }

    /// The string kept for the bytes packed as (`low`, `high`), or nil. Mutating only to be
    /// called in place: a reader's table looked up through an optional was copied first.
    @inline(__always)
    mutating func string(low: UInt64, high: UInt64) -> String? {
        guard !slots.isEmpty else { return nil }
        let slot = Self.slot(low: low, high: high)
        return slots[slot].low == low && slots[slot].high == high ? slots[slot].string : nil
    }

    /// Keeps `string`, whose bytes pack as (`low`, `high`), in place of its slot's string.
    mutating func keep(_ string: String, low: UInt64, high: UInt64) {
        if slots.isEmpty { slots = Array(repeating: Slot(low: 0, high: 0, string: ""), count: Self.slotCount) }
        slots[Self.slot(low: low, high: high)] = Slot(low: low, high: high, string: string)
    }

    /// A slot for the packed bytes, from their top bits after mixing.
    private static func slot(low: UInt64, high: UInt64) -> Int {
        Int(truncatingIfNeeded: mixed(low: low, high: high) >> 56)
    }

    /// One of 64 bits for the packed bytes, from their top bits after mixing: strings with
    /// different bits differ.
    static func bit(low: UInt64, high: UInt64) -> UInt64 {
        1 << (mixed(low: low, high: high) >> 58)
    }

    private static func mixed(low: UInt64, high: UInt64) -> UInt64 {
        (low ^ high &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
    }
}
