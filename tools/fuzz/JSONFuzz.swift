// A libFuzzer entry point for the JSON codec, built by tools/fuzz.sh (not part of the
// package). For any input: the parser returns or throws, never traps; what it accepts, written
// out, parses back to the same value and writes out the same bytes again; and an object's
// text that the parser marked canonical is exactly what the writer makes of it (appends keep
// a client's event data as sent on that promise, and the hash chain covers those bytes); and a
// reader keeping short strings in a table (`JSONStringTable`) reads what the parser parses.
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
    return 0
}
