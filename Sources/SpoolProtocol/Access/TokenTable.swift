import LMDB
import SpoolCore

/// The configured tokens: each stored as the SHA-256 of the token, with the principal it
/// stands for and that principal's roles. The server never keeps a token itself.
///
/// Design: a presented token is hashed, then compared with every configured hash in constant
/// time, all of them, whether one matched early or not, so neither the position of a match nor
/// the number of matching leading bytes shows in the time `authenticate` takes. Rejected: a
/// dictionary keyed by hash (a lookup leaks timing of the hash comparison) and storing tokens
/// in clear (a leaked configuration file would give away every token).
public struct TokenTable: Sendable {
    /// One configured token.
    public struct Entry: Sendable, Equatable {
        /// The principal name, stamped as `metadata.actor` on what it appends.
        public var principal: String
        /// SHA-256 of the token's UTF-8 bytes, 32 bytes.
        public var sha256: [UInt8]
        public var roles: Set<Role>

        public init(principal: String, sha256: [UInt8], roles: Set<Role>) {
            self.principal = principal
            self.sha256 = sha256
            self.roles = roles
        }
    }

    public let entries: [Entry]

    public init(_ entries: [Entry] = []) { self.entries = entries }

    /// True when no token is configured: every connection is `anonymous` with every role.
    public var isEmpty: Bool { entries.isEmpty }

    /// The entry whose token is `token`; nil when none is. Constant time in the token's
    /// content (it depends only on the number of entries).
    public func authenticate(_ token: String) -> Entry? {
        let presented = Self.hash(token)
        var found: Entry? = nil
        for entry in entries where Self.constantTimeEqual(entry.sha256, presented) && found == nil {
            found = entry
        }
        return found
    }

    /// SHA-256 of the token's UTF-8 bytes.
    public static func hash(_ token: String) -> [UInt8] { SHA256Hasher.hash(Array(token.utf8)) }

    /// A new random token: `spool_` and 32 random bytes in hex (256 bits).
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "spool_" + Hex.encode(bytes)
    }

    /// Equal length and bytes, examining every byte whatever the first difference.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
