/// What the server knows about one connection, passed to every request it sends.
///
/// Until authentication exists every connection acts as `anonymous`; the `auth` op will set
/// `principal` (and roles) here, and appends stamp it as `metadata.actor`.
public struct Session: Sendable {
    /// Who the connection acts as: stamped on every event it appends.
    public var principal: String
    /// The connection's push deliveries (`subscribe`); nil where nothing can be pushed.
    public var pushes: PushSubscriptions?

    /// A connection that has not authenticated.
    public static let anonymousPrincipal = "anonymous"

    public init(principal: String = Session.anonymousPrincipal, pushes: PushSubscriptions? = nil) {
        self.principal = principal
        self.pushes = pushes
    }
}
