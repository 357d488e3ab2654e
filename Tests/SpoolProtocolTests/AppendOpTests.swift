import JSON
import SpoolCore
import SpoolProtocol
import Synchronization
import XCTest

final class AppendOpTests: XCTestCase {
    var fixture: DispatcherFixture!

    override func setUp() async throws { fixture = try DispatcherFixture() }
    override func tearDown() async throws { fixture.close() }

    func testAppendAnswersPositionsAndStampsTheActor() async throws {
        let first = try await fixture.appendUser("1")
        XCTAssertEqual(first, ["ok": true, "first_seq": 1, "last_seq": 1, "version": 1, "duplicate": false])
        let two = try await fixture.call(
            #"{"id":"a","op":"append","stream":"user-1","expected_version":1,"events":[{"type":"UserJoinedSegment","data":{"user_id":"1","segment":"vip"},"metadata":{"correlation_id":"c1","actor":"forged"}},{"type":"UserLeftSegment","data":{"user_id":"1","segment":"vip"}}]}"#
        )
        XCTAssertEqual(two, ["id": "a", "ok": true, "first_seq": 2, "last_seq": 3, "version": 3, "duplicate": false])
        let stored = try fixture.engine.log.event(at: 2)
        let metadata = try JSONParser.parse(stored?.metadata ?? [])
        XCTAssertEqual(metadata["actor"], .string(Session.anonymousPrincipal), "the server stamps the actor")
        XCTAssertEqual(metadata["correlation_id"], "c1")
    }

    func testRetryWithTheSameIDsIsADuplicate() async throws {
        let id = "0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70"
        _ = try await fixture.appendUser("2")
        let first = try await fixture.appendUser("7", id: id)
        let retry = try await fixture.appendUser("7", id: id.uppercased())
        XCTAssertEqual(first["first_seq"], 2)
        XCTAssertEqual(retry, ["ok": true, "first_seq": 2, "last_seq": 2, "version": 1, "duplicate": true])
        XCTAssertEqual(try fixture.engine.log.head().seq, 2, "the retry wrote nothing")
    }

    func testExpectedVersionForms() async throws {
        do {
            let response = try await fixture.appendUser("3", expected: "exists")
            XCTAssertEqual(errorCode(response), "wrong_expected_version", response.jsonString)
        }
        do {
            let response = try await fixture.appendUser("3", expected: "no_stream")
            XCTAssertNil(errorCode(response), response.jsonString)
        }
        let wrong = try await fixture.appendUser("3", expected: "no_stream")
        XCTAssertEqual(errorCode(wrong), "wrong_expected_version")
        XCTAssertEqual(wrong["error"]?["actual_version"], 1, "details travel inside error")
        XCTAssertEqual(wrong["error"]?["stream"], "user-3")
        do {
            let response = try await fixture.appendUser("3", expected: 1)
            XCTAssertNil(errorCode(response), response.jsonString)
        }
        do {
            let response = try await fixture.appendUser("3", expected: 1)
            XCTAssertEqual(errorCode(response), "wrong_expected_version", response.jsonString)
        }
        do {
            let response = try await fixture.appendUser("3", expected: "exists")
            XCTAssertNil(errorCode(response), response.jsonString)
        }
        let bad = try await fixture.appendUser("3", expected: "latest")
        XCTAssertEqual(errorCode(bad), "bad_request")
        XCTAssertTrue(errorMessage(bad).hasPrefix("expected_version: expected a non-negative integer"), errorMessage(bad))
        do {
            let response = try await fixture.appendUser("3", expected: -1)
            XCTAssertEqual(errorCode(response), "bad_request", response.jsonString)
        }
    }

