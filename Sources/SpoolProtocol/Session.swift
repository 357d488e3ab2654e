import SpoolCore

/// What the server knows about one connection, passed to every request it sends.
///
/// Without tokens configured every connection is `anonymous` with every role. With tokens, a
/// connection starts unauthenticated (it may send only `auth`); `auth` sets `principal` and
/// `roles`, and appends stamp the principal as `metadata.actor`. The connection's read loop
/// owns its session and hands each request a copy; an append read straight from its line
/// (`Dispatcher.Decoded.append`) gets only the session's `actor`.
public struct Session: Sendable {
    /// Who the connection acts as: stamped on every event it appends.
    public var principal: String { didSet { actor = ActorStamp(principal) } }
    /// `principal` as the appends stamp it, made once per principal, not once per event.
    public private(set) var actor: ActorStamp
    /// What the principal may do.
    public var roles: Set<Role> { didSet { granted = Role.mask(of: roles) } }
    /// `roles` as bits (`Role.bit`): `allows` runs for every request, and hashing the set's
    /// members is hashing their names.
    private var granted: UInt8
    /// False until `auth` succeeds on a server with tokens.
    public var isAuthenticated: Bool
    /// The connection's push deliveries (`subscribe`); nil where nothing can be pushed.
    public var pushes: PushSubscriptions?

    /// A connection that has not authenticated.
    public static let anonymousPrincipal = "anonymous"

    /// A session on a server without tokens: `anonymous`, every role.
    public init(principal: String = Session.anonymousPrincipal, pushes: PushSubscriptions? = nil) {
        self.principal = principal
        self.actor = ActorStamp(principal)
        self.roles = Set(Role.allCases)
        self.granted = Role.mask(of: roles)
        self.isAuthenticated = true
        self.pushes = pushes
    }

    /// A session of a new connection to a server with `tokens`: unauthenticated and without
    /// roles when tokens are configured, else as `init(pushes:)`.
    public static func opened(tokens: TokenTable, pushes: PushSubscriptions?) -> Session {
        var session = Session(pushes: pushes)
        if !tokens.isEmpty {
            session.roles = []
            session.isAuthenticated = false
        }
        return session
    }

    /// Whether this session may run an op with `access`.
    public func allows(_ access: Access) -> Bool {
        switch access {
        case .everyone: true
        case .authenticated: isAuthenticated
        case .role(let role): isAuthenticated && granted & (role.bit | Role.admin.bit) != 0
        }
    }
}
