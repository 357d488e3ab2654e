import ArgumentParser

/// `--data DIR`: open a data directory in this process instead of asking a server.
struct DataOptions: ParsableArguments {
    @Option(
        name: [.customLong("data"), .customLong("data-dir")],
        help: ArgumentHelp(
            "Open this data directory instead of asking a server; read commands work beside a running server.",
            valueName: "dir"))
    var directory: String?
}
