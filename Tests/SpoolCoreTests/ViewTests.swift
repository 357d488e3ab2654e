import Foundation
import JSON
import LMDB
import SpoolCore
import SpoolTestSupport
import XCTest

/// An engine in a temporary directory, with helpers to append user and email events.
final class OpenEngine: Sendable {
    let directory: TemporaryDirectory
    let engine: Engine

    init(mapSize: Int = 64 << 20, clock: @escaping @Sendable () -> Timestamp = Timestamp.now) throws {
        directory = try TemporaryDirectory("views")
        var options = Engine.Options()
        options.mapSize = mapSize
        options.clock = clock
        engine = try Engine(directory: directory.path, options: options)
    }

    func close() {
        engine.close()
        directory.remove()
    }

    @discardableResult
    func user(_ id: String, _ type: String, _ data: JSONObject = [:]) async throws -> AppendResult {
        var data = data
        data["user_id"] = .string(id)
        return try await engine.append(
            AppendRequest(stream: "user-\(id)", events: [ProposedEvent(type: type, data: .object(data))]), actor: "test")
    }

    @discardableResult
    func email(_ user: String, _ type: String, _ data: JSONObject, cause: String? = nil) async throws -> AppendResult {
        var data = data
        data["user_id"] = .string(user)
        let metadata: JSONObject = cause.map { ["causation_id": .string($0)] } ?? [:]
        return try await engine.append(
            AppendRequest(stream: "email-\(user)", events: [ProposedEvent(type: type, data: .object(data), metadata: metadata)]),
            actor: "test")
    }
}

final class ViewTests: XCTestCase {
    func testScriptedHistoryFoldsIntoEveryView() async throws {
        let clock = TestClock(start: 1_000_000)
        let e = try OpenEngine(clock: { clock.now() })
        defer { e.close() }
        // seq 1
        try await e.user(
            "42", "UserCreated", ["email": "ada@example.com", "first_name": "Ada", "segments": ["beta"], "attributes": ["style": "bold"]])
        clock.set(2_000_000)
        try await e.user("42", "UserProfileUpdated", ["last_name": "Lovelace", "attributes": ["style": nil, "plan": "pro"]])  // 2
        try await e.user("42", "UserJoinedSegment", ["segment": "vip"])  // 3
        try await e.user("7", "UserCreated", ["email": "bo@example.com", "segments": ["vip"]])  // 4
        try await e.user("42", "UserLeftSegment", ["segment": "beta"])  // 5
        try await e.user("42", "UserEmailPreferencesChanged", ["marketing": false])  // 6
        try await e.email(
            "42", "EmailGenerated",
            [
                "email_id": "m1", "template": "welcome", "category": "transactional", "to": "ada@example.com", "subject": "Hi Ada",
                "text": "Welcome",
            ], cause: "src-1")  // 7
        clock.set(3_000_000)
        try await e.email("42", "EmailSent", ["email_id": "m1", "provider_id": "p-9"])  // 8
        try await e.email("42", "EmailOpened", ["email_id": "m1"])  // 9
        try await e.user("7", "UserDeleted", ["reason": "asked"])  // 10

        let q = e.engine.queries
        let ada = try q.user("42")
        XCTAssertEqual(ada.email, "ada@example.com")
        XCTAssertEqual(ada.firstName, "Ada")
        XCTAssertEqual(ada.lastName, "Lovelace")
        XCTAssertEqual(ada.attributes.object, ["plan": "pro"])
        XCTAssertEqual(ada.segments, ["vip"])
        XCTAssertFalse(ada.marketing)
        XCTAssertFalse(ada.deleted)
        XCTAssertEqual(ada.version, 5)
        XCTAssertEqual(ada.lastSeq, 6)
        XCTAssertEqual(ada.createdAt, Timestamp(milliseconds: 1_000_000))
        XCTAssertEqual(ada.updatedAt, Timestamp(milliseconds: 2_000_000))
        let bo = try q.user("7")
        XCTAssertTrue(bo.deleted)
        XCTAssertEqual(bo.segments, [])

        XCTAssertEqual(try q.segmentMembers("vip", limit: 10).users, ["42"])
        XCTAssertEqual(try q.segmentMembers("beta", limit: 10).users, [])
        XCTAssertEqual(try q.segments().segments.map(\.name), ["vip"])
        XCTAssertEqual(try q.segments().segments.map(\.count), [1])

        let emails = try q.emails("42").emails
        XCTAssertEqual(emails.count, 1)
        XCTAssertEqual(emails[0]["email_id"], "m1")
        XCTAssertEqual(emails[0]["subject"], "Hi Ada")
        XCTAssertEqual(emails[0]["status"], "opened")
        XCTAssertEqual(emails[0]["cause"], "src-1")
        XCTAssertEqual(emails[0]["sent_at"], .string(Timestamp(milliseconds: 3_000_000).rfc3339))
        XCTAssertEqual(try q.emails("42", asOf: .seq(7)).emails[0]["status"], "generated")
        XCTAssertEqual(try q.emails("42", asOf: .seq(8)).emails[0]["status"], "sent")
        XCTAssertEqual(try q.emails("42", asOf: .seq(6)).emails.count, 0)

        let audit = try q.audit("42")
        XCTAssertEqual(audit.events.map(\.seq), [1, 2, 3, 5, 6, 7, 8, 9])
        XCTAssertNil(audit.next)
    }

