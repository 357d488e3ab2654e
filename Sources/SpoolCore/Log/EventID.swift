import Foundation
import LMDB
import Synchronization

extension UUID {
    /// A UUIDv7 for `time`: 48 bits of Unix milliseconds, a 12-bit counter, then 62 random
    /// bits (RFC 9562, the counter in `rand_a`), so ids made later sort later. Spool gives one
    /// to every event appended without a client id. The random bits are taken 4 KiB at a time
    /// (`RandomBits`): a `getrandom` per id was ~6% of the writer's time.
    public static func version7(at time: Timestamp) -> UUID {
        let tail = randomBits.withLock { $0.next() }
        let counter = idCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let ms = UInt64(bitPattern: time.milliseconds) & 0xFFFF_FFFF_FFFF
        let high = ms << 16 | 0x7000 | UInt64(counter & 0x0FFF)
        let low = 0x8000_0000_0000_0000 | tail & 0x3FFF_FFFF_FFFF_FFFF
        return UUID(high: high, low: low)
    }

    /// The UUID whose bytes are `high` then `low`, big-endian.
    init(high: UInt64, low: UInt64) {
        func byte(_ word: UInt64, _ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * index)) }
        self.init(
            uuid: (
                byte(high, 0), byte(high, 1), byte(high, 2), byte(high, 3), byte(high, 4), byte(high, 5), byte(high, 6),
                byte(high, 7), byte(low, 0), byte(low, 1), byte(low, 2), byte(low, 3), byte(low, 4), byte(low, 5),
                byte(low, 6), byte(low, 7)
            ))
    }

    /// The first and last 8 bytes, big-endian.
    var halves: (high: UInt64, low: UInt64) {
        let u = uuid
        func word(_ b: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) -> UInt64 {
            UInt64(b.0) << 56 | UInt64(b.1) << 48 | UInt64(b.2) << 40 | UInt64(b.3) << 32 | UInt64(b.4) << 24
                | UInt64(b.5) << 16 | UInt64(b.6) << 8 | UInt64(b.7)
        }
        return (word((u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7)), word((u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15)))
    }

    /// Appends the 16 bytes, in RFC 9562 order, to `out`.
    public func appendBytes(to out: inout [UInt8]) {
        let (high, low) = halves
        BigEndian.append(high, to: &out)
        BigEndian.append(low, to: &out)
    }

    /// The counter of `version7` (its low 12 bits go into each id).
    private static let idCounter = Atomic<UInt16>(0)
    private static let randomBits = Mutex(RandomBits())

    /// Cryptographic randomness (`CryptoRandom`) taken 4 KiB at a time and handed out 64 bits
    /// at a time; each byte is used once. Falls back to the system generator if that fails.
    /// (Read from `/dev/urandom` instead, the kernel's ~3 ns a byte made ~3% of the writer's time.)
    private struct RandomBits {
        private var bytes: [UInt8] = []
        private var offset = 0

        mutating func next() -> UInt64 {
            if offset + 8 > bytes.count {
                bytes = CryptoRandom.bytes(4096) ?? []
                offset = 0
            }
            guard let value = BigEndian.uint64(bytes, at: offset) else {
                var system = SystemRandomNumberGenerator()
                return system.next()
            }
            offset += 8
            return value
        }
    }

    /// The UUID made of the first 16 of `bytes` (callers pass exactly 16).
    public init(bytes b: some Collection<UInt8>) {
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in b.prefix(16).enumerated() {
            if index < 8 { high |= UInt64(byte) << UInt64(56 - 8 * index) } else { low |= UInt64(byte) << UInt64(120 - 8 * index) }
        }
        self.init(high: high, low: low)
    }

    /// The 16 bytes, in RFC 9562 order.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16)
        appendBytes(to: &out)
        return out
    }

    /// The canonical lower-case text form.
    public var lowercasedString: String {
        var out: [UInt8] = []
        out.reserveCapacity(36)
        appendLowercased(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the canonical lower-case text form (`8-4-4-4-12` hex digits) to `out`.
    public func appendLowercased(to out: inout [UInt8]) { Self.appendLowercased(bytes[...], to: &out) }

    /// Appends the canonical text form of the UUID made of `bytes` (16 of them) to `out`.
    public static func appendLowercased(_ bytes: ArraySlice<UInt8>, to out: inout [UInt8]) {
        out.append(addingCapacity: 2 * bytes.count + 4) { text in
            for (offset, byte) in bytes.enumerated() {
                if offset == 4 || offset == 6 || offset == 8 || offset == 10 { text.append(UInt8(ascii: "-")) }
                text.append(Hex.digit(byte >> 4))
                text.append(Hex.digit(byte & 0x0F))
            }
        }
    }
}
