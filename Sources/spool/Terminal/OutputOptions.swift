import ArgumentParser

/// `--json`: print the protocol's JSON instead of readable text.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the raw response JSON (one object, or one event per line for streams of events).")
    var json = false
}
