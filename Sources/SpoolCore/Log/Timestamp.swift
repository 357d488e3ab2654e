/// A server time: milliseconds since 1970-01-01T00:00:00Z, written as RFC 3339 in UTC.
///
/// Formatting and parsing are done by hand (Howard Hinnant's civil-date algorithms): the
/// event path formats a time per event and Foundation's `ISO8601DateFormatter` costs ~2 µs.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var milliseconds: Int64

    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// The RFC 3339 text, always UTC with milliseconds: `2026-11-24T10:00:00.000Z`.
    public var description: String { rfc3339 }

    public var rfc3339: String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        appendRFC3339(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the RFC 3339 text (`rfc3339`) to `out`. A year of four digits (0 to 9999) goes
    /// out as 24 bytes written into room reserved once, two digits at a time (a user's row has
    /// two times, and writing them digit by digit through division loops was ~1,400
    /// instructions each); a wider or negative year digit by digit.
    public func appendRFC3339(to out: inout [UInt8]) {
        let days = Self.floorDiv(milliseconds, 86_400_000)
        let remainder = milliseconds % 86_400_000
        let ms = Int(remainder < 0 ? remainder + 86_400_000 : remainder)  // not `milliseconds - days * …`: overflows at the extremes
        let (year, month, day) = Self.civil(fromDays: days)
        guard (0...9999).contains(year) else { return appendWideRFC3339(year: year, month: month, day: day, ms: ms, to: &out) }
        out.append(addingCapacity: 24) { text in
            Self.appendTwoDigits(Int(year) / 100, to: &text)
            Self.appendTwoDigits(Int(year) % 100, to: &text)
            text.append(UInt8(ascii: "-"))
            Self.appendTwoDigits(Int(month), to: &text)
            text.append(UInt8(ascii: "-"))
            Self.appendTwoDigits(Int(day), to: &text)
            text.append(UInt8(ascii: "T"))
            Self.appendTwoDigits(ms / 3_600_000, to: &text)
            text.append(UInt8(ascii: ":"))
            Self.appendTwoDigits(ms / 60_000 % 60, to: &text)
            text.append(UInt8(ascii: ":"))
            Self.appendTwoDigits(ms / 1000 % 60, to: &text)
            text.append(UInt8(ascii: "."))
            text.append(UInt8(ascii: "0") + UInt8(ms % 1000 / 100))
            Self.appendTwoDigits(ms % 100, to: &text)
            text.append(UInt8(ascii: "Z"))
        }
    }

    /// `value` (0 to 99) as two digits.
    private static func appendTwoDigits(_ value: Int, to text: inout OutputSpan<UInt8>) {
        text.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10))
        text.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
    }

    /// `appendRFC3339` for a year below 0 or above 9999, digit by digit.
    private func appendWideRFC3339(year: Int64, month: Int64, day: Int64, ms: Int, to out: inout [UInt8]) {
        /// `value` in at least `width` digits, most significant first; only a year can be
        /// negative or wider.
        func pad(_ value: Int64, _ width: Int) {
            if value < 0 { out.append(UInt8(ascii: "-")) }
            var rest = value.magnitude
            var divisor: UInt64 = 1
            var digits = 1
            while digits < width || rest / divisor >= 10 {
                divisor *= 10
                digits += 1
            }
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        let msOfDay = Int64(ms)
        pad(year, 4)
        out.append(UInt8(ascii: "-"))
        pad(month, 2)
        out.append(UInt8(ascii: "-"))
        pad(day, 2)
        out.append(UInt8(ascii: "T"))
        pad(msOfDay / 3_600_000, 2)
        out.append(UInt8(ascii: ":"))
        pad(msOfDay / 60_000 % 60, 2)
        out.append(UInt8(ascii: ":"))
        pad(msOfDay / 1000 % 60, 2)
        out.append(UInt8(ascii: "."))
        pad(msOfDay % 1000, 3)
        out.append(UInt8(ascii: "Z"))
    }

    /// The times whose RFC 3339 text has a four-digit year: 0000-01-01 to 9999-12-31 UTC.
    /// Parsing accepts only these, so every time it returns is written back as text it parses
    /// (an offset could otherwise carry `0000-01-01T00:00:00+00:01` into the year −1).
    public static let fourDigitYears: ClosedRange<Int64> = -62_167_219_200_000...253_402_300_799_999

    /// Parses RFC 3339 (`2026-11-24T10:00:00Z`, fractions and `±hh:mm` offsets allowed) or a
    /// bare date (`2026-11-24`, meaning its midnight UTC). Returns nil for anything else, and
    /// for a time outside `fourDigitYears`.
    public init?(rfc3339 text: String) {
        let b = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var value: Int64 = 0
            for byte in b[from..<from + count] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), b.count >= 10, b[4] == 45, b[7] == 45,
            let month = number(5, 2), let day = number(8, 2), (1...12).contains(month),
            day >= 1, day <= Self.daysIn(month: month, year: year)
        else { return nil }
        var ms = Self.days(fromCivil: year, month, day) * 86_400_000
        if b.count == 10 {
            self.milliseconds = ms
            return
        }
        guard b.count >= 20, b[10] == 84 || b[10] == 116 || b[10] == 32, b[13] == 58, b[16] == 58,
            let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
            hour < 24, minute < 60, second < 61
        else { return nil }
        ms += (hour * 3600 + minute * 60 + min(second, 59)) * 1000
        var i = 19
        if b[i] == 46 {  // fraction: keep milliseconds, ignore finer digits
            i += 1
            var scale: Int64 = 100
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                ms += Int64(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 {  // Z
            guard i + 1 == b.count else { return nil }
        } else if b[i] == 43 || b[i] == 45, i + 6 == b.count, b[i + 3] == 58,
            let offsetHours = number(i + 1, 2), let offsetMinutes = number(i + 4, 2), offsetHours < 24, offsetMinutes < 60
        {
            let offset = (offsetHours * 60 + offsetMinutes) * 60_000
            ms += b[i] == 43 ? -offset : offset
        } else {
            return nil
        }
        guard Self.fourDigitYears.contains(ms) else { return nil }
        self.milliseconds = ms
    }

    /// `a / b` rounded down, for `b > 0`; no step can overflow, whatever `a` is.
    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a % b < 0 ? a / b - 1 : a / b }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
