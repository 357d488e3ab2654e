import ArgumentParser
import Foundation

/// `spool top`: a live dashboard of a server — head, throughput, connections, storage, every
/// subscription's lag, the email projector and the views — redrawn in place from `stats`
/// until `q` or Ctrl-C.
///
/// Each refresh asks `stats` once over one long-lived connection; when the server goes away
/// the screen says so and the next refresh connects again. `--once` prints one frame as
/// plain text and exits, for scripts.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Shows a live dashboard of the server: events/s, head, storage, subscription lag, email projector, views.",
        discussion: "Redraws every --interval seconds until q or Ctrl-C; keeps retrying while the server is unreachable.")

    @Option(help: ArgumentHelp("Seconds between refreshes (fractions allowed, from 0.1 to 3600).", valueName: "seconds"))
    var interval: Double = 1

    @Flag(help: "Print one frame as plain text, without terminal control codes, and exit.")
    var once = false

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
        guard interval >= 0.1, interval <= 3600 else {
            throw ValidationError("--interval must be from 0.1 to 3600 seconds, got \(interval)")
        }
    }

    func run() async throws {
        let source = try data.directory.map { "data \($0)" } ?? connection.address.description
        var screen = TopScreen(source: source, showsUptime: data.directory == nil, width: min(200, max(60, Terminal.columns)))
        if once {
            let stats = try await connection.withBackend(directory: data.directory, access: .read) { try await $0.call("stats") }
            return Terminal.write(Array((screen.render(stats: stats, refreshed: Date()).joined(separator: "\n") + "\n").utf8))
        }
        guard Terminal.isOutputTerminal else {
            throw CLIFailure("spool top draws on a terminal and stdout is not one; use --once to print one frame")
        }
        // Lines left for subscriptions once the rest of the frame is drawn ($LINES, else 24 rows).
        let rows = min(max(Int(ProcessInfo.processInfo.environment["LINES"] ?? "") ?? 24, 0), 10_000)
        screen.maxSubscriptions = max(3, rows - 16)
        let every = interval.truncatingRemainder(dividingBy: 1) == 0 ? "\(Int(interval))s" : "\(interval)s"
        let footer = "q or Ctrl-C quits · refreshes every \(every)"
        var poller = StatsPoller(
            connection: connection, directory: data.directory, timeout: .milliseconds(Int(max(2, interval * 2) * 1000)))
        let live = LiveScreen.start()
        while true {
            let problem = await poller.refresh().map { "\($0) (retrying every \(every))" }
            live.draw(screen.render(stats: poller.last?.stats, refreshed: poller.last?.at, problem: problem, footer: footer))
            try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
        }
    }
}
