/// The command line of a benchmark tool (`spool-bench`, `spool-load`), parsed by hand: `<command> [--name value | --name=value]…`.
///
/// Design: a benchmark tool takes a handful of numeric options, so a dictionary of raw strings
/// read through typed accessors is enough. Rejected: swift-argument-parser (one more dependency
/// for a tool whose options fit on one usage screen).
public struct Arguments {
    /// The subcommand (`help` when none was given).
    public let command: String
    private let options: [String: String]

    /// Splits `arguments` (without the program name) into the command and its options.
    /// Throws `UsageError` for a stray positional argument or an option without a value.
    public init(_ arguments: [String]) throws(UsageError) {
        guard let first = arguments.first, !first.hasPrefix("--") else {
            command = "help"
            options = [:]
            return
        }
        command = first
        var options: [String: String] = [:]
        var rest = arguments.dropFirst()[...]
        while let argument = rest.popFirst() {
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw UsageError("unexpected argument '\(argument)'")
            }
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                options[String(body[..<equals])] = String(body[body.index(after: equals)...])
            } else if let value = rest.first, !value.hasPrefix("--") {
                options[String(body)] = value
                rest = rest.dropFirst()
            } else {
                options[String(body)] = ""  // a flag
            }
        }
        self.options = options
    }

    /// Throws `UsageError` naming the first option that is not in `known`.
    public func check(known: Set<String>) throws(UsageError) {
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            throw UsageError("\(command): unknown option --\(unknown)")
        }
    }

    /// The raw text of `--name`, or nil when it was not given.
    public func string(_ name: String) -> String? { options[name] }

    /// Whether `--name` was given (as a flag or with a value).
    public func flag(_ name: String) -> Bool { options[name] != nil }

    /// `--name` as a positive integer (`_` allowed as a digit separator), or `fallback`.
    public func integer(_ name: String, default fallback: Int) throws(UsageError) -> Int {
        guard let text = options[name] else { return fallback }
        return try Self.integer(text, option: name, minimum: 1)
    }

    /// `--name` as a comma-separated list of integers of at least `minimum`, or `fallback`.
    public func integers(_ name: String, default fallback: [Int], minimum: Int = 1) throws(UsageError) -> [Int] {
        guard let text = options[name] else { return fallback }
        var values: [Int] = []
        for part in text.split(separator: ",") { values.append(try Self.integer(String(part), option: name, minimum: minimum)) }
        guard !values.isEmpty else { throw UsageError("--\(name): expected a comma-separated list of numbers") }
        return values
    }

    /// `--name` as a positive number of seconds (fractions allowed), or `fallback`.
    public func seconds(_ name: String, default fallback: Double) throws(UsageError) -> Double {
        guard let text = options[name] else { return fallback }
        guard let value = Double(text), value > 0, value.isFinite else {
            throw UsageError("--\(name): expected a positive number of seconds, got '\(text)'")
        }
        return value
    }

    private static func integer(_ text: String, option: String, minimum: Int) throws(UsageError) -> Int {
        guard let value = Int(String(text.filter { $0 != "_" })), value >= minimum else {
            throw UsageError("--\(option): expected an integer of at least \(minimum), got '\(text)'")
        }
        return value
    }
}

/// A command-line mistake; `main` prints it with the usage text and exits with status 2.
public struct UsageError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
