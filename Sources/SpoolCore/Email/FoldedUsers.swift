import Synchronization

/// The users the email projector folded last, each as of the newest of their events it
/// handled, so that a user's next event folds onto that instead of replaying the user's whole
/// stream (which cost O(n) per event, O(n²) over a user's history of n events).
///
/// Guarantees: `user(_:foldingIn:)` answers only for the event right after the one kept
/// (version v + 1 onto version v), so its fold is the as-of fold of the stream; for anything
/// else (a redelivery, a first event, a user pushed out) it answers nil and the caller replays.
/// At most `capacity` users are kept; past that the table starts over.
final class FoldedUsers: Sendable {
    private let users = Mutex<[String: UserView]>([:])
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// The user as of `decoded`, folded onto the kept fold of the version before it; nil when
    /// that is not what is kept.
    func user(_ userID: String, foldingIn decoded: DecodedEvent) -> UserView? {
        users.withLock { users in
            guard let previous = users[userID], previous.version + 1 == decoded.version else { return nil }
            return UserView.fold(previous, decoded)
        }
    }

    /// Keeps `user` as the newest fold of its stream.
    func keep(_ user: UserView) {
        users.withLock { $0.updateValue(user, forKey: user.userID, keepingAtMost: capacity) }
    }
}
