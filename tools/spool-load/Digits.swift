import NIOCore

/// Decimal numbers written straight into a buffer, without a `String` per number (acks carry
/// up to thousands of seqs).
enum Digits {
    /// Writes `value` in decimal.
    static func write(_ value: UInt64, into out: inout ByteBuffer) {
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        let start = out.writerIndex
        out.writeRepeatingByte(UInt8(ascii: "0"), count: count)
        rest = value
        for position in stride(from: start + count - 1, through: start, by: -1) {
            out.setInteger(UInt8(ascii: "0") + UInt8(rest % 10), at: position)
            rest /= 10
        }
    }
}
