import SpoolProtocol

/// The Prometheus text format (0.0.4) of a registry, with a `# HELP` line for each Spool metric.
///
/// Design: the swift-metrics facade carries no help text, so the registry writes only
/// `# TYPE name type` for a family; this puts `# HELP name text` (from `SpoolMetric`) right
/// before each such line of a Spool metric, which is where the format wants it. Rejected:
/// registering help through the registry directly (the registry stops the process when the
/// facade later asks for the same name with another help text, i.e. none).
public enum MetricsExposition {
    /// The media type of the text format, for `Content-Type`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `text` with `# HELP` added before the `# TYPE` line of every metric `SpoolMetric` knows;
    /// other lines are kept as they are, in their order. `text` is the registry's output:
    /// lines ending in `\n`.
    public static func addingHelp(to text: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count + 2_048)
        let typePrefix = Array("# TYPE ".utf8)
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            if line.starts(with: typePrefix) {
                let name = line.dropFirst(typePrefix.count).prefix { $0 != UInt8(ascii: " ") }
                if let metric = SpoolMetric(rawValue: String(decoding: name, as: UTF8.self)) {
                    output += Array("# HELP \(metric.rawValue) \(escapedHelp(metric.help))\n".utf8)
                }
            }
            output += line
            output.append(UInt8(ascii: "\n"))
        }
        return output
    }

    /// Help text escaped as the format requires: `\` as `\\`, a line feed as `\n`.
    static func escapedHelp(_ help: String) -> String {
        help.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }
}
