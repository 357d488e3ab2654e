/// A parsed JSON document, as small as the hot path needs.
///
/// Design: one enum, numbers split into `int` (any integer literal that fits `Int64`) and
/// `double` (everything else), objects keeping their keys in document order so that a value
/// written back out is byte-for-byte the canonical form of what was read (the event hash chain
/// depends on that). Rejected: Foundation's `JSONSerialization` (7 µs a line, `NSNumber` boxing)
/// and `Codable` on the hot path (9.8 µs a line).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// One member of a JSON object.
///
/// A struct, not a `(key, value)` tuple: an array of tuples is created and destroyed through
/// the runtime's generic tuple metadata (`tuple_destroy` showed in the server's profile,
/// freeing parsed requests); a struct has compiled value witnesses.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONValue

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON object with its keys in document order. Keys are unique (the parser refuses
/// duplicates). Lookup is linear: the objects Spool handles are small.
public struct JSONObject: Sendable, Equatable {
    public private(set) var members: [JSONMember]
    /// Where the parser read this object (`canonicalStart..<canonicalEnd` in its input), when
    /// the text there is exactly what `JSONWriter` writes for it; both 0 otherwise, and once
    /// the object is changed. See `canonicalText(in:)`.
    var canonicalStart: UInt32 = 0
    var canonicalEnd: UInt32 = 0

    public init() { members = [] }

    public init(_ members: [JSONMember]) { self.members = members }

    /// Equal members; where the objects were read does not matter.
    public static func == (a: JSONObject, b: JSONObject) -> Bool { a.members == b.members }

    /// The object's text as the parser read it from `source`, when that text is canonical
    /// (byte for byte what `JSONWriter` writes for the object: no whitespace, no escapes, no
    /// numbers but integers), so it can be copied instead of written again. nil otherwise, and
    /// once the object was changed. `source` must be the bytes the object was parsed from.
    public func canonicalText(in source: [UInt8]) -> ArraySlice<UInt8>? {
        let start = Int(canonicalStart)
        let end = Int(canonicalEnd)
        guard start < end, end <= source.count, source[start] == 0x7B, source[end - 1] == 0x7D else { return nil }  // { }
        return source[start..<end]
    }

    public var isEmpty: Bool { members.isEmpty }
    public var count: Int { members.count }
    public var keys: [String] { members.map(\.key) }

    /// The position of `key` among the members, nil when absent. Looked for first at `hint`:
    /// a caller that reads keys in the order they are usually written passes the position after
    /// the last one it found, and a key where it is expected costs one comparison (a key that
    /// is not costs a call into the standard library's string comparison).
    public func index(of key: String, hint: Int) -> Int? {
        if hint >= 0, hint < members.count, members[hint].key == key { return hint }
        // By position, each member's key read where it lies: a closure over the members took
        // each one, value and all, as a copy (a reference counted up and down per member).
        for position in members.indices where members[position].key == key { return position }
        return nil
    }

    /// The value for `key` found through `index(of:hint:)`, `hint` then moved past it: reading
    /// keys one after another in their usual order, each is looked for where the last ended.
    public func value(of key: String, hint: inout Int) -> JSONValue? {
        guard let position = index(of: key, hint: hint) else { return nil }
        hint = position + 1
        return members[position].value
    }

    /// The value for `key`, or nil when absent. Setting nil removes the key; setting a new key
    /// appends it at the end.
    public subscript(key: String) -> JSONValue? {
        get { members.first(where: { $0.key == key })?.value }
        set {
            (canonicalStart, canonicalEnd) = (0, 0)
            let index = members.firstIndex(where: { $0.key == key })
            switch (index, newValue) {
            case (let i?, let value?): members[i].value = value
            case (let i?, nil): members.remove(at: i)
            case (nil, let value?): members.append(JSONMember(key, value))
            case (nil, nil): break
            }
        }
    }
}

extension JSONObject {
    /// Applies `patch` as a profile update does: each member sets its key (a new key goes at the
    /// end, in the patch's order) and a `null` member removes it. Small objects member by member,
    /// looking first where the previous key was found, plus one (`index(of:hint:)`): a patch
    /// names its keys in the object's order as a rule (the object was made by patches like it).
    /// Past 64 key comparisons, through an index of the keys, in one pass over each object
    /// (member by member is O(n × m) for an object of n keys grown by patches of m, and the
    /// index costs more than it saves for the few attributes most users have).
    public mutating func apply(patch: JSONObject) {
        guard !patch.isEmpty else { return }
        guard members.count * patch.count > 64 else {
            (canonicalStart, canonicalEnd) = (0, 0)
            var next = 0
            // By position: `for member in patch.members` copied each member, counting a
            // reference of its key and value up and down.
            for position in patch.members.indices {
                switch (index(of: patch.members[position].key, hint: next), patch.members[position].value.isNull) {
                case (let index?, true):
                    members.remove(at: index)
                    next = index
                case (let index?, false):
                    members[index].value = patch.members[position].value
                    next = index + 1
                case (nil, true): break
                case (nil, false): members.append(patch.members[position])
                }
            }
            return
        }
        (canonicalStart, canonicalEnd) = (0, 0)
        var positions = Dictionary(members.indices.map { (members[$0].key, $0) }, uniquingKeysWith: { first, _ in first })
        var removed = Set<Int>()
        for member in patch.members {
            if let position = positions[member.key] {
                if member.value.isNull { removed.insert(position) } else { members[position].value = member.value }
            } else if !member.value.isNull {
                positions[member.key] = members.count
                members.append(member)
            }
        }
        if !removed.isEmpty { members = members.indices.filter { !removed.contains($0) }.map { members[$0] } }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { JSONMember($0.0, $0.1) })
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONMember($0.0, $0.1) }))
    }
    public init(nilLiteral: ()) { self = .null }
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension JSONValue {
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var intValue: Int64? { if case .int(let i) = self { i } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var isNull: Bool { if case .null = self { true } else { false } }

    /// A non-negative integer that fits `UInt64`, or nil.
    public var uint64Value: UInt64? {
        if case .int(let i) = self, i >= 0 { UInt64(i) } else { nil }
    }

    /// The member `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? { objectValue?[key] }

    /// The JSON type name used in error messages: "null", "boolean", "integer", "number",
    /// "string", "array", "object".
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
