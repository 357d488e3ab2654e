import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A full-screen view redrawn in place on the terminal (`spool top`), and the one place that
/// changes the terminal's modes and puts them back.
///
/// Design: `start` switches to the alternate screen buffer (the shell's screen comes back
/// untouched on exit), hides the cursor and, when stdin is a terminal, turns off canonical
/// mode and echo so single keys arrive unechoed without Enter; signals stay on, so Ctrl-C is
/// a SIGINT. SIGINT, SIGTERM and SIGHUP are taken from the default action (which would leave
/// the terminal in that state) and handled on a dispatch queue. Every way out goes through
/// `finish(_:)`, which restores the terminal and exits. Drawing and finishing share one
/// lock, so no frame is written after the terminal is restored. Rejected: `cfmakeraw` (it
/// turns off output processing and signals, so `\n` and Ctrl-C would need handling by hand);
/// reading keys with `poll` on the main task (a blocking read on its own thread is simpler).
///
/// Owner of its state: the `Mutex` inside (the refresh loop draws, the key thread and the
/// signal handlers finish).
final class LiveScreen: Sendable {
    /// Why the screen ended: the log field of `finish`, and the exit status.
    enum Ending: Sendable {
        /// The user pressed `q`: exit 0.
        case quitKey
        /// Ctrl-C (SIGINT): exit 0, it is the ordinary way to stop a live view.
        case interrupted
        /// SIGTERM or SIGHUP (the terminal went away): exit 128 + the signal.
        case signalled(Int32)

        var exitStatus: Int32 {
            switch self {
            case .quitKey, .interrupted: 0
            case .signalled(let signal): 128 + signal
            }
        }
    }

    private struct State {
        /// The terminal settings of stdin before `start`; nil when stdin is not a terminal.
        var savedMode: termios?
        var finished = false
    }

    private let state: Mutex<State>
    /// Kept alive for as long as the screen is: a released source stops delivering.
    private let signalSources: Mutex<[SignalSource]>

    /// A dispatch signal source, held to keep it alive. `@unchecked Sendable`: libdispatch
    /// objects are thread-safe, and this one is only stored, never used again.
    private struct SignalSource: @unchecked Sendable {
        let source: any DispatchSourceSignal
    }

    private static let enter = "\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J"
    private static let leave = "\u{1B}[?25h\u{1B}[?1049l"

    private init(savedMode: termios?) {
        state = Mutex(State(savedMode: savedMode))
        signalSources = Mutex([])
    }

    /// Takes over the terminal: alternate screen, no cursor, keys without Enter or echo,
    /// Ctrl-C and `q` handled (both end the process through `finish`). Call once; the
    /// terminal is restored whichever way the process ends through this type.
    static func start() -> LiveScreen {
        var saved = termios()
        let isTerminal = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved) == 0
        let screen = LiveScreen(savedMode: isTerminal ? saved : nil)
        screen.handleSignals()
        if isTerminal {
            var keys = saved
            keys.c_lflag &= ~tcflag_t(ICANON | ECHO)
            _ = tcsetattr(STDIN_FILENO, TCSANOW, &keys)
        }
        Terminal.write(Array(enter.utf8))
        if isTerminal { screen.readKeys() }
        return screen
    }

    /// Replaces the screen with `lines` (each cleared to the end of its line, then the rest of
    /// the screen cleared). Does nothing once finished.
    func draw(_ lines: [String]) {
        let frame = "\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\n") + "\u{1B}[J"
        state.withLock { state in
            guard !state.finished else { return }
            Terminal.write(Array(frame.utf8))
        }
    }

    /// Restores the terminal (main screen, cursor, the saved stdin mode) and exits with the
    /// ending's status. Safe from any thread: the first call exits, a later one (a `q` and a
    /// Ctrl-C at once) parks its thread while the first one ends the process.
    func finish(_ ending: Ending) -> Never {
        let first = state.withLock { state in
            guard !state.finished else { return false }
            state.finished = true
            Terminal.write(Array(Self.leave.utf8))
            if var saved = state.savedMode { _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
            return true
        }
        if first { Foundation.exit(ending.exitStatus) }
        while true { Thread.sleep(forTimeInterval: 3600) }
    }

    /// Ends on SIGINT, SIGTERM and SIGHUP instead of dying with the terminal changed.
    private func handleSignals() {
        let endings: [(Int32, Ending)] = [(SIGINT, .interrupted), (SIGTERM, .signalled(SIGTERM)), (SIGHUP, .signalled(SIGHUP))]
        let sources = endings.map { signalNumber, ending in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in finish(ending) }
            source.resume()
            return SignalSource(source: source)
        }
        signalSources.withLock { $0 = sources }
    }

    /// Reads stdin on its own thread; `q` (or `Q`) finishes the screen. End of input stops
    /// reading without ending the screen (Ctrl-C still does).
    private func readKeys() {
        let thread = Thread { [self] in
            while true {
                let bytes = FileHandle.standardInput.availableData
                if bytes.isEmpty { return }
                if bytes.contains(UInt8(ascii: "q")) || bytes.contains(UInt8(ascii: "Q")) { finish(.quitKey) }
            }
        }
        thread.start()
    }
}
