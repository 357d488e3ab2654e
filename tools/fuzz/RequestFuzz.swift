// A libFuzzer entry point for request lines as spoold answers them, built by tools/fuzz.sh (not
// part of the package). Every line is decoded by the dispatcher; those of the read-only ops
// run against an engine holding a few users' events. Whatever the input, the answer is one
// line of JSON, an object with `ok`. Ops that write are decoded only, so the log stays as it
// was set up and each input costs microseconds.
import Dispatch
import Foundation
import JSON
import SpoolCore
import SpoolProtocol

private let readOnlyOps: Set<String> = [
    "ping", "help", "read", "read_all", "get_user", "list_segment", "segments", "list_emails", "audit", "stats", "digest",
]

private let session = Session()

private let dispatcher: Dispatcher = {
    let directory = "request-engine"  // in .build-fuzz, where tools/fuzz.sh runs it; made anew each run
    try? FileManager.default.removeItem(atPath: directory)
    guard let engine = try? Engine(directory: directory) else { preconditionFailure("cannot open an engine in \(directory)") }
    let dispatcher = Dispatcher(engine: engine, blocking: InlineExecutor())
    for user in 1...5 {
        for line in [
            #"{"op":"append","stream":"user-\#(user)","events":[{"type":"UserCreated","data":{"user_id":"\#(user)","email":"u\#(user)@example.com","first_name":"U"}}]}"#,
            #"{"op":"append","stream":"user-\#(user)","events":[{"type":"UserJoinedSegment","data":{"user_id":"\#(user)","segment":"beta"}}]}"#,
        ] {
            let answer = answer(to: Array(line.utf8), with: dispatcher)
            precondition(answer.starts(with: Array(#"{"ok":true"#.utf8)), "setup: \(String(decoding: answer, as: UTF8.self))")
        }
    }
    return dispatcher
}()

/// The dispatcher's answer to `line`, waited for on this thread.
private func answer(to line: [UInt8], with dispatcher: Dispatcher) -> [UInt8] {
    let done = DispatchSemaphore(value: 0)
    let box = AnswerBox()
    Task {
        box.bytes = await dispatcher.handle(line, session: session)
        done.signal()
    }
    done.wait()
    return box.bytes
}

private final class AnswerBox: @unchecked Sendable {
    var bytes: [UInt8] = []  // written by the task before the semaphore, read after it
}

/// The connection's table of short strings, kept from one input to the next (libFuzzer runs one
/// input at a time).
nonisolated(unsafe) private var strings = JSONStringTable()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = Array(UnsafeBufferPointer(start: data, count: size))
    let response: [UInt8]
    switch dispatcher.decode(line, session: session, strings: &strings) {
    case .response(let bytes): response = bytes
    case .append: return 0  // writes: decoded only
    case .request(let request, _) where !readOnlyOps.contains(request.op): return 0
    case .request: response = answer(to: line, with: dispatcher)
    }
    precondition(response.last == 0x0A && !response.dropLast().contains(0x0A), "an answer is one line")
    guard case .object(let object)? = try? JSONParser.parse(Array(response.dropLast())), object["ok"] != nil else {
        preconditionFailure("an answer is a JSON object with ok: \(String(decoding: response, as: UTF8.self))")
    }
    return 0
}
