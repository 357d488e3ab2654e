// A libFuzzer entry point for the JSON codec, built by tools/fuzz.sh (not part of the
// package). For any input: the parser returns or throws, never traps; what it accepts, written
// out, parses back to the same value and writes out the same bytes again; and an object's
// text that the parser marked canonical is exactly what the writer makes of it (appends keep
// a client's event data as sent on that promise, and the hash chain covers those bytes); and a
// reader keeping short strings in a table (`JSONStringTable`) reads what the parser parses.
// Two objects, as an array's two elements or an object's two members, are also a row's
// attributes and a patch: the patch applied as text (`JSONObjectText`, read from within the
// written input as the users-by-id fold reads it from a record's data, where a `]` or a `}`
// follows it), then again, then the result restated, is the tree patched the same way.
import JSON

/// Short strings kept from one input to the next, as a connection keeps them (libFuzzer runs
/// one input at a time).
nonisolated(unsafe) private var strings = JSONStringTable()

/// The input read whole by a `JSONReader` with `strings`: it must read what the parser parses.
private func readWithStrings(_ input: [UInt8]) -> JSONValue? {
    JSONReader.withStrings(input, strings: &strings) { reader in
        guard let value = try? reader.value(), (try? reader.end()) != nil else { return nil }
        return value
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let parsed = try? JSONParser.parse(input)
    let read = readWithStrings(input)
    precondition(read == nil || read == parsed, "read with the string table, the input gave another value")
    if parsed != nil, let first = input.first, ![0x20, 0x09, 0x0A, 0x0D].contains(first) {  // a reader starts at a value
        precondition(read != nil, "read with the string table, a text that parses was refused")
    }
    guard let value = parsed else { return 0 }
    let written = value.jsonBytes
    guard let again = try? JSONParser.parse(written) else {
        preconditionFailure("the writer's output does not parse: \(String(decoding: written, as: UTF8.self))")
    }
    precondition(again == value, "a round trip changed the value")
    precondition(again.jsonBytes == written, "writing is not idempotent")
    if case .object(let object) = value, let text = object.canonicalText(in: input) {
        precondition(Array(text) == written, "text marked canonical differs from the writer's")
    }
    switch value {
    case .array(let pair) where pair.count == 2:
        if case .object(let object) = pair[0], case .object(let patch) = pair[1] {
            checkPatch(object, patch, written: written, start: 2 + pair[0].jsonBytes.count)  // past `[`, it and `,`
        }
    case .object(let pair) where pair.count == 2:
        let (first, second) = (pair.members[0], pair.members[1])
        if case .object(let object) = first.value, case .object(let patch) = second.value {
            let before = JSONValue.object(JSONObject([first, JSONMember(second.key, .null)])).jsonBytes.count - 5  // `null}`
            checkPatch(object, patch, written: written, start: before)
        }
    default: break
    }
    return 0
}

/// `patch` applied to `object` as text, twice, then the result restated, against the trees.
/// `written` holds the patch's text from `start` on, followed by one closing bracket.
private func checkPatch(_ object: JSONObject, _ patch: JSONObject, written: [UInt8], start: Int) {
    var text = JSONObjectText(object)
    var tree = object
    for _ in 0..<2 {
        let end = text.apply(patch: JSONText(written: written, in: start..<written.count))
        precondition(end == written.count - 1, "the patch's end is misplaced")
        tree.apply(patch: patch)
        precondition(text.bytes == JSONValue.object(tree).jsonBytes, "the text patched differs from the tree patched")
    }
    let restated = text.bytes
    text.apply(patch: JSONText(written: restated, in: restated.indices))
    tree.apply(patch: tree)
    precondition(text.bytes == JSONValue.object(tree).jsonBytes, "the restated patch differs from the tree's")
}
