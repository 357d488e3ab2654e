import Foundation
import JSON

/// One frame of `spool top`, drawn from a `stats` answer as plain lines: no control codes, no
/// line wider than `width` (long names are cut with `…`), so it prints as is for `--once` and
/// is drawn in place by `LiveScreen` otherwise.
///
/// ```
/// spool top · 127.0.0.1:7172 · up 11s                                     21:21:58
/// events/s 0.0 · head seq 10 · connections 1
/// data 124 KiB of a 1.0 GiB map (0%)
///
/// SUBSCRIPTION                      LAG  IN FLIGHT  REDELIVER      DEAD  CONSUMERS
/// analytics-warehouse-ex…             5          0          0         0          0
/// crm                                 8          2          0         0          1
/// email projector: running, lag 0
///
/// VIEW                CHECKPOINT      BEHIND
/// users-by-id                 10           0
/// ```
struct TopScreen {
    /// Where the numbers come from: `127.0.0.1:7070`, or `data ./data`.
    var source: String
    /// Whether the header shows the uptime: false for a data directory opened by `spool`
    /// itself, whose "uptime" would only be how long `spool top` has run.
    var showsUptime = true
    /// The widest a line may be.
    var width = 80
    /// The most subscription rows drawn; the others are counted on one line (nil: all).
    var maxSubscriptions: Int?

    /// The widths of the numeric subscription columns, right-aligned; the name gets the rest.
    private static let columns = [("LAG", 12), ("IN FLIGHT", 9), ("REDELIVER", 9), ("DEAD", 8), ("CONSUMERS", 9)]

    /// The frame for the last `stats` answer (nil before the first one came), taken at
    /// `refreshed`; `problem` says why the latest refresh failed (nil when it did not), and
    /// `footer` ends the frame when given.
    func render(stats: JSONValue?, refreshed: Date?, problem: String? = nil, footer: String? = nil) -> [String] {
        var lines: [String] = []
        var header = "spool top · \(source)"
        if showsUptime, problem == nil, let uptime = stats?["uptime_seconds"].flatMap(Self.number) {
            header += " · up " + Self.duration(uptime)
        }
        let clock = refreshed.map(Self.clock) ?? ""
        let gap = width - header.count - clock.count
        lines.append(gap >= 2 ? header + String(repeating: " ", count: gap) + clock : header)
        if let problem {
            lines += Self.wrap("! " + problem, width: width, indent: "  ")
            if stats != nil, let refreshed { lines.append("  (the numbers below are from \(Self.clock(refreshed)))") }
        }
        if let stats { lines += body(stats) }
        if let footer { lines += ["", footer] }
        return lines.map(fit)
    }

    /// Throughput, storage, subscriptions, the email projector and the views.
    private func body(_ stats: JSONValue) -> [String] {
        let head = stats["head_seq"]?.uint64Value ?? 0
        let rate = stats["events_per_second"].flatMap(Self.number) ?? 0
        let connections = stats["connections"]?.uint64Value ?? 0
        var lines = ["events/s \(Self.rate(rate)) · head seq \(Self.grouped(head)) · connections \(Self.grouped(connections))"]
        let used = stats["data_bytes"]?.uint64Value ?? 0
        let map = stats["map_bytes"]?.uint64Value ?? 0
        let share = map > 0 ? " (\(Int((Double(used) / Double(map) * 100).rounded()))%)" : ""
        lines.append("data \(Self.bytes(used)) of a \(Self.bytes(map)) map\(share)")
        lines.append("")
        lines += subscriptionRows(stats["subscriptions"]?.arrayValue)
        if let emails = stats["email_projector"] {
            let running = emails["running"] == .bool(true) ? "running" : "not running"
            lines.append("email projector: \(running), lag \(Self.grouped(emails["lag"]?.uint64Value ?? 0))")
        }
        lines.append("")
        lines += viewRows(stats["views"]?.objectValue ?? [:], head: head)
        return lines
    }

