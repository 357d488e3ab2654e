// A libFuzzer entry point for an append's way through the server before the writer, built by
// tools/fuzz.sh (not part of the package): the line parsed as the dispatcher parses it, its
// fields read into an `AppendRequest`, then `prepare` (each event's schema check, its record
// drafted and its content hashed). Every input must end in a value or an error, never a trap.
import JSON
import SpoolCore
import SpoolProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: size))
    guard case .object(let object)? = try? JSONParser.parse(line, maxDepth: 64) else { return 0 }
    var fields = FieldReader(object, alreadyRead: ["id", "op"], source: line)
    guard let append = try? AppendRequest(fields: &fields), (try? fields.finish()) != nil else { return 0 }
    _ = try? append.prepare(actor: "fuzz")
    return 0
}
