import ArgumentParser
import CJemalloc  // the allocator spoold uses (see Spoold.swift), for offline rebuilds and verify
import Foundation
import SpoolCore

/// `spool`: Spool's command-line tool. Asks a server (`--server`, `SPOOL_SERVER`) or opens a
/// data directory itself (`--data DIR`) and prints readable tables, or the raw protocol JSON
/// with `--json`.
///
/// Exit codes: 0 done; 1 the answer was an error (`code: message` on stderr) or `verify`
/// found damage; 2 the question could not be asked (no server, unreadable data or file);
/// 64 a usage error.
@main
struct Spool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Asks Spool about clients, now or in the past; appends, imports, exports, replays and verifies the log.",
        discussion: """
            Talks to a server (--server HOST:PORT or SPOOL_SERVER; default 127.0.0.1:7070; --token or SPOOL_TOKEN), \
            or opens a data directory itself with --data DIR (read commands work beside a running server; \
            write commands refuse while one holds the directory). Times: RFC 3339, a date (2026-11-01), now, \
            or relative to now (-90s, -30m, -2h, -7d, -1w).
            """,
        subcommands: [
            UserCommand.self, SegmentCommand.self, SegmentsCommand.self, EmailsCommand.self, PreviewCommand.self, AuditCommand.self,
            AppendCommand.self, ImportCommand.self, ExportCommand.self, TailCommand.self, ConsumeCommand.self,
            SubsCommand.self, RebuildCommand.self, VerifyCommand.self, DigestCommand.self, StatsCommand.self, TopCommand.self,
            TokenCommand.self,
        ])

    /// Also accepted before the subcommand (`spool --json user 42`); ArgumentParser hands
    /// the values to the subcommand's groups of the same type. `--data` is not here: it is
    /// the event's data for `append`.
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    /// Parses, runs, and turns every failure into a message on stderr and an exit code (see
    /// the type's doc); never returns to the caller with an error.
    static func main() async {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch let error as ServerError {
            Terminal.printError("spool: \(error.code): \(error.message)")
            Foundation.exit(1)
        } catch let failure as CLIFailure {
            Terminal.printError("spool: \(failure.message)")
            Foundation.exit(failure.exitCode)
        } catch let error as SpoolError {
            Terminal.printError("spool: \(error.message)")
            Foundation.exit(2)
        } catch {
            exit(withError: error)  // help requests and other errors of the argument parser
        }
    }
}
