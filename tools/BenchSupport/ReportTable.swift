import Foundation
import JSON

/// Prints results as they come: a readable table (one row per configuration, flushed at once so
/// a long run shows progress), then one JSON object per configuration, one per line, for scripts.
public final class ReportTable {
    private let columns: [(title: String, width: Int)]
    private var results: [JSONValue] = []

    public init(columns: [(title: String, width: Int)]) { self.columns = columns }

    /// Prints the header line and a rule under it.
    public func header() {
        line(columns.map(\.title))
        line(columns.map { String(repeating: "-", count: $0.width) })
    }

    /// Prints one row (`cells` in column order) and keeps `json` for `finish`.
    public func row(_ cells: [String], json: JSONValue) {
        line(cells)
        results.append(json)
    }

    /// Prints the JSON lines of every row so far.
    public func finish() {
        print("")
        for result in results { print(result.jsonString) }
        fflush(nil)  // all C streams: print() buffers when stdout is a pipe
    }

    private func line(_ cells: [String]) {
        var text = ""
        for (index, cell) in cells.enumerated() {
            let width = index < columns.count ? columns[index].width : cell.count
            let pad = String(repeating: " ", count: max(0, width - cell.count))
            text += index == 0 ? cell + pad : "  " + pad + cell  // first column left, numbers right
        }
        print(text)
        fflush(nil)  // all C streams: print() buffers when stdout is a pipe
    }
}

/// Number formatting for the tables.
public enum Format {
    /// `1234567.8` → `1,234,568`.
    public static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var out = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 && character != "-" { out.append(",") }
            out.append(character)
        }
        return String(out.reversed())
    }

    /// `value` with `places` decimals.
    public static func fixed(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }
}
