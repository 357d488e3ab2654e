import JSON
import SpoolCore

extension Dispatcher {
    static let authOperations: [Operation] = [
        Operation("auth", "authenticates the connection: token; the first line when the server has tokens", access: .everyone) {
            dispatcher, request, writer in try dispatcher.auth(&request, &writer)
        }
    ]

    /// `auth` → `principal` and `roles`. Sets the session's principal and roles when the token
    /// is one of the configured ones; an unknown token is `unauthorized` and leaves the session
    /// as it was. On a server without tokens every token is accepted as `anonymous`.
    func auth(_ request: inout Request, _ writer: inout JSONWriter) throws {
        let token = try request.fields.string("token")
        try request.fields.finish()
        if !tokens.isEmpty {
            guard let entry = tokens.authenticate(token) else {
                if let leftOut = refusedTokenLog.withLock({ $0.admit(atMilliseconds: MonotonicMilliseconds.now()) }) {
                    logger.notice("refused a token", metadata: ["op": "auth", "refusals_not_logged_since": "\(leftOut)"])
                }
                throw SpoolError(.unauthorized, "unknown token")
            }
            request.session.principal = entry.principal
            request.session.roles = entry.roles
            request.session.isAuthenticated = true
        }
        writer.key("principal")
        writer.writeString(request.session.principal)
        writer.key("roles")
        writer.beginArray()
        for role in request.session.roles.sorted() { writer.writeString(role.rawValue) }
        writer.endArray()
    }

    /// The refusal of `operation` for a session that may not run it.
    func refusal(of operation: Operation, for session: Session) -> SpoolError {
        guard session.isAuthenticated else {
            return SpoolError(.unauthorized, #"authenticate first: send {"op":"auth","token":"…"}"#)
        }
        let roles = session.roles.sorted().map(\.rawValue).joined(separator: ", ")
        let needed: String
        switch operation.access {
        case .role(let role): needed = "the \(role.rawValue) role"
        case .authenticated, .everyone: needed = "authentication"
        }
        return SpoolError(
            .unauthorized,
            "\(session.principal) (roles: \(roles.isEmpty ? "none" : roles)) may not run \(operation.name): it needs \(needed)")
    }
}
