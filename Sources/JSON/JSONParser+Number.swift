/// Number scanning. The grammar is checked byte by byte while the digits are accumulated into
/// a `UInt64` mantissa and a decimal exponent:
/// - an integer literal that fits `Int64` is returned from the mantissa directly;
/// - otherwise, when the mantissa is at most 2^53 and the exponent within ±22, both are exact
///   doubles and one multiplication or division is correctly rounded (Clinger's fast path);
/// - everything else goes through the standard library's correctly rounded `Double(String)`.
/// Rejected: always using `Double(String)` (an allocation-free but ~100 ns detour per number).
extension JSONParser.Scanner {
    /// Parses the number starting at `index` (a `-` or a digit).
    /// Throws on a leading zero, a missing digit, or a value whose `Double` is infinite.
    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var i = index
        let negative = bytes[i] == 0x2D
        if negative { i += 1 }

        var mantissa: UInt64 = 0
        var overflow = false  // mantissa lost digits: only the slow path is exact
        var exponent = 0  // the value is mantissa × 10^exponent while !overflow

        // Integer part: 0 | [1-9][0-9]*
        guard i < endIndex else { throw unexpected(at: i) }
        if bytes[i] == 0x30 {
            i += 1
            if i < endIndex, Self.isDigit(bytes[i]) {
                throw JSONParseError(offset: i, reason: "leading zero in number")
            }
        } else if Self.isDigit(bytes[i]) {
            while i < endIndex, Self.isDigit(bytes[i]) {
                if !overflow { overflow = !Self.accumulate(bytes[i], into: &mantissa) }
                i += 1
            }
        } else {
            throw unexpected(at: i)
        }

        var isInteger = true
        // Fraction: \.[0-9]+
        if i < endIndex, bytes[i] == 0x2E {
            isInteger = false
            i += 1
            guard i < endIndex, Self.isDigit(bytes[i]) else { throw missingDigit(at: i, after: "'.'") }
            while i < endIndex, Self.isDigit(bytes[i]) {
                if !overflow {
                    overflow = !Self.accumulate(bytes[i], into: &mantissa)
                    exponent -= 1
                }
                i += 1
            }
        }

        // Exponent: [eE][+-]?[0-9]+
        if i < endIndex, bytes[i] | 0x20 == 0x65 {
            isInteger = false
            i += 1
            var exponentNegative = false
            if i < endIndex, bytes[i] == 0x2B || bytes[i] == 0x2D {
                exponentNegative = bytes[i] == 0x2D
                i += 1
            }
            guard i < endIndex, Self.isDigit(bytes[i]) else { throw missingDigit(at: i, after: "exponent") }
            var written = 0  // capped: past 100,000 only the slow path decides, and it cannot overflow
            while i < endIndex, Self.isDigit(bytes[i]) {
                if written < 100_000 { written = written * 10 + Int(bytes[i] &- 0x30) }
                i += 1
            }
            exponent += exponentNegative ? -written : written
        }
        index = i

        if isInteger, !overflow {
            if negative, mantissa <= UInt64(Int64.max) + 1 { return .int(Int64(truncatingIfNeeded: 0 &- mantissa)) }
            if !negative, mantissa <= UInt64(Int64.max) { return .int(Int64(mantissa)) }
        }
        if !overflow, mantissa <= 1 << 53, (-22...22).contains(exponent) {
            let scale = Self.exactPowersOf10[abs(exponent)]
            let magnitude = exponent < 0 ? Double(mantissa) / scale : Double(mantissa) * scale
            return .double(negative ? -magnitude : magnitude)
        }
        // Slow path; the grammar is already checked, so `Double` only fails by overflowing.
        guard let value = Double(String(decoding: bytes[start..<i], as: UTF8.self)), value.isFinite else {
            throw JSONParseError(offset: start, reason: "number out of range")
        }
        return .double(value)
    }

    /// 10^0 … 10^22: every one is exact in a `Double`.
    private static let exactPowersOf10: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    private static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }

    /// mantissa = mantissa × 10 + digit; false (mantissa unchanged) when that overflows.
    private static func accumulate(_ digit: UInt8, into mantissa: inout UInt64) -> Bool {
        let (times10, overflow1) = mantissa.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit &- 0x30))
        guard !overflow1, !overflow2 else { return false }
        mantissa = sum
        return true
    }

    private func missingDigit(at offset: Int, after what: String) -> JSONParseError {
        guard offset < endIndex else { return unexpected(at: offset) }
        return JSONParseError(offset: offset, reason: "expected a digit after \(what)")
    }
}
