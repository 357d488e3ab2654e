import JSON

/// A user as the log tells it at some seq: the fold of the `user-<id>` stream.
///
/// Stored in the users-by-id view as its wire JSON (`U` in the protocol), so `get_user`
/// answers by splicing the stored bytes.
public struct UserView: Sendable, Equatable {
    public var userID: String
    public var email: String?
    public var firstName: String?
    public var lastName: String?
    public var attributes: JSONObject = [:]
    /// Segment names, sorted.
    public var segments: [String] = []
    /// False once the user opted out of marketing email.
    public var marketing = true
    public var deleted = false
    /// The stream version of the last event folded.
    public var version: UInt64 = 0
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var lastSeq: UInt64 = 0

    public init(userID: String, createdAt: Timestamp) {
        self.userID = userID
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// Folds one event of this user's stream. A user exists from the first event of its
    /// stream on; `UserCreated` starts the user afresh (a re-created user keeps nothing),
    /// `UserProfileUpdated` changes only the fields it names (`null` removes one), and
    /// `attributes` merge key by key. Events after `UserDeleted` still apply: the view says
    /// what the log says, and the deleted flag stays until a new `UserCreated`.
    public static func fold(_ user: UserView?, _ decoded: DecodedEvent) -> UserView {
        var user = user ?? UserView(userID: decoded.userID ?? "", createdAt: decoded.time)
        user.fold(decoded)
        return user
    }

    /// `fold`, in place: for a user held in a dictionary, changed where it lies.
    public mutating func fold(_ decoded: DecodedEvent) {
        let data = decoded.data
        switch decoded.type {
        case .userCreated:
            self = UserView(userID: userID, createdAt: decoded.time)
            email = data["email"]?.stringValue
            firstName = data["first_name"]?.stringValue
            lastName = data["last_name"]?.stringValue
            attributes = data["attributes"]?.objectValue ?? [:]
            segments = Array(Set((data["segments"]?.arrayValue ?? []).compactMap(\.stringValue))).sorted()
        case .userProfileUpdated:
            // Looked for in the order they are usually written, after `user_id`.
            var next = 1
            if let value = data.value(of: "email", hint: &next) { email = value.stringValue }
            if let value = data.value(of: "first_name", hint: &next) { firstName = value.stringValue }
            if let value = data.value(of: "last_name", hint: &next) { lastName = value.stringValue }
            if let patch = data.value(of: "attributes", hint: &next)?.objectValue { attributes.apply(patch: patch) }
        case .userJoinedSegment:
            if let segment = data["segment"]?.stringValue, !segments.contains(segment) {
                segments.append(segment)
                segments.sort()
            }
        case .userLeftSegment:
            if let segment = data["segment"]?.stringValue { segments.removeAll { $0 == segment } }
        case .userEmailPreferencesChanged:
            if let marketing = data["marketing"]?.boolValue { self.marketing = marketing }
        case .userDeleted:
            deleted = true
            segments = []
        default:
            break
        }
        version = decoded.version
        updatedAt = decoded.time
        lastSeq = decoded.seq
    }

    /// The wire form, `U` in the protocol, as values (for templates); `jsonBytes` is its text.
    public var json: JSONValue { (try? JSONParser.parse(jsonBytes)) ?? .null }

    /// The wire form, `U` in the protocol, in canonical JSON: what users-by-id stores and
    /// `get_user` sends. Written member by member, without building a tree (a rebuild
    /// serializes every user).
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(reserveCapacity: 256)
        write(to: &writer)
        return writer.bytes
    }

    /// Writes `jsonBytes` with `writer`.
    public func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.key(Keys.userID)
        writer.writeString(userID)
        Self.write(Keys.email, email, to: &writer)
        Self.write(Keys.firstName, firstName, to: &writer)
        Self.write(Keys.lastName, lastName, to: &writer)
        writer.key(Keys.attributes)
        writer.writeObject(attributes)
        writer.key(Keys.segments)
        writer.beginArray()
        for segment in segments { writer.writeString(segment) }
        writer.endArray()
        writer.key(Keys.marketing)
        writer.writeBool(marketing)
        writer.key(Keys.deleted)
        writer.writeBool(deleted)
        writer.key(Keys.version)
        writer.writeUInt(version)
        writer.key(Keys.createdAt)
        writer.writeUnescapedString { createdAt.appendRFC3339(to: &$0) }
        writer.key(Keys.updatedAt)
        writer.writeUnescapedString { updatedAt.appendRFC3339(to: &$0) }
        writer.key(Keys.lastSeq)
        writer.writeUInt(lastSeq)
        writer.endObject()
    }

    /// A string member that may be null. (A loop over a literal array of the three would
    /// allocate the array for every user written.)
    private static func write(_ key: JSONWriter.Key, _ value: String?, to writer: inout JSONWriter) {
        writer.key(key)
        writer.writeOptionalString(value)
    }

    /// The member names of `U`, encoded once.
    private enum Keys {
        static let userID = JSONWriter.Key("user_id")
        static let email = JSONWriter.Key("email")
        static let firstName = JSONWriter.Key("first_name")
        static let lastName = JSONWriter.Key("last_name")
        static let attributes = JSONWriter.Key("attributes")
        static let segments = JSONWriter.Key("segments")
        static let marketing = JSONWriter.Key("marketing")
        static let deleted = JSONWriter.Key("deleted")
        static let version = JSONWriter.Key("version")
        static let createdAt = JSONWriter.Key("created_at")
        static let updatedAt = JSONWriter.Key("updated_at")
        static let lastSeq = JSONWriter.Key("last_seq")
    }

    /// Reads the stored form back; nil when the bytes are not a user.
    public init?(json bytes: [UInt8]) {
        guard let object = try? JSONParser.parse(bytes).objectValue, let userID = object["user_id"]?.stringValue,
            let created = object["created_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:)),
            let updated = object["updated_at"]?.stringValue.flatMap(Timestamp.init(rfc3339:))
        else { return nil }
        self.init(userID: userID, createdAt: created)
        email = object["email"]?.stringValue
        firstName = object["first_name"]?.stringValue
        lastName = object["last_name"]?.stringValue
        attributes = object["attributes"]?.objectValue ?? [:]
        segments = (object["segments"]?.arrayValue ?? []).compactMap(\.stringValue)
        marketing = object["marketing"]?.boolValue ?? true
        deleted = object["deleted"]?.boolValue ?? false
        version = object["version"]?.uint64Value ?? 0
        updatedAt = updated
        lastSeq = object["last_seq"]?.uint64Value ?? 0
    }
}
