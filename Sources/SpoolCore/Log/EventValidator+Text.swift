import JSON

extension EventValidator {
    /// `validate` of the data at `reader` (in `line`), read once and where it lies, without
    /// building it: the same field table and string checks. Answers only "valid", with the
    /// data's text and `user_id`, or nil, "ask `validate`": for data that breaks a rule, for
    /// text that is not canonical (the record must be able to copy it), and for what this check
    /// leaves to the tree (a string with an escape, a segment list of more than
    /// `listedSegments` names). Throws, as the reader does, for text that is not JSON or not the
    /// shape expected. Either way the caller then validates the tree, which words the problem;
    /// the stream is checked apart (`check(stream:of:userID:index:)`).
    public static func check(
        _ reader: inout JSONReader, in line: [UInt8], as type: EventType
    ) throws(JSONParseError) -> (text: Range<Int>, userID: String)? {
        let table = table(of: type)
        let start = reader.startCanonicalText()
        var seen: UInt64 = 0
        var others = JSONKeySet()
        var userID: Range<Int>? = nil
        var otherFieldsPresent = 0
        guard reader.peek() == UInt8(ascii: "{") else { return nil }
        try reader.beginObject()
        while let position = try reader.nextMember(table.names, seen: &seen, others: &others) {
            guard position < table.fields.count else {
                _ = try reader.skip()  // not in the table: kept
                continue
            }
            let field = table.fields[position]
            if case .userID = field.kind {} else { otherFieldsPresent += 1 }
            if field.isNullable && reader.peek() == UInt8(ascii: "n") {
                _ = try reader.value()
                continue
            }
            guard let value = try field.kind.read(&reader, in: line) else { return nil }
            if case .userID = field.kind { userID = value }
        }
        for position in table.fields.indices where table.fields[position].isRequired && seen & 1 << UInt64(position) == 0 {
            return nil
        }
        guard let text = reader.canonicalText(from: start), let userID, type != .userProfileUpdated || otherFieldsPresent > 0 else {
            return nil
        }
        return (text, String(decoding: line[userID], as: UTF8.self))
    }

    /// The most segment names whose list the text check judges (their uniqueness is checked
    /// pair by pair); a longer list goes to `validate`.
    static let listedSegments = 16
}

extension EventValidator.Kind {
    /// Reads a value of this kind at `reader` (in `line`): its text (a string's between the
    /// quotes), or nil when it does not fit, as `problem(with:nullable:)` would find.
    fileprivate func read(_ reader: inout JSONReader, in line: [UInt8]) throws(JSONParseError) -> Range<Int>? {
        switch (self, reader.peek()) {
        case (.boolean, UInt8(ascii: "t")), (.boolean, UInt8(ascii: "f")): return try reader.skip().text
        case (.object, UInt8(ascii: "{")):
            let (text, members) = try reader.skip()
            return members <= Self.maxMembers ? text : nil
        case (.segments, UInt8(ascii: "[")): return try Self.readSegments(&reader, in: line)
        case (.boolean, _), (.object, _), (.segments, _): return nil
        case (_, UInt8(ascii: "\"")):
            let text = try reader.plainString()
            return stringProblem(line.span.extracting(text), String(decoding: line[text], as: UTF8.self)) == nil ? text : nil
        case (_, _): return nil
        }
    }

    /// A list of at most `listedSegments` distinct segment names.
    private static func readSegments(_ reader: inout JSONReader, in line: [UInt8]) throws(JSONParseError) -> Range<Int>? {
        var names = InlineArray<16, Range<Int>>(repeating: 0..<0)
        var count = 0
        let start = reader.offset
        try reader.beginArray()
        while try reader.nextElement() {
            guard count < EventValidator.listedSegments, reader.peek() == UInt8(ascii: "\"") else { return nil }
            let name = try reader.plainString()
            let span = line.span
            guard isName(span.extracting(name), maxLength: EventValidator.longestSegmentName, allowingAt: false) else { return nil }
            for earlier in 0..<count where span.bytes(names[earlier], equal: span, name) { return nil }
            names[count] = name
            count += 1
        }
        return start..<reader.offset
    }
}
