import JSON
import SpoolCore

/// Reads the fields of one request object (or a nested object) into typed values, throwing
/// `bad_request` whose message starts with the field's full path, e.g.
/// `events[0].type: expected a string, got integer`.
///
/// Every field read is remembered, so `finish()` can refuse the fields nobody asked for: a
/// typo such as `limt` is an error, not a silently ignored option.
public struct FieldReader: Sendable {
    public let object: JSONObject
    /// The bytes `object` was parsed from (the request line), for `canonicalText(of:)`; empty
    /// when it was not parsed.
    public let source: [UInt8]
    /// Where this object sits: at `parent`, or, with an `index`, element `index` of the array
    /// at `parent`. `path` is made from them only for a message.
    private let parent: String
    private let index: Int?
    /// The names asked for, for the hint of `finish`'s error. A handful: an array is cheaper to
    /// fill than a set.
    private var read: [String]
    /// The members found so far, a bit per position in `object.members` (the first 64): `finish`
    /// checks them without comparing names.
    private var found: UInt64 = 0

    /// A reader over `object` at `path`, parsed from `source`; `alreadyRead` are fields
    /// handled elsewhere (the request's `id` and `op`).
    public init(_ object: JSONObject, path: String = "", alreadyRead: [String] = [], source: [UInt8] = []) {
        self.object = object
        self.source = source
        self.parent = path
        self.index = nil
        self.read = []
        if !object.isEmpty { read.reserveCapacity(8) }  // one allocation for a request's or an event's fields
        for name in alreadyRead { _ = value(name) }
    }

    /// A reader over `object`, element `index` of the array at `arrayPath` (`events[3]`),
    /// parsed from `source`.
    public init(_ object: JSONObject, element index: Int, of arrayPath: String, source: [UInt8] = []) {
        self.object = object
        self.source = source
        self.parent = arrayPath
        self.index = index
        self.read = []
        read.reserveCapacity(8)
    }

    /// The path of this object inside the request (`""` for the request itself).
    public var path: String { index.map { "\(parent)[\($0)]" } ?? parent }

    /// The full path of `name`, for messages.
    public func path(of name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// The raw value of `name`, or nil when absent. `null` counts as absent.
    public mutating func value(_ name: String) -> JSONValue? {
        read.append(name)
        guard let index = object.members.firstIndex(where: { $0.key == name }) else { return nil }
        if index < 64 { found |= 1 << UInt64(index) }
        let value = object.members[index].value
        if case .null = value { return nil }
        return value
    }

    /// Throws `bad_request` naming `name`.
    public func problem(_ name: String, _ message: String) -> SpoolError {
        .badRequest("\(path(of: name)): \(message)")
    }

    func wrongType(_ name: String, expected: String, got value: JSONValue) -> SpoolError {
        problem(name, "expected \(expected), got \(value.typeName)")
    }

    // MARK: Strings

    public mutating func optionalString(_ name: String) throws(SpoolError) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let string) = value else { throw wrongType(name, expected: "a string", got: value) }
        return string
    }

    public mutating func string(_ name: String) throws(SpoolError) -> String {
        guard let string = try optionalString(name) else { throw problem(name, "required") }
        return string
    }

    // MARK: Integers

    /// A non-negative integer, or nil when absent.
    public mutating func optionalUInt64(_ name: String) throws(SpoolError) -> UInt64? {
        guard let value = value(name) else { return nil }
        guard case .int(let int) = value else { throw wrongType(name, expected: "a non-negative integer", got: value) }
        guard int >= 0 else { throw problem(name, "must not be negative, got \(int)") }
        return UInt64(int)
    }

    /// An integer in `range`, `defaultValue` when absent.
    public mutating func int(_ name: String, in range: ClosedRange<Int>, default defaultValue: Int) throws(SpoolError) -> Int {
        guard let value = value(name) else { return defaultValue }
        guard case .int(let int) = value else { throw wrongType(name, expected: "an integer", got: value) }
        guard int >= Int64(range.lowerBound), int <= Int64(range.upperBound) else {
            throw problem(name, "must be between \(range.lowerBound) and \(range.upperBound), got \(int)")
        }
        return Int(int)
    }

    // MARK: Containers

    /// A nested object's reader, or nil when absent.
    public mutating func optionalObject(_ name: String) throws(SpoolError) -> FieldReader? {
        guard let value = value(name) else { return nil }
        guard case .object(let object) = value else { throw wrongType(name, expected: "an object", got: value) }
        return FieldReader(object, path: path(of: name), source: source)
    }

    /// A nested object's members as a plain value, or nil when absent.
    public mutating func optionalRawObject(_ name: String) throws(SpoolError) -> JSONObject? {
        try optionalObject(name)?.object
    }

    /// The text of object `value` (a field's value) as the request sent it, when that text is
    /// already canonical JSON (`JSONObject.canonicalText(in:)`); nil otherwise.
    public func canonicalText(of value: JSONValue) -> ArraySlice<UInt8>? {
        guard case .object(let object) = value else { return nil }
        return object.canonicalText(in: source)
    }

    public mutating func optionalArray(_ name: String) throws(SpoolError) -> [JSONValue]? {
        guard let value = value(name) else { return nil }
        guard case .array(let array) = value else { throw wrongType(name, expected: "an array", got: value) }
        return array
    }

    /// An array of strings, or nil when absent.
    public mutating func optionalStrings(_ name: String) throws(SpoolError) -> [String]? {
        guard let array = try optionalArray(name) else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard case .string(let string) = element else {
                throw problem("\(name)[\(index)]", "expected a string, got \(element.typeName)")
            }
            strings.append(string)
        }
        return strings
    }

    // MARK: The end

    /// Throws `bad_request` for the first field that was never read, listing the known ones.
    public func finish() throws(SpoolError) {
        let members = object.members
        guard members.count > 64 || found != (members.count == 64 ? .max : (1 << UInt64(members.count)) - 1) else { return }
        let unknown = members.indices.first { index in
            index < 64 ? found & (1 << UInt64(index)) == 0 : !read.contains(members[index].key)
        }
        guard let unknown else { return }
        let known = Set(read).sorted().filter { $0 != "id" && $0 != "op" }
        let hint = known.isEmpty ? "this takes no fields" : "known fields: \(known.joined(separator: ", "))"
        throw problem(members[unknown].key, "unknown field (\(hint))")
    }
}