    func testAsOfQueriesAtSeqsAndTimes() async throws {
        let clock = TestClock(start: 1_000)
        let e = try OpenEngine(clock: { clock.now() })
        defer { e.close() }
        try await e.user("1", "UserCreated", ["email": "a@example.com", "first_name": "A"])  // 1 @1000
        clock.set(2_000)
        try await e.user("1", "UserJoinedSegment", ["segment": "vip"])  // 2 @2000
        try await e.user("2", "UserCreated", ["email": "b@example.com", "segments": ["vip"]])  // 3 @2000
        clock.set(3_000)
        try await e.user("1", "UserProfileUpdated", ["first_name": "Alpha"])  // 4 @3000
        try await e.user("1", "UserDeleted", [:])  // 5 @3000
        let q = e.engine.queries

        XCTAssertEqual(try q.user("1", asOf: .seq(1)).firstName, "A")
        XCTAssertEqual(try q.user("1", asOf: .seq(1)).segments, [])
        XCTAssertEqual(try q.user("1", asOf: .seq(4)).firstName, "Alpha")
        XCTAssertEqual(try q.user("1", asOf: .time(Timestamp(milliseconds: 2_500))).segments, ["vip"])
        XCTAssertTrue(try q.user("1", asOf: .seq(5)).deleted)
        XCTAssertEqual(try q.user("1", asOf: .seq(5)), try q.user("1"), "as of the head equals now")
        for before in [AsOf.seq(2), .time(Timestamp(milliseconds: 999))] {
            XCTAssertThrowsError(try q.user(before == .seq(2) ? "2" : "1", asOf: before)) { error in
                XCTAssertEqual((error as? SpoolError)?.code, .notFound)
            }
        }
        XCTAssertThrowsError(try q.user("nobody")) { XCTAssertEqual(($0 as? SpoolError)?.code, .notFound) }

        XCTAssertEqual(try q.segmentMembers("vip", asOf: .seq(1), limit: 10).users, [])
        XCTAssertEqual(try q.segmentMembers("vip", asOf: .seq(2), limit: 10).users, ["1"])
        XCTAssertEqual(try q.segmentMembers("vip", asOf: .time(Timestamp(milliseconds: 2_000)), limit: 10).users, ["1", "2"])
        XCTAssertEqual(try q.segmentMembers("vip", asOf: .seq(5), limit: 10).users, ["2"])
        let firstPage = try q.segmentMembers("vip", asOf: .seq(3), limit: 1)
        XCTAssertEqual(firstPage.users, ["1"])
        XCTAssertEqual(firstPage.next, "1")
        XCTAssertEqual(try q.segmentMembers("vip", asOf: .seq(3), after: "1", limit: 1).users, ["2"])
        XCTAssertNil(try q.segmentMembers("vip", asOf: .seq(3), after: "1", limit: 1).next)
        XCTAssertEqual(try q.segments(asOf: .seq(3)).segments.map(\.count), [2])
        XCTAssertEqual(try q.segments(asOf: .seq(1)).segments.count, 0)
    }

    func testAUserWrittenFieldByFieldIsItsJSONTree() throws {
        var full = UserView(userID: "u-1", createdAt: Timestamp(milliseconds: 1_764_000_000_123))
        full.email = "a\"b@example.com"
        full.firstName = "Zoë\n"
        full.attributes = JSONObjectText(["plan": "pro", "seats": 3, "tags": ["a", .null], "ratio": 0.5])
        full.segments = ["seg-01", "vip"]
        full.marketing = false
        full.deleted = true
        full.version = 12
        full.updatedAt = Timestamp(milliseconds: -1)
        full.lastSeq = 1 << 40
        let bare = UserView(userID: "u-2", createdAt: Timestamp(milliseconds: 0))
        for user in [full, bare] {
            XCTAssertEqual(String(decoding: user.jsonBytes, as: UTF8.self), user.json.jsonString)
            XCTAssertEqual(UserView(json: user.jsonBytes), user)
        }
    }

