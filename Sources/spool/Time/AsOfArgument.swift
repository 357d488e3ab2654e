import ArgumentParser
import JSON

/// `--as-of`: a seq (a non-negative integer), or a time in any form `TimeArgument` takes,
/// standing for the last seq at or before it.
enum AsOfArgument: ExpressibleByArgument, Sendable {
    case seq(UInt64)
    case time(TimeArgument)

    init?(argument: String) {
        if let seq = UInt64(argument) {
            self = .seq(seq)
        } else if let time = TimeArgument(argument: argument) {
            self = .time(time)
        } else {
            return nil
        }
    }

    /// The protocol's `as_of`: an integer seq or an RFC 3339 string.
    var wire: JSONValue {
        switch self {
        case .seq(let seq): .int(Int64(clamping: seq))
        case .time(let time): .string(time.rfc3339)
        }
    }

    /// How the readable output names it: `seq 12` or the RFC 3339 time.
    var label: String {
        switch self {
        case .seq(let seq): "seq \(seq)"
        case .time(let time): time.rfc3339
        }
    }

    static let help = "Answer as of this seq or time: " + TimeArgument.forms + "."
}
