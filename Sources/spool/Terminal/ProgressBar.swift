import Foundation
import SpoolCore
import Synchronization

/// A progress bar on stderr with rate and ETA — drawn only when stderr is a terminal, so
/// pipes, files and tests see nothing extra.
///
/// `update` may be called from any thread and as often as wanted: it redraws at most ten
/// times a second. `finish` draws the final state and ends the line.
final class ProgressBar: Sendable {
    private struct State {
        var done: UInt64 = 0
        var total: UInt64?
        var items: UInt64 = 0
        var phase: String?
        /// When the current phase began: its ETA counts from there.
        var phaseStarted: ContinuousClock.Instant
        var lastDraw: ContinuousClock.Instant?
        var drawn = false
    }

    let label: String
    /// What `items` count, plural: "events"; empty to show only the elapsed time.
    let unit: String
    let enabled: Bool
    private let started = ContinuousClock.now
    private let state: Mutex<State>

    init(_ label: String, unit: String = "events", enabled: Bool = Terminal.isErrorTerminal) {
        self.label = label
        self.unit = unit
        self.enabled = enabled
        state = Mutex(State(phaseStarted: started))
    }

    /// Records progress: `done` of `total` (nil: unknown), `items` processed so far (the rate
    /// counts them; by default they are `done`), and the current phase of the work, if any.
    func update(done: UInt64, total: UInt64?, items: UInt64? = nil, phase: String? = nil) {
        guard enabled else { return }
        let now = ContinuousClock.now
        let line: String? = state.withLock { state in
            state.done = done
            state.total = total
            state.items = items ?? done
            if phase != state.phase {
                state.phase = phase
                state.phaseStarted = now
            }
            if let last = state.lastDraw, now - last < .milliseconds(100) { return nil }
            state.lastDraw = now
            state.drawn = true
            return render(state, now: now)
        }
        if let line { Terminal.writeError("\r\u{1B}[2K" + line) }
    }

    /// Draws the final state and ends the line (nothing when never drawn or disabled).
    func finish() {
        guard enabled else { return }
        let line: String? = state.withLock { state in state.drawn ? render(state, now: .now) : nil }
        if let line { Terminal.writeError("\r\u{1B}[2K" + line + "\n") }
    }

    private func render(_ state: State, now: ContinuousClock.Instant) -> String {
        let elapsed = (now - started).inSeconds
        var parts = [label + (state.phase.map { " (\($0))" } ?? "")]
        if let total = state.total, total > 0 {
            let fraction = min(1, Double(state.done) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            parts.append("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]")
            parts.append(String(format: "%3.0f%%", fraction * 100))
            if fraction > 0, fraction < 1 {
                let phaseElapsed = (now - state.phaseStarted).inSeconds
                parts.append("ETA " + Self.duration(phaseElapsed * (1 - fraction) / fraction))
            }
        }
        if !unit.isEmpty {
            parts.append("\(Self.grouped(state.items)) \(unit)")
            if elapsed > 0.2 { parts.append("\(Self.grouped(UInt64(Double(state.items) / elapsed)))/s") }
        }
        parts.append(Self.duration(elapsed))
        return parts.joined(separator: "  ")
    }

    /// `1:05` style minutes and seconds (`1:02:05` past an hour).
    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let (hours, minutes, secs) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0 ? String(format: "%d:%02d:%02d", hours, minutes, secs) : String(format: "%d:%02d", minutes, secs)
    }

    /// `1,234,567`.
    static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }
}
