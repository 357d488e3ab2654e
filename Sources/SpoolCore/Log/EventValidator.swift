import JSON

/// Checks an event before anything is written: its type is known, its data follows the type's
/// schema, and it is appended to the stream its `user_id` names.
///
/// Design: one small field table per type (`table(of:)`), mirroring `schemas/events/<Type>.json` rule
/// for rule. `tools/check_schemas.py` runs `schemas/events/examples.json` through the schemas and
/// `EventValidatorTests` runs the same file through this code, so the two cannot drift apart
/// unnoticed. Each pattern in the schemas is one character class, checked here by hand over the
/// string's bytes or scalars. Rejected: a general JSON Schema evaluator at run time (much code, slow
/// on the hot path), a regex engine (Foundation stays off the hot path), and one hand-written
/// function per type (eleven copies of the same checks). Lengths count Unicode scalars, as JSON
/// Schema's `maxLength` counts code points. Fields not in a table are allowed and kept.
public enum EventValidator {
    /// The longest segment name, in bytes (the segment rule: 1-128 of A-Z a-z 0-9 . _ : -).
    public static let longestSegmentName = 128

    /// Returns the event's type when `data` satisfies its schema and `stream` is
    /// `<category>-<data.user_id>` (`user-…` for user events, `email-…` for email events).
    ///
    /// Throws `SpoolError(.invalidEvent, …)` whose message names the event by its 0-based `index`
    /// in the batch and its type, and names the field, e.g.
    /// `event 0 (UserCreated): field 'email' is required`. The caller refuses the whole append
    /// and writes nothing.
    public static func validate(
        type: String,
        data: JSONValue,
        stream: String,
        index: Int
    ) throws(SpoolError) -> EventType {
        // By its bytes: `EventType(rawValue:)` compares the name with each case's in turn,
        // through the standard library's string comparison (1% of the server's CPU per append).
        guard let eventType = EventType.named(utf8: type.utf8.span) else {
            throw .invalidEvent("event \(index): unknown event type '\(type)'")
        }
        var event: String { "event \(index) (\(type))" }  // for messages only: not built for a valid event
        guard case .object(let object) = data else {
            throw .invalidEvent("\(event): data must be an object, got \(data.typeName)")
        }
        // Each field is looked up once, first where the one before it was found plus one (the
        // tables list the fields in the order they are usually written): `user_id` and the
        // profile fields are noted on the way.
        var userID: String? = nil
        var otherFieldsPresent = 0
        var next = 0
        for field in table(of: eventType).fields {
            guard let value = object.value(of: field.name, hint: &next) else {
                if field.isRequired { throw .invalidEvent("\(event): field '\(field.name)' is required") }
                continue
            }
            if case .userID = field.kind { userID = value.stringValue } else { otherFieldsPresent += 1 }
            if field.isNullable, case .null = value { continue }
            if let problem = field.kind.problem(with: value, nullable: field.isNullable) {
                throw .invalidEvent("\(event): field '\(field.name)' \(problem)")
            }
        }
        if eventType == .userProfileUpdated && otherFieldsPresent == 0 {
            let names = profileFields.map { "'\($0)'" }.joined(separator: ", ")
            throw .invalidEvent("\(event): a profile update needs at least one of \(names)")
        }
        guard let userID else { throw .invalidEvent("\(event): field 'user_id' is required") }
        try check(stream: stream, of: eventType, userID: userID, index: index)
        return eventType
    }

    /// Throws `invalid_event` unless `stream` is the stream of the user `userID` for an event of
    /// type `type`, element `index` of its append.
    public static func check(stream: String, of type: EventType, userID: String, index: Int) throws(SpoolError) {
        guard type.isStream(stream, of: userID) else {
            throw .invalidEvent("event \(index) (\(type.rawValue)): data.user_id '\(userID)' does not match stream '\(stream)'")
        }
    }

    /// The fields of which a UserProfileUpdated must carry at least one (the schema's `anyOf`):
    /// all of its table's but `user_id`.
    static let profileFields = table(of: .userProfileUpdated).fields.map(\.name).filter { $0 != "user_id" }

    /// Every type's fixed fields, as in `schemas/events/<Type>.json`. A `switch`: the compiler
    /// checks that every type has its table, and finding one hashes nothing (a dictionary
    /// lookup was a tenth of a check).
    static func table(of type: EventType) -> Table {
        switch type {
        case .userCreated: Tables.userCreated
        case .userProfileUpdated: Tables.userProfileUpdated
        case .userJoinedSegment, .userLeftSegment: Tables.segmentChange
        case .userEmailPreferencesChanged: Tables.emailPreferences
        case .userDeleted: Tables.userDeleted
        case .emailGenerated: Tables.emailGenerated
        case .emailSent: Tables.emailSent
        case .emailBounced: Tables.emailBounced
        case .emailOpened: Tables.emailOpened
        case .emailClicked: Tables.emailClicked
        }
    }

