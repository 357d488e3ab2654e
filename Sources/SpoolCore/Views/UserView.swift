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
    /// Held as text: a profile update patches it, and the row writes it, as it lies.
    public var attributes = JSONObjectText()
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

    /// `fold`, in place: for a user held in a dictionary, changed where it lies. A new user and
    /// a profile update are read from the data's text: no tree of values is made for the
    /// attributes, nor for the event (`DecodedEvent.dataText`).
    public mutating func fold(_ decoded: DecodedEvent) {
        switch decoded.type {
        case .userCreated:
            self = UserView(userID: userID, createdAt: decoded.time)
            let text = decoded.dataText
            for member in text.members {
                switch text.index(of: member.key, among: Self.dataNames) {
                case 0: email = text.string(member.value)
                case 1: firstName = text.string(member.value)
                case 2: lastName = text.string(member.value)
                case 3: attributes = JSONObjectText(text.text(of: member.value))
                case 4: segments = Array(Set(text.text(of: member.value).elements.compactMap(text.string))).sorted()
                default: continue
                }
            }
        case .userProfileUpdated:
            let text = decoded.dataText
            var members = text.members
            while let key = members.nextKey() {
                switch text.index(of: key, among: Self.dataNames) {
                case 0: email = text.string(members.skipValue())
                case 1: firstName = text.string(members.skipValue())
                case 2: lastName = text.string(members.skipValue())
                case 3 where text.kind(of: members.position..<text.range.upperBound) == UInt8(ascii: "{"):
                    // Read once, as the patch, which says where it ends.
                    members.resume(after: attributes.apply(patch: text.text(of: members.position..<text.range.upperBound)))
                default: _ = members.skipValue()
                }
            }
        case .userJoinedSegment:
            if let segment = decoded.data["segment"]?.stringValue, !segments.contains(segment) {
                segments.append(segment)
                segments.sort()
            }
        case .userLeftSegment:
            if let segment = decoded.data["segment"]?.stringValue { segments.removeAll { $0 == segment } }
        case .userEmailPreferencesChanged:
            if let marketing = decoded.data["marketing"]?.boolValue { self.marketing = marketing }
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

    /// The data members a new user or a profile update sets.
    private static let dataNames = JSONReader.Names(["email", "first_name", "last_name", "attributes", "segments"])

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
        writer.writeRaw(attributes.bytes[...])
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
        attributes = JSONObjectText(object["attributes"]?.objectValue ?? [:])
        segments = (object["segments"]?.arrayValue ?? []).compactMap(\.stringValue)
        marketing = object["marketing"]?.boolValue ?? true
        deleted = object["deleted"]?.boolValue ?? false
        version = object["version"]?.uint64Value ?? 0
        updatedAt = updated
        lastSeq = object["last_seq"]?.uint64Value ?? 0
    }
}
