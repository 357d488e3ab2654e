/// A scrape in the Prometheus text format (0.0.4), parsed strictly, for tests.
///
/// Accepted lines: `# HELP name text`, `# TYPE name type`, and samples
/// `name{label="value",…} value [timestamp]`; nothing else (no other comments, no blank lines),
/// and every line ends in `\n`. Checked: metric and label names are valid; each family has at
/// most one HELP and one TYPE, both before its samples, and its lines are contiguous; every
/// sample belongs to a family with a TYPE (a histogram's `_bucket`, `_sum` and `_count` to
/// the histogram); no series appears twice; counters are not negative; a histogram's buckets
/// have `le`, never decrease, end in `+Inf`, and `+Inf` equals `_count`.
public struct PrometheusText: Sendable, Equatable {
    /// One series' value: its sample name (e.g. `x_bucket`), labels and value.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    /// A metric family: `# TYPE`, `# HELP` and its samples in order.
    public struct Family: Sendable, Equatable {
        public var name: String
        public var type: String
        public var help: String?
        public var samples: [Sample] = []
    }

    /// The families by name.
    public private(set) var families: [String: Family] = [:]

    /// Why a scrape is not valid text format: the line number (from 1) and the reason.
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Parses `text`; throws `ParseError` at the first line that breaks a rule above.
    public init(parsing text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw ParseError(line: 0, reason: "the last line has no line feed") }
        var pendingHelp: [String: String] = [:]
        var current: String? = nil
        var closed: Set<String> = []
        var seen: Set<String> = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            func fail(_ reason: String) -> ParseError { ParseError(line: number, reason: reason) }
            let line = String(rawLine)
            func enter(_ family: String) throws {
                if current != family {
                    if let current { closed.insert(current) }
                    if closed.contains(family) { throw fail("family \(family) continues after another one started") }
                    current = family
                }
            }
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                guard Self.isMetricName(name) else { throw fail("bad metric name '\(name)'") }
                try enter(name)
                if pendingHelp[name] != nil || families[name]?.help != nil { throw fail("second HELP for \(name)") }
                if let family = families[name], !family.samples.isEmpty { throw fail("HELP after samples of \(name)") }
                let help = String(rest.dropFirst(name.count + 1))
                if families[name] != nil { families[name]?.help = help } else { pendingHelp[name] = help }
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw fail("TYPE needs a name and a type") }
                let name = String(parts[0])
                guard Self.isMetricName(name) else { throw fail("bad metric name '\(name)'") }
                guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1]) else {
                    throw fail("unknown type '\(parts[1])'")
                }
                try enter(name)
                if families[name] != nil { throw fail("second TYPE for \(name)") }
                families[name] = Family(name: name, type: String(parts[1]), help: pendingHelp.removeValue(forKey: name))
            } else if line.hasPrefix("#") || line.isEmpty {
                throw fail("not a HELP, TYPE or sample line: '\(line)'")
            } else {
                let sample = try Self.sample(line, fail: fail)
                let family = familyName(of: sample.name)
                guard let family, let type = families[family]?.type else {
                    throw fail("sample \(sample.name) has no TYPE before it")
                }
                try enter(family)
                let key =
                    sample.name + "{" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                guard seen.insert(key).inserted else { throw fail("series \(key)} appears twice") }
                if type == "counter" && !(sample.value >= 0) { throw fail("counter \(sample.name) is \(sample.value)") }
                if type == "histogram" && sample.name == family + "_bucket" && sample.labels["le"] == nil {
                    throw fail("bucket without le")
                }
                families[family]?.samples.append(sample)
            }
        }
        if let name = pendingHelp.keys.first { throw ParseError(line: 0, reason: "HELP for \(name) without a TYPE") }
        for family in families.values where family.type == "histogram" { try Self.checkHistogram(family) }
    }

    /// The value of the series `name` with exactly `labels`; nil when absent.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        guard let family = familyName(of: name) else { return nil }
        return families[family]?.samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The family a sample name belongs to: itself, or a histogram it is a part of.
    private func familyName(of sample: String) -> String? {
        if families[sample] != nil { return sample }
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if families[base]?.type == "histogram" { return base }
        }
        return nil
    }

    private static func checkHistogram(_ family: Family) throws {
        var series: [String: [(le: Double, count: Double)]] = [:]
        var counts: [String: Double] = [:]
        func key(_ labels: [String: String]) -> String {
            labels.filter { $0.key != "le" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        }
        for sample in family.samples {
            if sample.name == family.name + "_bucket", let le = sample.labels["le"] {
                guard let bound = parseNumber(le) else { throw ParseError(line: 0, reason: "\(family.name): le '\(le)' is not a number") }
                series[key(sample.labels), default: []].append((bound, sample.value))
            } else if sample.name == family.name + "_count" {
                counts[key(sample.labels)] = sample.value
            }
        }
        for (labels, buckets) in series {
            let sorted = buckets.sorted { $0.le < $1.le }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.count < a.count {
                throw ParseError(line: 0, reason: "\(family.name){\(labels)}: bucket le=\(b.le) is below le=\(a.le)")
            }
            guard let last = sorted.last, last.le == .infinity else {
                throw ParseError(line: 0, reason: "\(family.name){\(labels)}: no +Inf bucket")
            }
            guard counts[labels] == last.count else {
                throw ParseError(line: 0, reason: "\(family.name){\(labels)}: _count differs from the +Inf bucket")
            }
        }
    }

    /// `name{labels} value [timestamp]`.
    private static func sample(_ line: String, fail: (String) -> ParseError) throws -> Sample {
        var rest = Substring(line)
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        guard isMetricName(name) else { throw fail("bad metric name '\(name)'") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = String(rest.prefix { $0 != "=" })
                guard isLabelName(label) else { throw fail("bad label name '\(label)'") }
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { throw fail("label \(label) has no =\"value\"") }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let character = rest.first else { throw fail("unterminated label value") }
                    rest = rest.dropFirst()
                    if character == "\"" { break }
                    if character == "\\" {
                        switch rest.first {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape in label value")
                        }
                        rest = rest.dropFirst()
                    } else {
                        value.append(character)
                    }
                }
                guard labels.updateValue(value, forKey: label) == nil else { throw fail("label \(label) twice") }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected , or } after a label") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("expected a space before the value") }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(fields.count), let value = parseNumber(String(fields[0])) else {
            throw fail("bad value in '\(line)'")
        }
        if fields.count == 2, Int64(fields[1]) == nil { throw fail("bad timestamp '\(fields[1])'") }
        return Sample(name: name, labels: labels, value: value)
    }

    /// A Go `ParseFloat` number as the format allows: digits, exponents, `+Inf`, `-Inf`, `NaN`.
    static func parseNumber(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard !text.isEmpty, text.allSatisfy({ "0123456789.eE+-".contains($0) }) else { return nil }
            return Double(text)
        }
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
