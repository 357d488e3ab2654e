/// A readable table: a header row and rows of cells, columns aligned.
///
/// Every column but the last is padded to its widest cell with two spaces between columns;
/// the last is never padded, so lines carry no trailing spaces. A cell holding newlines
/// continues on the following lines, in its own column (the audit's "what changed").
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: [String]) { self.headers = headers }

    mutating func append(_ row: [String]) { rows.append(row) }

    /// The rendered lines, each ending in a newline; an empty string when there are no rows
    /// (a header alone says nothing).
    func render() -> String {
        guard !rows.isEmpty else { return "" }
        let split = ([headers] + rows).map { row in row.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        }
        var widths = [Int](repeating: 0, count: headers.count)
        for row in split {
            for (column, lines) in row.enumerated() where column < widths.count {
                widths[column] = max(widths[column], lines.map(\.count).max() ?? 0)
            }
        }
        var out = ""
        for row in split {
            let height = row.map(\.count).max() ?? 1
            for line in 0..<height {
                var cells: [String] = []
                for (column, lines) in row.enumerated() {
                    let text = line < lines.count ? lines[line] : ""
                    let last = column == row.count - 1
                    cells.append(last ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0))
                }
                out += trimmingTrailingSpaces(cells.joined(separator: "  ")) + "\n"
            }
        }
        return out
    }

    private func trimmingTrailingSpaces(_ text: String) -> String {
        var text = text
        while text.last == " " { text.removeLast() }
        return text
    }
}
