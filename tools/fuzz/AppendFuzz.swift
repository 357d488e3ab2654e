// A libFuzzer entry point for an append's way through the server before the writer, built by
// tools/fuzz.sh (not part of the package): the line read as the dispatcher reads it, the usual
// shape straight from its bytes (`AppendRequest.read(line:)`, its short strings kept from one
// input to the next as a connection keeps them) and any line parsed whole, its
// fields read into an `AppendRequest`, then `prepare` (each event's schema check, its record
// drafted and its content hashed). Every input must end in a value or an error, never a trap,
// and an append the fast reading returns must be the one the general reading returns, and
// prepare alike (its data checked as text, the other's as a tree: the same verdict and words).
import JSON
import SpoolCore
import SpoolProtocol

/// One table for every input, as a connection keeps one for all its lines: what an input
/// reads must not depend on the strings earlier inputs left in it. libFuzzer runs one input
/// at a time.
nonisolated(unsafe) private var strings = JSONStringTable()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: size))
    let fast = AppendRequest.read(line: line, maxDepth: 64, maxEvents: AppendRequest.maxEvents, strings: &strings)
    guard case .object(let object)? = try? JSONParser.parse(line, maxDepth: 64) else {
        precondition(fast == nil, "the fast reading took a line that does not parse")
        return 0
    }
    var fields = FieldReader(object, alreadyRead: ["id", "op"], source: line)
    guard let append = try? AppendRequest(fields: &fields), (try? fields.finish()) != nil else {
        precondition(fast == nil, "the fast reading took an append the general reading refuses")
        return 0
    }
    let prepared = Result { () throws(SpoolError) in try append.prepare(actor: "fuzz") }
    if let fast {
        precondition(object["op"] == "append" && fast.id == object["id"], "the fast reading's op or id differs")
        precondition(same(fast.append, append), "the fast reading's append differs")
        switch (Result { () throws(SpoolError) in try fast.append.prepare(actor: "fuzz") }, prepared) {
        case (.success(let a), .success(let b)):
            precondition(a.events.map(\.userID) == b.events.map(\.userID), "the fast reading prepared other users")
        case (.failure(let a), .failure(let b)): precondition(a.message == b.message, "the fast reading's error differs")
        default: preconditionFailure("the fast reading prepared what the general reading refuses, or the other way")
        }
    }
    return 0
}

private func same(_ a: AppendRequest, _ b: AppendRequest) -> Bool {
    a.stream == b.stream && a.expectedVersion == b.expectedVersion && a.events.count == b.events.count
        && zip(a.events, b.events).allSatisfy { x, y in
            x.id == y.id && x.type == y.type && x.data == y.data && x.metadata == y.metadata
                && x.canonicalData.map(Array.init) == y.canonicalData.map(Array.init)
        }
}