    private enum Tables {
        static let userID = Field.required("user_id", .userID)
        static let emailID = Field.required("email_id", .emailID)
        static let name = Kind.string(minLength: 0, maxLength: 256)
        static let body = Kind.string(minLength: 0, maxLength: 1_048_576)
        static let reason = Kind.string(minLength: 0, maxLength: 1024)

        static let userCreated = Table([
            userID, .required("email", .email), .optional("first_name", name),
            .optional("last_name", name), .optional("segments", .segments), .optional("attributes", .object),
        ])
        static let userProfileUpdated = Table([
            userID, .nullable("email", .email), .nullable("first_name", name), .nullable("last_name", name),
            .optional("attributes", .object),
        ])
        static let segmentChange = Table([userID, .required("segment", .segment)])
        static let emailPreferences = Table([userID, .required("marketing", .boolean)])
        static let userDeleted = Table([userID, .optional("reason", reason)])
        static let emailGenerated = Table([
            emailID, userID, .required("template", .string(minLength: 1, maxLength: 256)),
            .required("category", .category), .required("to", .email),
            .required("subject", .string(minLength: 0, maxLength: 1024)), .required("text", body),
            .optional("html", body),
        ])
        static let emailSent = Table([emailID, userID, .optional("provider_id", .string(minLength: 1, maxLength: 256))])
        static let emailBounced = Table([emailID, userID, .optional("reason", reason)])
        static let emailOpened = Table([emailID, userID])
        static let emailClicked = Table([emailID, userID, .optional("url", .string(minLength: 1, maxLength: 2048))])
    }

    /// A type's fields, with their names as the text check matches them.
    struct Table: Sendable {
        let fields: [Field]
        let names: JSONReader.Names

        init(_ fields: [Field]) {
            self.fields = fields
            names = JSONReader.Names(fields.map(\.name))
        }
    }

    /// One row of a type's field table.
    struct Field: Sendable {
        let name: String
        let kind: Kind
        let isRequired: Bool
        /// `null` is accepted (and means "remove"), as in a profile update.
        let isNullable: Bool

        static func required(_ name: String, _ kind: Kind) -> Field {
            Field(name: name, kind: kind, isRequired: true, isNullable: false)
        }
        static func optional(_ name: String, _ kind: Kind) -> Field {
            Field(name: name, kind: kind, isRequired: false, isNullable: false)
        }
        static func nullable(_ name: String, _ kind: Kind) -> Field {
            Field(name: name, kind: kind, isRequired: false, isNullable: true)
        }
    }

    /// What a field's value must be; each case is one schema shape.
    enum Kind: Sendable {
        /// `^[A-Za-z0-9._:@-]{1,128}$`, so `user-<user_id>` is a clean stream name.
        case userID
        /// `^[A-Za-z0-9._:@-]{1,256}$`: at most 256 bytes, so it fits an LMDB key (511 bytes).
        case emailID
        /// A segment name, `^[A-Za-z0-9._:-]{1,128}$`.
        case segment
        /// An array of at most `maxMembers` unique segment names.
        case segments
        /// `^[^@\s]+@[^@\s]+$`, at most 320 characters.
        case email
        /// Any string within the length bounds.
        case string(minLength: Int, maxLength: Int)
        /// `"transactional"` or `"marketing"`.
        case category
        case boolean
        /// An object of at most `maxMembers` members.
        case object

        /// nil when `value` fits; otherwise the end of a sentence that starts with the field name.
        func problem(with value: JSONValue, nullable: Bool) -> String? {
            let expected: String
            switch (self, value) {
            case (.boolean, .bool): return nil
            case (.object, .object(let members)):
                return members.count <= Kind.maxMembers ? nil : "must have at most \(Kind.maxMembers) members, got \(members.count)"
            case (.boolean, _): expected = "a boolean"
            case (.object, _): expected = "an object"
            case (.segments, .array(let items)): return Kind.segmentsProblem(items)
            case (.segments, _): expected = "an array of segment names"
            case (_, .string(let string)): return stringProblem(string.utf8.span, string)
            case (_, _): expected = "a string"
            }
            return "must be \(expected)\(nullable ? " or null" : ""), got \(value.typeName)"
        }

