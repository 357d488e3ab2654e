import Foundation
import JSON
import SpoolCore
import SpoolTestSupport
import XCTest

final class EmailProjectorTests: XCTestCase {
    /// Runs the projector until its subscription has nothing left but dead letters.
    func drain(_ projector: EmailProjector, _ engine: Engine) async throws {
        let task = Task { await projector.run() }
        defer { task.cancel() }
        for _ in 0..<400 {
            let info = try engine.subscriptions.info(EmailProjector.subscription)
            if info.lag == UInt64(info.deadLetters) && info.inFlight == 0 && info.waitingRedelivery == 0 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        XCTFail("the projector did not catch up")
    }

    func emails(_ engine: Engine, _ user: String) throws -> [RecordedEvent] {
        try engine.log.readStream("email-\(user)").filter { $0.type == "EmailGenerated" }
    }

    func testScriptedHistoryProducesExactlyTheExpectedEmails() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        let projector = EmailProjector(engine: e.engine, catalog: try EmailCatalog())
        try await projector.ensureSubscriptions()
        try await e.user("ada", "UserCreated", ["email": "ada@example.com", "first_name": "Ada"])
        try await e.user("ada", "UserJoinedSegment", ["segment": "vip"])
        try await e.user("ada", "UserProfileUpdated", ["attributes": ["style": "minimal"]])
        try await e.user("bo", "UserCreated", ["email": "bo@example.com"])
        try await e.user("bo", "UserEmailPreferencesChanged", ["marketing": false])
        try await e.user("bo", "UserJoinedSegment", ["segment": "vip"])  // marketing: not for bo
        try await e.user("bo", "UserEmailPreferencesChanged", ["marketing": true])  // transactional confirmation
        try await e.user("cy", "UserCreated", ["email": "cy@example.com"])
        try await e.user("cy", "UserDeleted", [:])
        try await e.user("cy", "UserJoinedSegment", ["segment": "vip"])  // deleted: nothing
        try await drain(projector, e.engine)

        let ada = try emails(e.engine, "ada").map { try JSONParser.parse($0.data) }
        XCTAssertEqual(ada.map { $0["template"] }, ["welcome", "joined_segment", "style_updated"])
        XCTAssertEqual(ada.map { $0["subject"] }, ["Welcome, Ada!", "You're now part of vip", "Picked for your minimal style"])
        XCTAssertEqual(ada.first?["to"], "ada@example.com")
        XCTAssertTrue(ada.first?["text"]?.stringValue?.hasPrefix("Hi Ada,\n\nThanks for joining us.") == true)
        let bo = try emails(e.engine, "bo").map { try JSONParser.parse($0.data)["template"] }
        XCTAssertEqual(bo, ["welcome", "resubscribed"])
        XCTAssertEqual(try emails(e.engine, "cy").map { try JSONParser.parse($0.data)["template"] }, ["welcome"])

        let welcome = try XCTUnwrap(try emails(e.engine, "ada").first)
        let cause = try XCTUnwrap(try e.engine.log.event(at: 1))
        XCTAssertEqual(try JSONParser.parse(welcome.metadata)["causation_id"], .string(cause.id.lowercasedString))
        XCTAssertEqual(try e.engine.queries.emails("ada").emails.count, 3, "emails-by-user sees them")

        // Redelivering everything appends nothing new: the email ids are derived from the source.
        let before = try e.engine.log.head().seq
        try await e.engine.subscriptions.reset(EmailProjector.subscription, to: .beginning)
        try await drain(projector, e.engine)
        XCTAssertEqual(try e.engine.log.head().seq, before)
    }

