import JSON
import SpoolCore

/// One decoded request line: its echoed `id`, its `op` and a reader over its other fields.
public struct Request: Sendable {
    /// The client's `id`, echoed in the response; nil when absent. Always a scalar.
    public let id: JSONValue?
    public let op: String
    /// The request's fields (without `id` and `op`).
    public var fields: FieldReader
    /// The connection the request came from; `auth` changes it.
    public var session: Session
    /// An `append` already read from its line (`AppendRequest.read(line:)`); `fields` is
    /// then empty.
    var append: AppendRequest?

    public init(id: JSONValue?, op: String, fields: FieldReader, session: Session) {
        self.id = id
        self.op = op
        self.fields = fields
        self.session = session
    }

    /// An `append` read from its line (`Dispatcher.Decoded.append`), as a request of `session`.
    public init(id: JSONValue?, op: String, append: AppendRequest, session: Session) {
        self.init(id: id, op: op, fields: FieldReader(JSONObject()), session: session)
        self.append = append
    }
}