        /// `problem(with:)` of a string, given as its UTF-8 `bytes` and, made only when the check
        /// needs it, as `string` (an email address that is not all ASCII).
        func stringProblem(_ bytes: Span<UInt8>, _ string: @autoclosure () -> String) -> String? {
            switch self {
            case .userID:
                Kind.isName(bytes, maxLength: 128, allowingAt: true)
                    ? nil : "must be 1-128 characters of A-Z a-z 0-9 . _ : @ - (no spaces)"
            case .emailID:
                Kind.isName(bytes, maxLength: 256, allowingAt: true)
                    ? nil : "must be 1-256 characters of A-Z a-z 0-9 . _ : @ - (no spaces)"
            case .segment:
                Kind.isName(bytes, maxLength: EventValidator.longestSegmentName, allowingAt: false) ? nil : Kind.segmentRule
            case .email:
                Kind.isEmail(bytes, string())
                    ? nil : "must be an email address: one '@' with text both sides, no spaces, at most 320 characters"
            case .string(let minLength, let maxLength):
                if bytes.isEmpty && minLength > 0 {
                    "must not be empty"
                } else if !Kind.fits(bytes, maxLength: maxLength) {
                    "must be at most \(maxLength) characters"
                } else {
                    nil
                }
            case .category:
                Kind.equals(bytes, "transactional") || Kind.equals(bytes, "marketing")
                    ? nil : "must be 'transactional' or 'marketing'"
            case .segments, .boolean, .object:
                nil  // not string kinds; `problem(with:)` handles them
            }
        }

        private static func equals(_ bytes: Span<UInt8>, _ word: String) -> Bool {
            bytes.bytes(bytes.indices, equal: word.utf8.span, 0..<word.utf8.count)
        }

        private static let segmentRule = "must be a segment name: 1-128 characters of A-Z a-z 0-9 . _ : -"

        /// The most segments (`segments`) or members (`object`) one event may carry: a user's view
        /// row folds them one by one on the writer thread.
        static let maxMembers = 1000

        private static func segmentsProblem(_ items: [JSONValue]) -> String? {
            guard items.count <= maxMembers else { return "must name at most \(maxMembers) segments, got \(items.count)" }
            var seen = Set<String>()
            for (position, item) in items.enumerated() {
                guard case .string(let segment) = item, isName(segment.utf8.span, maxLength: 128, allowingAt: false) else {
                    return "item \(position): \(segmentRule)"
                }
                if !seen.insert(segment).inserted { return "must name each segment once; '\(segment)' repeats" }
            }
            return nil
        }

        /// 1-`maxLength` bytes, each one of A-Z a-z 0-9 . _ : - (and @ when `allowingAt`). All
        /// ASCII, so bytes and characters count the same.
        static func isName(_ bytes: Span<UInt8>, maxLength: Int, allowingAt: Bool) -> Bool {
            guard (1...maxLength).contains(bytes.count) else { return false }
            for index in bytes.indices {
                switch bytes[index] {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
                    UInt8(ascii: ":"), UInt8(ascii: "-"):
                    continue
                case UInt8(ascii: "@") where allowingAt: continue
                default: return false
                }
            }
            return true
        }

        /// Exactly one `@`, something before and after it, no whitespace (Unicode White_Space, as
        /// the schema's `\s`), at most 320 characters. ASCII text is checked byte by byte, read
        /// where it lies; other text scalar by scalar (`isEmailScalars`).
        private static func isEmail(_ bytes: Span<UInt8>, _ string: @autoclosure () -> String) -> Bool {
            var at: Int? = nil
            for index in bytes.indices {
                let byte = bytes[index]
                if byte >= 0x80 { return isEmailScalars(string()) }
                if byte == UInt8(ascii: "@") {
                    guard at == nil else { return false }
                    at = index
                } else if isASCIIWhitespace(Unicode.Scalar(byte)) {
                    return false
                }
            }
            guard let at else { return false }
            return at > 0 && at < bytes.count - 1 && bytes.count <= 320
        }

        /// `isEmail` of text that is not all ASCII.
        private static func isEmailScalars(_ string: String) -> Bool {
            guard fits(string.utf8.span, maxLength: 320) else { return false }
            var atCount = 0
            var localCount = 0
            var domainCount = 0
            for scalar in string.unicodeScalars {
                if scalar == "@" {
                    atCount += 1
                } else if scalar.isASCII ? isASCIIWhitespace(scalar) : scalar.properties.isWhitespace {
                    return false
                } else if atCount == 0 {
                    localCount += 1
                } else {
                    domainCount += 1
                }
            }
            return atCount == 1 && localCount > 0 && domainCount > 0
        }

        /// The White_Space characters of ASCII: tab, line feed, vertical tab, form feed,
        /// carriage return and space (the property lookup costs more than the whole check).
        private static func isASCIIWhitespace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || (0x09...0x0D).contains(scalar.value)
        }

        /// At most `maxLength` Unicode scalars in the valid UTF-8 `bytes`: the byte count decides
        /// most cases, else the bytes that start a scalar are counted.
        private static func fits(_ bytes: Span<UInt8>, maxLength: Int) -> Bool {
            guard bytes.count > maxLength else { return true }
            var scalars = 0
            for index in bytes.indices where bytes[index] & 0xC0 != 0x80 { scalars += 1 }
            return scalars <= maxLength
        }
    }
}
