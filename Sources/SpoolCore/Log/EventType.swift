import LMDB

/// The event types Spool knows, by their wire name. Each has a schema in
/// `schemas/events/<Type>.json` and a field table in `EventValidator`; an append of any other
/// type is refused.
public enum EventType: String, CaseIterable, Sendable {
    /// A new user with an email address and optional profile.
    case userCreated = "UserCreated"
    /// A partial change to a user's profile; `null` removes a field.
    case userProfileUpdated = "UserProfileUpdated"
    /// The user joined a segment.
    case userJoinedSegment = "UserJoinedSegment"
    /// The user left a segment.
    case userLeftSegment = "UserLeftSegment"
    /// The user opted in to or out of marketing email.
    case userEmailPreferencesChanged = "UserEmailPreferencesChanged"
    /// The user was deleted.
    case userDeleted = "UserDeleted"
    /// The email projector rendered an email for the user.
    case emailGenerated = "EmailGenerated"
    /// An external sender handed the email to its provider.
    case emailSent = "EmailSent"
    /// The email bounced.
    case emailBounced = "EmailBounced"
    /// The recipient opened the email.
    case emailOpened = "EmailOpened"
    /// The recipient clicked a link in the email.
    case emailClicked = "EmailClicked"

    /// Every type with the UTF-8 of its wire name, for reading a stored record's type.
    private static let utf8Names = allCases.map { (type: $0, name: Array($0.rawValue.utf8)) }

    /// The type whose wire name is `utf8`, when Spool knows it. Allocates nothing: a replay
    /// asks this of every record, and validation of every appended event.
    static func named(utf8 name: Span<UInt8>) -> EventType? {
        candidates: for candidate in utf8Names where candidate.name.count == name.count {
            for index in 0..<name.count where candidate.name[index] != name[index] { continue candidates }
            return candidate.type
        }
        return nil
    }

    /// True for the `User…` types, which live on stream `user-<user_id>`.
    public var isUserEvent: Bool {
        switch self {
        case .userCreated, .userProfileUpdated, .userJoinedSegment, .userLeftSegment,
            .userEmailPreferencesChanged, .userDeleted:
            true
        case .emailGenerated, .emailSent, .emailBounced, .emailOpened, .emailClicked:
            false
        }
    }

    /// True for the `Email…` types, which live on stream `email-<user_id>`.
    public var isEmailEvent: Bool { !isUserEvent }

    /// The category of the stream the event must be appended to: `"user"` or `"email"`.
    public var streamCategory: String { isUserEvent ? "user" : "email" }

    /// Whether `stream` is the one an event of this type about `userID` must be appended to,
    /// `<category>-<userID>` (e.g. `user-42`): compared byte by byte, without building the name
    /// (validation asks this of every event).
    public func isStream(_ stream: String, of userID: String) -> Bool {
        let category = streamCategory
        let name = stream.utf8.span
        let head = category.utf8.span
        let tail = userID.utf8.span
        guard name.count == head.count + 1 + tail.count, name[head.count] == UInt8(ascii: "-") else { return false }
        for index in head.indices where name[index] != head[index] { return false }
        for index in tail.indices where name[head.count + 1 + index] != tail[index] { return false }
        return true
    }
}