    func testAFailingTemplateDeadLettersThatEventAndOthersStillGetTheirs() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        let config = try TemporaryDirectory("email-config")
        defer { config.remove() }
        try FileManager.default.createDirectory(atPath: config.appending("templates"), withIntermediateDirectories: true)
        try
            #"{"rules": [{"name": "hello", "on": "UserCreated", "template": "hello", "category": "transactional", "requires": ["user.last_name"]}]}"#
            .write(toFile: config.appending("rules.json"), atomically: true, encoding: .utf8)
        try "Hello {{user.last_name}}".write(
            toFile: config.appending("templates/hello.subject.mustache"), atomically: true, encoding: .utf8)
        try "Dear {{user.first_name}} {{user.last_name}}".write(
            toFile: config.appending("templates/hello.text.mustache"), atomically: true, encoding: .utf8)
        var projector = EmailProjector(engine: e.engine, catalog: try EmailCatalog(directory: config.path))
        projector.retryDelayMilliseconds = 0
        let userTypes = Set(EventType.allCases.filter(\.isUserEvent).map(\.rawValue))
        try await e.engine.subscriptions.create(
            SubscriptionConfig(name: EmailProjector.subscription, filter: EventFilter(types: userTypes), maxDeliveries: 2))
        try await projector.ensureSubscriptions()
        try await e.user("1", "UserCreated", ["email": "one@example.com", "last_name": "One"])
        try await e.user("2", "UserCreated", ["email": "two@example.com"])  // no last name: fails
        try await e.user("3", "UserCreated", ["email": "three@example.com", "last_name": "Three"])
        try await drain(projector, e.engine)
        XCTAssertEqual(try emails(e.engine, "1").count, 1)
        XCTAssertEqual(try emails(e.engine, "2").count, 0)
        XCTAssertEqual(try emails(e.engine, "3").count, 1)
        let dead = try e.engine.subscriptions.deadLetters(EmailProjector.subscription)
        XCTAssertEqual(dead.map(\.seq), [2])
        XCTAssertTrue(dead.first?.lastError?.contains("user.last_name") == true, dead.first?.lastError ?? "")
        XCTAssertEqual(try JSONParser.parse(try emails(e.engine, "3")[0].data)["subject"], "Hello Three")
    }

    func testBadRulesAndTemplatesAreRefusedWithFileAndLine() throws {
        let config = try TemporaryDirectory("email-config")
        defer { config.remove() }
        try "{\n  \"rules\": [\n    {\"name\": \"x\",, }\n  ]\n}".write(
            toFile: config.appending("rules.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EmailCatalog(directory: config.path)) { error in
            let message = (error as? SpoolError)?.message ?? ""
            XCTAssertTrue(message.contains("rules.json: line 3"), message)
        }
        // Valid JSON, but the second rule has no category: the line where that rule starts.
        let twoRules = """
            {"rules": [
              {"name": "a", "on": "UserCreated", "template": "welcome", "category": "transactional"},
              {"name": "b", "on": "UserCreated",
               "template": "welcome"}
            ]}
            """
        try twoRules.write(toFile: config.appending("rules.json"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EmailCatalog(directory: config.path)) { error in
            let message = (error as? SpoolError)?.message ?? ""
            XCTAssertTrue(message.contains("rules.json: line 3: rules[1].category"), message)
        }
        try #"{"rules": []}"#.write(toFile: config.appending("rules.json"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: config.appending("templates"), withIntermediateDirectories: true)
        try "line one\n{{#open}} never closed".write(
            toFile: config.appending("templates/bad.text.mustache"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try EmailCatalog(directory: config.path)) { error in
            let message = (error as? SpoolError)?.message ?? ""
            XCTAssertTrue(message.contains("bad") && message.contains("line"), message)
        }
    }

    func testPreviewRendersWithoutAppending() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        try await e.user("ada", "UserCreated", ["email": "ada@example.com", "first_name": "Ada"])
        let projector = EmailProjector(engine: e.engine, catalog: try EmailCatalog())
        let head = try e.engine.log.head().seq
        let preview = try projector.preview(userID: "ada", type: "UserJoinedSegment", data: ["segment": "gold"])
        XCTAssertEqual(preview.map(\.subject), ["You're now part of gold"])
        XCTAssertEqual(try e.engine.log.head().seq, head)
        XCTAssertThrowsError(try projector.preview(userID: "nobody", type: "UserJoinedSegment", data: ["segment": "gold"]))
    }
}
