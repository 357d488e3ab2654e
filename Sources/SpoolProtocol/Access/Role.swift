import Foundation

/// What a token lets its principal do. A token holds one or more roles; `admin` implies the
/// other two.
public enum Role: String, Sendable, CaseIterable, Comparable {
    /// Queries, reads of the log, and consuming subscriptions (fetch, subscribe, ack, nack).
    case read
    /// Appends.
    case write
    /// Subscription admin (create, delete, reset), dead-letter actions, rebuild and verify.
    case admin

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }

    /// Parses a comma-separated list such as `read,write`; nil when a name is unknown or the
    /// list is empty.
    public static func parseList(_ text: String) -> Set<Role>? {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let roles = names.compactMap(Role.init(rawValue:))
        guard !roles.isEmpty, roles.count == names.count else { return nil }
        return Set(roles)
    }
}

/// Who may run an op.
public enum Access: Sendable, Equatable {
    /// Anyone, before authenticating too: only `auth` itself.
    case everyone
    /// Any authenticated connection, whatever its roles (`ping`, `help`).
    case authenticated
    /// Connections whose principal holds this role (or `admin`).
    case role(Role)
}
