import ArgumentParser

/// `spool token …`: tokens for a server's configuration file.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Creates tokens for spoold's configuration file.", subcommands: [TokenNewCommand.self])
}