    private func subscriptionRows(_ subscriptions: [JSONValue]?) -> [String] {
        guard let subscriptions else { return ["subscriptions: not reported by this server"] }
        guard !subscriptions.isEmpty else { return ["no subscriptions"] }
        let nameWidth = max(8, width - Self.columns.map { $0.1 + 2 }.reduce(0, +))
        func row(_ name: String, _ cells: [String]) -> String {
            var line = Self.cut(name, to: nameWidth).padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            for ((_, cellWidth), cell) in zip(Self.columns, cells) {
                line += "  " + String(repeating: " ", count: max(0, cellWidth - cell.count)) + cell
            }
            return line
        }
        var lines = [row("SUBSCRIPTION", Self.columns.map(\.0))]
        let shown = maxSubscriptions.map { min($0, subscriptions.count) } ?? subscriptions.count
        for subscription in subscriptions.prefix(shown) {
            let count = { (key: String) in Self.grouped(subscription[key]?.uint64Value ?? 0) }
            let lag = count("lag") + (subscription["lag_exact"] == .bool(false) ? "+" : "")
            lines.append(
                row(
                    subscription["name"]?.stringValue ?? "?",
                    [lag, count("in_flight"), count("waiting_redelivery"), count("dead_letters"), count("consumers")]))
        }
        if shown < subscriptions.count { lines.append("… and \(subscriptions.count - shown) more (spool subs lists them all)") }
        return lines
    }

    private func viewRows(_ views: JSONObject, head: UInt64) -> [String] {
        var lines = ["VIEW" + String(repeating: " ", count: 16) + "CHECKPOINT" + String(repeating: " ", count: 6) + "BEHIND"]
        for member in views.members where member.key != "rebuild" {
            let name = member.key
            let checkpoint = member.value["checkpoint"]?.uint64Value ?? 0
            let behind = head > checkpoint ? head - checkpoint : 0
            lines.append(
                Self.cut(name, to: 18).padding(toLength: 18, withPad: " ", startingAt: 0)
                    + Self.rightAligned(Self.grouped(checkpoint), 12) + Self.rightAligned(Self.grouped(behind), 12))
        }
        if let rebuild = views["rebuild"], rebuild["phase"]?.stringValue != "done" {
            let phase = rebuild["phase"]?.stringValue ?? "?"
            let done = rebuild["done"]?.uint64Value ?? 0
            let total = rebuild["total"]?.uint64Value ?? 0
            lines.append("rebuild: \(phase), \(Self.grouped(done)) of \(Self.grouped(total)) events")
        }
        return lines
    }

    /// `line`, cut to `width` with `…` when longer.
    private func fit(_ line: String) -> String { Self.cut(line, to: width) }

    static func cut(_ text: String, to width: Int) -> String {
        text.count <= width ? text : String(text.prefix(max(0, width - 1))) + "…"
    }

    static func rightAligned(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `text` broken at spaces into lines of at most `width` (at most four; the last cut),
    /// the lines after the first indented.
    static func wrap(_ text: String, width: Int, indent: String) -> [String] {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            let prefix = lines.isEmpty ? "" : indent
            if !line.isEmpty, prefix.count + line.count + 1 + word.count > width {
                lines.append(prefix + line)
                line = String(word)
            } else {
                line += (line.isEmpty ? "" : " ") + word
            }
        }
        if !line.isEmpty { lines.append((lines.isEmpty ? "" : indent) + line) }
        return lines.count <= 4 ? lines : Array(lines.prefix(3)) + [cut(lines[3...].joined(separator: " "), to: width)]
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .double(let double): double
        default: nil
        }
    }

    /// `1,234,567`.
    static func grouped(_ value: UInt64) -> String { ProgressBar.grouped(value) }

    /// Events per second: one decimal under 1,000, grouped whole numbers above.
    static func rate(_ value: Double) -> String {
        value >= 1000 ? grouped(UInt64(value.rounded())) : String(format: "%.1f", max(0, value))
    }

    /// `512 B`, `12.3 MiB`, `1.0 GiB`, `412 GiB`: binary units, three significant digits.
    static func bytes(_ value: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024, unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        return String(format: amount >= 100 ? "%.0f" : "%.1f", amount) + " " + units[unit]
    }

    /// `42s`, `5m 03s`, `1h 02m 05s`, `3d 04h 05m`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(max(0, seconds).rounded())
        let (days, hours, minutes, secs) = (total / 86_400, total / 3600 % 24, total / 60 % 60, total % 60)
        if days > 0 { return String(format: "%dd %02dh %02dm", days, hours, minutes) }
        if hours > 0 { return String(format: "%dh %02dm %02ds", hours, minutes, secs) }
        if minutes > 0 { return String(format: "%dm %02ds", minutes, secs) }
        return "\(secs)s"
    }

    /// The local time of day, `14:03:07`.
    static func clock(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "HH:mm:ss"
        return formatter.string(from: date)
    }
}
