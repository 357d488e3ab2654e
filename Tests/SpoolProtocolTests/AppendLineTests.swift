import Foundation
import JSON
import SpoolCore
import SpoolTestSupport
import XCTest

@testable import SpoolProtocol

/// `AppendRequest.read(line:)`, the append lines `Dispatcher.decode` reads without a tree,
/// against the general reading (`JSONParser.parse`, then `init(fields:)`): whatever the fast
/// reading returns, the general one returns too, prepared alike, and the usual lines take the
/// fast one, their data checked as text.
final class AppendLineTests: XCTestCase {
    private static let maxEvents = 3
    private static let uuid = "0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70"

    func testTheUsualLinesAreReadFast() throws {
        var strings = JSONStringTable()
        let lines = [
            #"{"op":"append","stream":"user-1","events":[{"type":"UserCreated","data":{"user_id":"1","email":"a@b.c"}}]}"#,
            #"{"op":"append","stream":"user-c0000-00","events":[{"type":"UserProfileUpdated","data":{"user_id":"c0000-00","email":"c0000-00@example.com","first_name":"Ada0","last_name":"Lovelace","attributes":{"plan":"pro","city":"London","company":"Analytical Engines Ltd","referrer":"newsletter-2026-11","note":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}]}"#,
            #"{"id":7,"op":"append","stream":"email-1","expected_version":"no_stream","events":[{"type":"EmailSent","id":"\#(Self.uuid)","data":{"email_id":"e","user_id":"1","a":[1,{"b":null}]},"metadata":{"correlation_id":"c"}},{"type":"EmailSent","data":{"email_id":"f","user_id":"1"}}]}"#,
            #" { "events" : [ { "data" : { "x" : 1.5 } , "type" : "EmailOpened" } ] , "stream" : "s" , "op" : "append" , "id" : null } "#,
            #"{"op":"append","stream":"s","expected_version":null,"events":[{"id":null,"data":{"a":"\u00e9"},"type":"EmailSent","metadata":null}]}"#,
            #"{"op":"append","stream":"s","expected_version":12,"events":[{"data":"not an object","type":"EmailSent"}]}"#,
            #"{"op":"\u0061ppend","stream":"s","events":[{"data":{"a":1},"type":"EmailSent"}]}"#,
        ]
        for line in lines {
            let fast = try XCTUnwrap(
                AppendRequest.read(line: Array(line.utf8), maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings), line)
            assertSame(fast, try XCTUnwrap(Self.general(Array(line.utf8)), line), line)
        }
        for line in lines.prefix(3) {
            let prepared = try AppendRequest.read(line: Array(line.utf8), maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings)?
                .append.prepare(actor: "a")
            XCTAssertEqual(prepared?.events.allSatisfy { $0.parsedData == nil }, true, "the data was checked as text: \(line)")
        }
        let read = AppendRequest.read(line: Array(lines[2].utf8), maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings)
        XCTAssertEqual(
            read?.append.events.first?.canonicalData.map { Array($0) }, Array(#"{"email_id":"e","user_id":"1","a":[1,{"b":null}]}"#.utf8))
        XCTAssertEqual(read?.append.expectedVersion, .noStream)
        XCTAssertEqual(try read?.append.prepare(actor: "a").events.map(\.userID), ["1", "1"])
        XCTAssertNil(
            AppendRequest.read(line: Array(lines[3].utf8), maxDepth: 64, maxEvents: 3, strings: &strings)?.append.events.first?
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
            #"{"op":"append","stream":"email-1","events":[{"type":"EmailSent","data":{"email_id":"e","user_id":"1","a":1,"a":2}}]}"#,
            #"{"op":"append","stream":"user-1","events":[{"type":"UserProfileUpdated","data":{"user_id":"1","email":"a b@c"}}]}"#,
            #"{"op":"append","stream":"user-1","events":[{"type":"UserProfileUpdated","data":{"user_id":"1","email":"a@c","x":1.0}}]}"#,
            #"{"op":"append","stream":"user-1","events":[{"type":"UserProfileUpdated","data":{"user_id":"1"}}]}"#,
            #"{"op":"append","stream":"s","events":[\#(event)]} trailing"#, #"[{"op":"append"}]"#,
            #"{"op":"append","stream":"s","events":[{"type":"T","data":{}}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"Email\u0053ent","data":{}}]}"#,
        ]
        for line in lines {
            XCTAssertNil(AppendRequest.read(line: Array(line.utf8), maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings), line)
        }
        for event in [
            #"{"data":{"a":[[[1]]]},"type":"EmailSent"}"#, #"{"type":"EmailSent","data":{"email_id":"e","user_id":"1","a":[[[1]]]}}"#,
        ] {
            let deep = Array(#"{"op":"append","stream":"email-1","events":[\#(event)]}"#.utf8)
            XCTAssertNotNil(AppendRequest.read(line: deep, maxDepth: 7, maxEvents: Self.maxEvents, strings: &strings), event)
            XCTAssertNil(AppendRequest.read(line: deep, maxDepth: 6, maxEvents: Self.maxEvents, strings: &strings), event)
        }
    }

    /// Random edits of append lines: every line the fast reading takes reads the same the
    /// general way.
    func testMutatedLinesReadAsTheGeneralReadingReadsThem() throws {
        var strings = JSONStringTable()
        let seeds = [
            #"{"id":"r1","op":"append","stream":"user-1","expected_version":3,"events":[{"type":"UserProfileUpdated","id":"\#(Self.uuid)","data":{"user_id":"1","first_name":"Ada","attributes":{"plan":"pro","n":-0}},"metadata":{"causation_id":"x"}}]}"#,
            #"{"op":"append","stream":"s","events":[{"type":"EmailSent","data":{"t":true,"f":false,"n":null,"d":2.5e3,"s":"a\"b"}},{"type":"EmailOpened","data":[1]}]}"#,
            #"{"op":"append","stream":"user-u1","events":[{"type":"UserProfileUpdated","data":{"user_id":"u1","email":"a@b.c","last_name":null,"attributes":{"plan":"pro","n":12,"l":[true,null,{}]}}}]}"#,
            #"{"op":"append","stream":"user-u1","events":[{"type":"UserCreated","data":{"user_id":"u1","email":"é@b.c","first_name":"Zoë","segments":["a","b:c"],"attributes":{}}},{"type":"UserJoinedSegment","data":{"user_id":"u1","segment":"vip"}}]}"#,
            #"{"op":"append","stream":"email-u1","events":[{"type":"EmailGenerated","data":{"email_id":"e1","user_id":"u1","template":"t","category":"marketing","to":"a@b.c","subject":"","text":"hi"}}]}"#,
        ].map { Array($0.utf8) }
        let alphabet = Array(#"{}[]:,"\ 0123456789.-eEtrufalsn"#.utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF]
        var random = SystemRandomNumberGenerator()
        var (fast, checked) = (0, 0)
        for _ in 0..<20_000 {
            let line = randomlyEdited(seeds.randomElement(using: &random) ?? [], edits: 1...3, alphabet: alphabet, using: &random)
            guard let read = AppendRequest.read(line: line, maxDepth: 64, maxEvents: Self.maxEvents, strings: &strings) else { continue }
            fast += 1
            let text = String(decoding: line, as: UTF8.self)
            assertSame(read, try XCTUnwrap(Self.general(line), text), text)
            if (try? read.append.prepare(actor: "a"))?.events.contains(where: { $0.parsedData == nil }) == true { checked += 1 }
        }
        XCTAssertGreaterThan(fast, 500, "few mutated lines still read fast: the comparison says little")
        XCTAssertGreaterThan(checked, 200, "few mutated lines had their data checked as text")
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
        // Folded from the record's text: a patch of the attributes, wherever the data puts them.
        _ = try await fixture.call(
            #"{"op":"append","stream":"user-9","events":[{"type":"UserProfileUpdated","data":{"attributes":{"plan":"pro","n":[1,{}]},"user_id":"9","last_name":"Lo"}},{"type":"UserProfileUpdated","data":{"user_id":"9","attributes":{"n":null,"city":"Rome","plan":"team"},"email":null}}]}"#
        )
        let user = try await fixture.call(#"{"op":"get_user","user_id":"9"}"#)["user"]
        XCTAssertEqual(user?["attributes"], ["plan": "team", "city": "Rome"])
        XCTAssertEqual(user?["last_name"], "Lo")
        XCTAssertEqual(user?["email"], .null)
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
        // Prepared alike: the same verdict, the same words, the same records' users.
        let prepared = (
            Result { () throws(SpoolError) in try fast.append.prepare(actor: "a") },
            Result { () throws(SpoolError) in try general.append.prepare(actor: "a") }
        )
        switch prepared {
        case (.success(let a), .success(let b)):
            XCTAssertEqual(a.events.map(\.userID), b.events.map(\.userID), line)
            XCTAssertEqual(a.events.map(\.eventType), b.events.map(\.eventType), line)
        case (.failure(let a), .failure(let b)): XCTAssertEqual(a.message, b.message, line)
        case (let a, let b): XCTFail("\(line): prepared as \(a) fast, \(b) the general way")
        }
    }
}
