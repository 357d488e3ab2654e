/// What an append expects of its stream's current version; checked atomically by the writer.
public enum ExpectedVersion: Sendable, Equatable {
    /// No check (`"any"`).
    case any
    /// The stream must not exist yet (`"no_stream"`).
    case noStream
    /// The stream must have at least one event (`"exists"`).
    case exists
    /// The stream's last event must have this version (a number; 0 means no stream).
    case exact(UInt64)

    /// Whether a stream whose last version is `head` (0 when absent) satisfies this.
    public func isSatisfied(byHead head: UInt64) -> Bool {
        switch self {
        case .any: true
        case .noStream: head == 0
        case .exists: head > 0
        case .exact(let version): head == version
        }
    }

    /// The wire form: a number or one of the names.
    public var wireDescription: String {
        switch self {
        case .any: "any"
        case .noStream: "no_stream"
        case .exists: "exists"
        case .exact(let version): String(version)
        }
    }
}
