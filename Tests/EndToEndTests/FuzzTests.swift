import Foundation
import JSON
import SpoolClient
import XCTest

/// Tens of thousands of random and mutated lines: every one gets a well-formed answer, the
/// server keeps answering, and nothing acknowledged before changes.
final class FuzzTests: XCTestCase {
    static let codes: Set<String> = [
        "bad_json", "unknown_op", "bad_request", "line_too_long", "wrong_expected_version", "not_found", "invalid_event",
        "duplicate_event_id", "already_exists", "unauthorized", "rate_limited", "storage_full", "shutting_down", "internal",
    ]

    func testRandomAndMutatedLines() async throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(seed: seed)
        let server = try TestServer(arguments: ["--max-line-bytes", "2048"], emails: true)
        defer { server.stopAndRemove() }
        let setup = try await server.connect()
        _ = try await setup.pipeline((0..<20).map { userCreated("f\($0)", id: UUID()) })
        let before = try await readWholeLog(setup)
        let digestBefore = try await setup.request("digest")

        let seeds = Self.seedLines
        var lines: [[UInt8]] = []
        for index in 0..<20_000 {
            var line: [UInt8]
            switch index % 5 {
            case 0: line = (0..<Int.random(in: 1...80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            default: line = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &random)], using: &random)
            }
            line = line.map { $0 == 0x0A ? 0x20 : $0 }
            // The server drops one `\r` before the `\n` and skips blank lines (no answer);
            // such lines would leave the client waiting for an answer that never comes.
            let content = line.last == 0x0D ? line.dropLast() : line[...]
            guard content.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            lines.append(line)
        }

        let recorder = ProtocolRecorder()
        let chunks = stride(from: 0, to: lines.count, by: 500).map { Array(lines[$0..<min($0 + 500, lines.count)]) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for connectionIndex in 0..<4 {
                group.addTask {
                    let connection = try await server.connect()
                    for (chunkIndex, chunk) in chunks.enumerated() where chunkIndex % 4 == connectionIndex {
                        let responses: [[UInt8]]
                        do {
                            responses = try await connection.pipelineLines(chunk)
                        } catch {
                            XCTFail("chunk \(chunkIndex) got no answers (seed \(seed)): \(error)")
                            throw error
                        }
                        XCTAssertEqual(responses.count, chunk.count)
                        for (offset, (line, response)) in zip(chunk, responses).enumerated() {
                            let parsed = try JSONParser.parse(response, maxDepth: 1_000)
                            guard case .bool(let ok) = parsed["ok"] ?? .null else {
                                return XCTFail("answer without ok (seed \(seed)): \(String(decoding: response, as: UTF8.self))")
                            }
                            if !ok {
                                let code = parsed["error"]?["code"]?.stringValue ?? ""
                                XCTAssertTrue(Self.codes.contains(code), "unknown code \(code) (seed \(seed))")
                                XCTAssertNotEqual(
                                    code, "internal",
                                    "input caused an internal error (seed \(seed)): \(String(decoding: line, as: UTF8.self))")
                            }
                            if ok || offset % 20 == 0 { recorder.record(request: try? JSONParser.parse(line), response: response) }
                        }
                    }
                    await connection.close()
                }
            }
            try await group.waitForAll()
        }

        let after = try await server.connect()
        let ping = try await after.request("ping")
        XCTAssertEqual(ping["pong"], true, "still answering (seed \(seed))")
        let digestAtOld = try await after.request("digest", ["seq": digestBefore["seq"] ?? 0])
        XCTAssertEqual(digestAtOld, digestBefore, "the chain up to the old head is unchanged")
        let now = try await readWholeLog(after)
        XCTAssertEqual(Array(now.prefix(before.count)), before, "acknowledged events are unchanged")
        let verify = try await after.request("verify")
        XCTAssertEqual(verify["valid"], true)
        try recorder.validate()
    }

    /// Valid requests of every op, to mutate.
    static let seedLines: [[UInt8]] = [
        #"{"id":1,"op":"ping"}"#,
        #"{"op":"help"}"#,
        #"{"id":"a","op":"append","stream":"user-z1","expected_version":"any","events":[{"type":"UserCreated","data":{"user_id":"z1","email":"z@example.com","first_name":"Zed"},"metadata":{"correlation_id":"c"}}]}"#,
        #"{"op":"append","stream":"user-f1","expected_version":1,"events":[{"type":"UserProfileUpdated","data":{"user_id":"f1","attributes":{"plan":"pro"}}}]}"#,
        #"{"op":"append","stream":"user-f2","events":[{"type":"UserJoinedSegment","id":"0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70","data":{"user_id":"f2","segment":"vip"}}]}"#,
        #"{"op":"read","stream":"user-f3","from_version":1,"limit":10}"#,
        #"{"op":"read_all","from_seq":1,"limit":5,"filter":{"types":["UserCreated"],"stream_prefix":"user-"}}"#,
        #"{"op":"stats"}"#,
        #"{"op":"digest","seq":3}"#,
        #"{"op":"read_all","limit":1e3}"#,
        #"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"#,
        #"{"op":"read","stream":"user-f4","limit":99999999999999999999999}"#,
        #"{"op":"ping","s":"\ud800\u0000é\"\\"}"#,
    ].map { Array($0.utf8) }

    /// A few random edits: flips, insertions of interesting bytes, deletions, truncation, repeats.
    static func mutate(_ line: [UInt8], using random: inout SplitMix64) -> [UInt8] {
        var bytes = line
        let interesting: [UInt8] = [0x00, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0xFF, 0xC3, 0xED, 0x30, 0x2D, 0x65, 0x0D]
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
            case 1: bytes.insert(interesting[Int.random(in: 0..<interesting.count, using: &random)], at: at)
            case 2: bytes.remove(at: at)
            case 3: bytes = Array(bytes[..<at])
            case 4: bytes.insert(contentsOf: bytes[at..<min(at + 8, bytes.count)], at: at)
            default: bytes[at] = UInt8.random(in: 0...255, using: &random)
            }
        }
        return bytes
    }
}

/// A seeded generator, so a failing run can be replayed from the seed in its message.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
