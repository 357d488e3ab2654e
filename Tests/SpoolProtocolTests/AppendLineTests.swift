import Foundation
import JSON
import SpoolCore
import XCTest

@testable import SpoolProtocol

/// `AppendRequest.read(line:)`, the append lines `Dispatcher.decode` reads without a tree,
/// against the general reading (`JSONParser.parse`, then `init(fields:)`): whatever the fast
/// reading returns, the general one returns too, and the usual lines take the fast one.
final class AppendLineTests: XCTestCase {
    private static let maxEvents = 3
    private static let uuid = "0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70"

    func testTheUsualLinesAreReadFast() throws {
        var strings = JSONStringTable()
        let lines = [
            #"{"op":"append","stream":"user-1","events":[{"type":"UserCreated","data":{"user_id":"1","email":"a@b.c"}}]}"#,
            #"{"id":7,"op":"append","stream":"user-1","expected_version":"no_stream","events":[{"type":"EmailSent","id":"\#(Self.uuid)","data":{"a":[1,{"b":null}]},"metadata":{"correlation_id":"c"}},{"type":"EmailSent","data":{}}]}"#,
            #" { "events" : [ { "data" : { "x" : 1.5 } , "type" : "EmailOpened" } ] , "stream" : "s" , "op" : "append" , "id" : null } "#,
            #"{"op":"append","stream":"s","expected_version":null,"events":[{"type":"EmailSent","id":null,"data":{"a":"\u00e9"},"metadata":null}]}"#,
            #"{"op":"append","stream":"s","expected_version":12,"events":[{"type":"EmailSent","data":"not an object"}]}"#,
            #"{"op":"\u0061ppend","stream":"s","events":[{"type":"EmailSent","data":{"a":1}}]}"#,
        ]
        for line in lines {
            let fast = try XCTUnwrap(
                AppendRequest.read(line: Array(line.utf8), maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings), line)
            assertSame(fast, try XCTUnwrap(Self.general(Array(line.utf8)), line), line)
        }
        let read = AppendRequest.read(line: Array(lines[1].utf8), maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings)
        XCTAssertEqual(read?.append.events.first?.canonicalData.map { Array($0) }, Array(#"{"a":[1,{"b":null}]}"#.utf8))
        XCTAssertEqual(read?.append.expectedVersion, .noStream)
        XCTAssertNil(
            AppendRequest.read(line: Array(lines[2].utf8), maxDepth: 64, maxEvents: 3, strings: &strings)?.append.events.first?
                .canonicalData)
    }

    /// Lines the general reading refuses or reads its own way: the fast one must leave them.
    func testOtherLinesAreLeftToTheGeneralReading() {
        var strings = JSONStringTable()
        let event = #"{"type":"EmailSent","data":{"a":1}}"#
        let lines = [
            #"{"op":"read","stream":"s","events":[\#(event)]}"#, #"{"stream":"s","events":[\#(event)]}"#,
            #"{"\u006fp":"append","stream":"s","events":[\#(event)]}"#, #"{"op":"append","stream":"s","events":[\#(event)],"limit":1}"#,
            #"{"op":"append","op":"append","stream":"s","events":[\#(event)]}"#, #"{"op":"append","stream":null,"events":[\#(event)]}"#,
            #"{"op":"append","stream":"s","events":[]}"#, #"{"op":"append","stream":"s","events":null}"#,
            #"{"op":"append","stream":"s","events":[\#(event),\#(event),\#(event),\#(event)]}"#,
            #"{"op":"append","stream":"s","expected_version":-1,"events":[\#(event)]}"#,
            #"{"op":"append","stream":"s","expected_version":"later","events":[\#(event)]}"#,
            #"{"op":"append","id":[1],"stream":"s","events":[\#(event)]}"#, #"{"op":"append","id":{},"stream":"s","events":[\#(event)]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"EmailSent"}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"EmailSent","data":null}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"EmailSent","data":{},"id":"nope"}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"EmailSent","data":{},"metadata":"m"}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"EmailSent","data":{},"extra":1}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"EmailSent","data":{"a":1,"a":2}}]}"#,
            #"{"op":"append","stream":"s","events":[\#(event)]} trailing"#, #"[{"op":"append"}]"#,
            #"{"op":"append","stream":"s","events":[{"type":"T","data":{}}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"Email\u0053ent","data":{}}]}"#,
        ]
        for line in lines {
            XCTAssertNil(AppendRequest.read(line: Array(line.utf8), maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings), line)
        }
        let deep = #"{"op":"append","stream":"s","events":[{"type":"EmailSent","data":{"a":[[[1]]]}}]}"#
        XCTAssertNotNil(AppendRequest.read(line: Array(deep.utf8), maxDepth: 7, maxEvents: Self.maxEvents, strings: &strings))
        XCTAssertNil(AppendRequest.read(line: Array(deep.utf8), maxDepth: 6, maxEvents: Self.maxEvents, strings: &strings))
    }

    /// Random edits of append lines: every line the fast reading takes reads the same the
    /// general way.
    func testMutatedLinesReadAsTheGeneralReadingReadsThem() throws {
        var strings = JSONStringTable()
        let seeds = [
            #"{"id":"r1","op":"append","stream":"user-1","expected_version":3,"events":[{"type":"UserProfileUpdated","id":"\#(Self.uuid)","data":{"user_id":"1","first_name":"Ada","attributes":{"plan":"pro","n":-0}},"metadata":{"causation_id":"x"}}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"EmailSent","data":{"t":true,"f":false,"n":null,"d":2.5e3,"s":"a\"b"}},{"type":"EmailOpened","data":[1]}]}"#,
        ].map { Array($0.utf8) }
        let alphabet = Array(#"{}[]:,"\ 0123456789.-eEtrufalsn"#.utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF]
        var random = SystemRandomNumberGenerator()
        var fast = 0
        for _ in 0..<20_000 {
            var line = seeds.randomElement(using: &random) ?? []
            for _ in 0..<Int.random(in: 1...3, using: &random) where !line.isEmpty {
                let at = Int.random(in: 0..<line.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: line.remove(at: at)
                case 1: line.insert(alphabet.randomElement(using: &random) ?? 0x20, at: at)
                default: line[at] = alphabet.randomElement(using: &random) ?? 0x20
                }
            }
            guard let read = AppendRequest.read(line: line, maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings) else { continue }
            fast += 1
            let text = String(decoding: line, as: UTF8.self)
            assertSame(read, try XCTUnwrap(Self.general(line), text), text)
        }
        XCTAssertGreaterThan(fast, 100, "few mutated lines still read fast: the comparison says little")
    }

    /// `decode` hands an append read fast to `prepareAppend` as the general reading would.
    func testAFastReadAppendIsStored() async throws {
        let fixture = try DispatcherFixture()
        defer { fixture.close() }
        let answer = try await fixture.call(
            #"{"id":1,"op":"append","stream":"user-9","events":[{"type":"UserCreated","data":{"user_id":"9","email":"n@example.com"}}]}"#)
        XCTAssertEqual(answer, ["id": 1, "ok": true, "first_seq": 1, "last_seq": 1, "version": 1, "duplicate": false])
        let stored = try fixture.engine.log.event(at: 1)
        XCTAssertEqual(stored?.stream, "user-9")
        XCTAssertEqual(stored?.data, Array(#"{"user_id":"9","email":"n@example.com"}"#.utf8))
    }

    /// `Dispatcher.decode`'s general reading of an append line.
    private static func general(_ line: [UInt8]) -> (id: JSONValue?, append: AppendRequest)? {
        guard case .object(let object)? = try? JSONParser.parse(line, maxDepth: 64), object["op"] == "append" else { return nil }
        let id = object["id"]
        if case .array? = id { return nil }
        if case .object? = id { return nil }
        var fields = FieldReader(object, alreadyRead: ["id", "op"], source: line)
        guard let append = try? AppendRequest(fields: &fields, maxEvents: maxEvents) else { return nil }
        return (id, append)
    }

    private func assertSame(
        _ fast: (id: JSONValue?, append: AppendRequest), _ general: (id: JSONValue?, append: AppendRequest), _ line: String
    ) {
        XCTAssertEqual(fast.id, general.id, line)
        XCTAssertEqual(fast.append.stream, general.append.stream, line)
        XCTAssertEqual(fast.append.expectedVersion, general.append.expectedVersion, line)
        XCTAssertEqual(fast.append.events.count, general.append.events.count, line)
        for (a, b) in zip(fast.append.events, general.append.events) {
            XCTAssertEqual(a.id, b.id, line)
            XCTAssertEqual(a.type, b.type, line)
            XCTAssertEqual(a.data, b.data, line)
            XCTAssertEqual(a.metadata, b.metadata, line)
            XCTAssertEqual(a.canonicalData.map { Array($0) }, b.canonicalData.map { Array($0) }, line)
        }
    }
}