    /// New users and profile updates are folded from the record's text: fields wherever they
    /// stand, others passed over, escapes decoded, `null` removing, attributes patched in place.
    func testUsersAreFoldedFromTheDataAsWritten() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        try await e.user(
            "9", "UserCreated",
            [
                "attributes": ["a": 1, "b": ["x": [1, nil]]], "email": "z@x", "note": ["first_name": "no"], "first_name": "Zoë \"Z\"",
                "segments": ["b", "a"],
            ])
        var user = try e.engine.queries.user("9")
        XCTAssertEqual(user.firstName, "Zoë \"Z\"")
        XCTAssertEqual(user.segments, ["a", "b"])
        try await e.user(
            "9", "UserProfileUpdated", ["attributes": ["b": nil, "c": "new", "a": 2], "first_name": nil, "x": [1, 2], "last_name": "L\n"])
        user = try e.engine.queries.user("9")
        XCTAssertEqual(user.email, "z@x")
        XCTAssertNil(user.firstName)
        XCTAssertEqual(user.lastName, "L\n")
        XCTAssertEqual(String(decoding: user.attributes.bytes, as: UTF8.self), #"{"a":2,"c":"new"}"#)
    }

    /// Attributes as the data's last member, restated unchanged, then every key changed, then
    /// a key removed: each row holds the patched object exactly.
    func testAttributesLastRestatedAndChangedFoldAsTheirPatches() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        try await e.user("7", "UserCreated", ["email": "a@x", "attributes": ["plan": "pro", "n": 1]])
        let steps: [(JSONValue, String)] = [
            (["plan": "pro", "n": 1], #"{"plan":"pro","n":1}"#), (["plan": "pro", "n": 1], #"{"plan":"pro","n":1}"#),
            (["plan": "team", "n": 2], #"{"plan":"team","n":2}"#), (["plan": nil, "n": 2], #"{"n":2}"#),
        ]
        for (attributes, expected) in steps {
            try await e.user("7", "UserProfileUpdated", ["user_id": "7", "last_name": "L", "attributes": attributes])
            let user = try e.engine.queries.user("7")
            XCTAssertEqual(String(decoding: user.attributes.bytes, as: UTF8.self), expected)
            XCTAssertEqual(user.lastName, "L")
        }
    }

    func testSegmentPagingNow() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        for i in 0..<25 { try await e.user(String(format: "u%02d", i), "UserCreated", ["email": "x@example.com", "segments": ["all"]]) }
        var after: String? = nil
        var seen: [String] = []
        repeat {
            let page = try e.engine.queries.segmentMembers("all", after: after, limit: 10)
            seen += page.users
            after = page.next
        } while after != nil
        XCTAssertEqual(seen, (0..<25).map { String(format: "u%02d", $0) })
        XCTAssertEqual(try e.engine.queries.segments().segments.first?.count, 25)
    }
}

final class ViewCheckTests: XCTestCase {
    func testAReplayFoldedInPartsEqualsTheInlineViews() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        // Enough users that every part of the replay gets some, with segments shared across
        // parts (their counts are summed when the parts merge) and a status event on one
        // user's stream naming another user's email (emails are folded whole, in one part).
        for i in 0..<40 {
            let id = "p\(i)"
            try await e.user(id, "UserCreated", ["email": .string("\(id)@example.com"), "segments": ["all", .string("s\(i % 3)")]])
            try await e.email(
                id, "EmailGenerated",
                [
                    "email_id": .string("m\(i)"), "template": "welcome", "category": "transactional", "to": "x@example.com",
                    "subject": "Hi", "text": "Hello",
                ])
            if i % 4 == 0 { try await e.user(id, "UserLeftSegment", ["segment": "all"]) }
            if i % 5 == 0 { try await e.user(id, "UserDeleted") }
            if i % 2 == 1 { try await e.email("p\(i - 1)", "EmailOpened", ["email_id": .string("m\(i)")]) }
        }
        XCTAssertTrue(try e.engine.checkViews().allSatisfy(\.matches), "a fresh fold equals the inline views")
        let inline = try e.engine.checkViews().map(\.stored)
        let rebuilt = try await e.engine.rebuild()
        XCTAssertEqual(ViewKind.allCases.map { rebuilt[$0] }, inline, "a rebuild writes what the inline fold built")
        XCTAssertEqual(try e.engine.queries.segments().segments.first { $0.name == "all" }?.count, 24)
    }

    func testAViewThatDiffersFromAFreshFoldIsReported() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        try await e.user("1", "UserCreated", ["email": "a@example.com"])
        XCTAssertTrue(try e.engine.checkViews().allSatisfy(\.matches))
        // Damage the live users table behind the projector's back.
        let environment = e.engine.store.environment
        let users = try environment.openDatabase("users.0", create: false)
        try environment.write { try $0.put(users, Array("ghost".utf8), Array("{}".utf8)) }
        let checks = try e.engine.checkViews()
        XCTAssertEqual(checks.filter { !$0.matches }.map(\.view), [.usersByID])
        _ = try await e.engine.rebuild([.usersByID])
        XCTAssertTrue(try e.engine.checkViews().allSatisfy(\.matches), "a rebuild repairs it")
    }
}
