import ArgumentParser
import SpoolCore

/// A time given on the command line, resolved here to a server time (sent as RFC 3339):
/// RFC 3339 (`2026-11-24T10:00:00Z`, offsets allowed), a date (`2026-11-01`, its midnight UTC),
/// `now`, or relative to now: `-90s`, `-30m`, `-2h`, `-7d`, `-1w`.
///
/// Relative forms use this machine's clock, so they are only as right as it is.
struct TimeArgument: ExpressibleByArgument, Sendable {
    let timestamp: Timestamp

    init(timestamp: Timestamp) { self.timestamp = timestamp }

    init?(argument: String) {
        guard let timestamp = Self.parse(argument, now: Timestamp.now()) else { return nil }
        self.timestamp = timestamp
    }

    /// The RFC 3339 text the protocol takes.
    var rfc3339: String { timestamp.rfc3339 }

    static var defaultCompletionKind: CompletionKind { .default }

    /// Parses any accepted form against `now`; nil for anything else.
    static func parse(_ text: String, now: Timestamp) -> Timestamp? {
        if text == "now" { return now }
        if let time = Timestamp(rfc3339: text) { return time }
        guard text.hasPrefix("-"), let unit = text.last, let amount = Int64(text.dropFirst().dropLast()), amount >= 0 else {
            return nil
        }
        let scale: Int64
        switch unit {
        case "s": scale = 1_000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        case "w": scale = 604_800_000
        default: return nil
        }
        let (offset, overflow) = amount.multipliedReportingOverflow(by: scale)
        guard !overflow, offset <= now.milliseconds + 62_135_596_800_000 else { return nil }
        return Timestamp(milliseconds: now.milliseconds - offset)
    }

    /// The help text's description of the accepted forms.
    static let forms = "RFC 3339, a date (2026-11-01), now, or relative (-30m, -2h, -7d)"
}
