// A libFuzzer entry point for the JSON codec, built by tools/fuzz.sh (not part of the
// package). For any input: the parser returns or throws, never traps; what it accepts, written
// out, parses back to the same value and writes out the same bytes again; and an object's
// text that the parser marked canonical is exactly what the writer makes of it (appends keep
// a client's event data as sent on that promise, and the hash chain covers those bytes).
import JSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONParser.parse(input) else { return 0 }
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
