import Foundation
import LMDB
import Synchronization

extension UUID {
    /// A UUIDv7 for `time`: 48 bits of Unix milliseconds, a 12-bit counter, then 62 random
    /// bits (RFC 9562, the counter in `rand_a`), so ids made later sort later. Spool gives one
    /// to every event appended without a client id. The random bits come from the kernel
    /// 4 KiB at a time: a `getrandom` per id was ~6% of the writer's time.
    public static func version7(at time: Timestamp) -> UUID {
        let tail = randomBits.withLock { $0.next() }
        let counter = idCounter.wrappingAdd(1, ordering: .relaxed).newValue
        var bytes = [UInt8](repeating: 0, count: 16)
        let ms = UInt64(bitPattern: time.milliseconds)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> UInt64(40 - 8 * i)) }
        bytes[6] = 0x70 | UInt8(truncatingIfNeeded: counter >> 8) & 0x0F
        bytes[7] = UInt8(truncatingIfNeeded: counter)
        for i in 8..<16 { bytes[i] = UInt8(truncatingIfNeeded: tail >> UInt64(8 * (i - 8))) }
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUID(bytes: bytes)
    }

    /// The counter of `version7` (its low 12 bits go into each id).
    private static let idCounter = Atomic<UInt16>(0)
    private static let randomBits = Mutex(RandomBits())

    /// Kernel randomness (`/dev/urandom`) read 4 KiB at a time and handed out 64 bits at a
    /// time; each byte is used once. Falls back to the system generator if the read fails.
    private struct RandomBits {
        private let source = FileHandle(forReadingAtPath: "/dev/urandom")
        private var bytes: [UInt8] = []
        private var offset = 0

        mutating func next() -> UInt64 {
            if offset + 8 > bytes.count {
                bytes = ((try? source?.read(upToCount: 4096)) ?? nil).map { Array($0) } ?? []
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
        let a = Array(b.prefix(16)) + [UInt8](repeating: 0, count: max(0, 16 - b.count))
        self.init(uuid: (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]))
    }

    /// The 16 bytes, in RFC 9562 order.
    public var bytes: [UInt8] {
        let u = uuid
        return [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7, u.8, u.9, u.10, u.11, u.12, u.13, u.14, u.15]
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