    func testShapeErrorsNameTheField() async throws {
        let cases: [(String, String)] = [
            (#"{"op":"append","events":[]}"#, "stream: required"),
            (#"{"op":"append","stream":7,"events":[]}"#, "stream: expected a string, got integer"),
            (#"{"op":"append","stream":"user-1"}"#, "events: required"),
            (#"{"op":"append","stream":"user-1","events":{}}"#, "events: expected an array, got object"),
            (#"{"op":"append","stream":"user-1","events":[]}"#, "events: at least one event is required"),
            (#"{"op":"append","stream":"user-1","events":[5]}"#, "events[0]: expected an object, got integer"),
            (#"{"op":"append","stream":"user-1","events":[{"type":1,"data":{}}]}"#, "events[0].type: expected a string, got integer"),
            (
                #"{"op":"append","stream":"user-1","events":[{"type":"UserCreated","data":{"user_id":"1","email":"a@b"}},{"type":"UserCreated"}]}"#,
                "events[1].data: required"
            ),
            (
                #"{"op":"append","stream":"user-1","events":[{"type":"UserCreated","id":"nope","data":{}}]}"#,
                "events[0].id: expected a UUID"
            ),
            (
                #"{"op":"append","stream":"user-1","events":[{"type":"UserCreated","data":{},"metadata":[]}]}"#,
                "events[0].metadata: expected an object, got array"
            ),
            (#"{"op":"append","stream":"user-1","events":[{"type":"UserCreated","data":{},"extra":1}]}"#, "events[0].extra: unknown field"),
            (
                #"{"op":"append","stream":"nodash","events":[{"type":"UserCreated","data":{"user_id":"1","email":"a@b"}}]}"#,
                "stream: stream name must look like"
            ),
        ]
        for (line, prefix) in cases {
            let response = try await fixture.call(line)
            XCTAssertEqual(errorCode(response), "bad_request", line)
            XCTAssertTrue(errorMessage(response).hasPrefix(prefix), "\(line) → \(errorMessage(response))")
        }
        XCTAssertEqual(try fixture.engine.log.head().seq, 0, "nothing was written")
    }

    func testInvalidEventsAreRefusedWhole() async throws {
        let unknownType = try await fixture.call(#"{"op":"append","stream":"user-1","events":[{"type":"Nope","data":{}}]}"#)
        XCTAssertEqual(errorCode(unknownType), "invalid_event")
        let missingEmail = try await fixture.call(
            #"{"op":"append","stream":"user-1","events":[{"type":"UserDeleted","data":{"user_id":"1"}},{"type":"UserCreated","data":{"user_id":"1"}}]}"#
        )
        XCTAssertEqual(errorCode(missingEmail), "invalid_event")
        XCTAssertTrue(errorMessage(missingEmail).contains("email"), errorMessage(missingEmail))
        let wrongStream = try await fixture.call(
            #"{"op":"append","stream":"user-2","events":[{"type":"UserCreated","data":{"user_id":"1","email":"a@b.c"}}]}"#)
        XCTAssertEqual(errorCode(wrongStream), "invalid_event")
        XCTAssertEqual(try fixture.engine.log.head().seq, 0)
    }

    func testDataIsStoredInCanonicalJSONHoweverItWasSent() async throws {
        let sent = [
            #"{"user_id":"5","first_name":"Ada","attributes":{"n":1,"city":"Zürich"}}"#,  // copied as sent
            #"{ "user_id" : "5", "first_name":"\u0041da", "attributes":{"n":1.50,"m":-0}}"#,  // written again
            #"{"user_id":"5","attributes":{"n":1.5e1}}"#,
        ]
        let stored = [
            #"{"user_id":"5","first_name":"Ada","attributes":{"n":1,"city":"Zürich"}}"#,
            #"{"user_id":"5","first_name":"Ada","attributes":{"n":1.5,"m":0}}"#,
            #"{"user_id":"5","attributes":{"n":15.0}}"#,
        ]
        for (index, data) in sent.enumerated() {
            let response = try await fixture.call(
                #"{"op":"append","stream":"user-5","events":[{"type":"UserProfileUpdated","data":\#(data)}]}"#)
            XCTAssertEqual(response["ok"], true, response.jsonString)
            let event = try XCTUnwrap(fixture.engine.log.event(at: UInt64(index + 1)))
            XCTAssertEqual(String(decoding: event.data, as: UTF8.self), stored[index])
        }
        XCTAssertTrue(try fixture.engine.verify().isValid)
    }

    func testReusedIDForAnotherEventIsDuplicateEventID() async throws {
        let id = "0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f71"
        _ = try await fixture.appendUser("1", id: id)
        let response = try await fixture.appendUser("2", id: id)
        XCTAssertEqual(errorCode(response), "duplicate_event_id")
    }
}

final class PipelinedAppendTests: XCTestCase {
    /// `Dispatcher.start` queues an append in the writer before it returns, so appends
    /// started back to back (as a connection does for a pipelined window) keep their order.
    func testAppendsStartedBackToBackKeepTheirOrder() async throws {
        let fixture = try DispatcherFixture()
        defer { fixture.close() }
        let dispatcher = fixture.dispatcher
        let answers = Mutex<[Int: [UInt8]]>([:])
        let running = InFlightRequests()
        var strings = JSONStringTable()
        for version in 0..<500 {
            let event: JSONValue =
                version == 0
                ? ["type": "UserCreated", "data": ["user_id": "o", "email": "o@example.com"]]
                : ["type": "UserProfileUpdated", "data": ["user_id": "o", "first_name": .string("v\(version)")]]
            let line: JSONValue = ["op": "append", "stream": "user-o", "expected_version": .int(Int64(version)), "events": [event]]
            guard case .append(let id, let append, let operation) = dispatcher.decode(line.jsonBytes, session: Session(), strings: &strings)
            else {
                preconditionFailure("a valid append line is read without a tree")
            }
            let request = Request(id: id, op: operation.name, append: append, session: Session())
            XCTAssertEqual(operation.scheduling, .pipelined)
            running.begin()
            dispatcher.start(request, operation) { bytes in
                answers.withLock { $0[version] = bytes }
                running.end()
            }
        }
        await running.idle()
        for version in 0..<500 {
            let response = try JSONParser.parse(Array((answers.withLock { $0[version] } ?? []).dropLast()))
            XCTAssertEqual(response["version"], .int(Int64(version + 1)), response.jsonString)
        }
    }

    /// A batch's answers in consecutive slots leave in one buffer, on the first slot of each
    /// run (the others get nothing), so that the bytes sent are the lines in request order.
    func testAnswersOfConsecutiveSlotsShareTheFirstSlotOfTheirRun() async throws {
        let fixture = try DispatcherFixture()
        defer { fixture.close() }
        let dispatcher = fixture.dispatcher
        var batch = PipelinedBatch()
        var strings = JSONStringTable()
        let slots = [0, 1, 2, 4, 5, 7]
        for (index, slot) in slots.enumerated() {
            let event: JSONValue = ["type": "UserCreated", "data": ["user_id": .string("r\(index)"), "email": "r@example.com"]]
            let line: JSONValue = ["id": .int(Int64(slot)), "op": "append", "stream": .string("user-r\(index)"), "events": [event]]
            guard case .append(let id, let append, let operation) = dispatcher.decode(line.jsonBytes, session: Session(), strings: &strings)
            else {
                preconditionFailure("a valid append line is read without a tree")
            }
            XCTAssertNil(dispatcher.add(append, id: id, operation, actor: Session().actor, slot: slot, to: &batch))
        }
        let answered = InFlightRequests()
        let answers = Mutex<[[UInt8]]>([])
        answered.begin()
        dispatcher.start(batch) { lines in
            answers.withLock { $0 = lines }
            answered.end()
        }
        await answered.idle()
        let lines = answers.withLock { $0 }
        XCTAssertEqual(lines.map(\.isEmpty), [false, true, true, false, true, false])
        let ids = lines.joined().split(separator: 0x0A).map { try? JSONParser.parse(Array($0))["id"] }
        XCTAssertEqual(ids, slots.map { .int(Int64($0)) })
    }

    func testEventIDsMustBeExactUUIDs() async throws {
        let fixture = try DispatcherFixture()
        defer { fixture.close() }
        for id in [
            "019 a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70", "0190a5c47d3e7b2a9c1f2b3c4d5e6f70", " 0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70",
            "0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f7g", "0190a5c4-7d3e-7b2a-9c1f+2b3c4d5e6f70",
        ] {
            let response = try await fixture.appendUser("u", id: id)
            XCTAssertEqual(errorCode(response), "bad_request", id)
        }
        let upper = try await fixture.appendUser("u", id: "0190A5C4-7D3E-7B2A-9C1F-2B3C4D5E6F70")
        XCTAssertEqual(upper["ok"], true)
        let stored = try XCTUnwrap(try fixture.engine.log.event(at: 1))
        XCTAssertEqual(stored.id.lowercasedString, "0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70")
    }
}
