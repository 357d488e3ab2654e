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

    /// The role's bit in a mask of roles (`mask(of:)`).
    var bit: UInt8 {
        switch self {
        case .read: 1
        case .write: 2
        case .admin: 4
        }
    }

    static func mask(of roles: Set<Role>) -> UInt8 { roles.reduce(0) { $0 | $1.bit } }

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
