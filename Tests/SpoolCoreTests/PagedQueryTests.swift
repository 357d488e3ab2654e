import JSON
import SpoolTestSupport
import XCTest

@testable import SpoolCore

/// `audit` merges a user's two streams in seq order a page at a time: a page never skips an
/// event of either stream, `next` continues exactly after it, and time ranges, `as_of` and a
/// byte budget narrow or end pages without losing events. `list_emails` pages the same way.
final class PagedQueryTests: XCTestCase {
    private let generated: JSONObject = [
        "email_id": "m1", "template": "welcome", "category": "transactional", "to": "ada@example.com", "subject": "Hi",
        "text": "Hi",
    ]

    /// user-42: 1, 3, 6, 8 · email-42: 2, 4, 7 · user-7: 5; times 1,000 · 2,000 · 3,000 … per seq.
    private func history() async throws -> (OpenEngine, TestClock) {
        let clock = TestClock(start: 1_000)
        let e = try OpenEngine(clock: { clock.now() })
        let steps: [(OpenEngine) async throws -> Void] = [
            { try await $0.user("42", "UserCreated", ["email": "ada@example.com"]) },
            { try await $0.email("42", "EmailGenerated", self.generated, cause: "c") },
            { try await $0.user("42", "UserJoinedSegment", ["segment": "vip"]) },
            { try await $0.email("42", "EmailSent", ["email_id": "m1", "provider_id": "p"]) },
            { try await $0.user("7", "UserCreated", ["email": "bo@example.com"]) },
            { try await $0.user("42", "UserLeftSegment", ["segment": "vip"]) },
            { try await $0.email("42", "EmailOpened", ["email_id": "m1"]) },
            { try await $0.user("42", "UserEmailPreferencesChanged", ["marketing": false]) },
        ]
        for (index, step) in steps.enumerated() {
            clock.set(Int64(1_000 * (index + 1)))
            try await step(e)
        }
        return (e, clock)
    }

    /// Every page of the trail, in order, as (seqs, next).
    private func pages(_ q: ViewQueries, limit: Int, maxBytes: Int = .max, since: Int64? = nil, until: Int64? = nil)
        throws -> [([UInt64], UInt64?)]
    {
        var result: [([UInt64], UInt64?)] = []
        var after: UInt64 = 0
        while result.count < 20 {
            let page = try q.audit(
                "42", since: since.map(Timestamp.init(milliseconds:)), until: until.map(Timestamp.init(milliseconds:)), after: after,
                limit: limit, maxBytes: maxBytes)
            result.append((page.events.map(\.seq), page.next))
            guard let next = page.next else { break }
            after = next
        }
        return result
    }

    func testPagesWalkBothStreamsInSeqOrder() async throws {
        let (e, _) = try await history()
        defer { e.close() }
        let q = e.engine.queries
        XCTAssertEqual(try q.audit("42").events.map(\.seq), [1, 2, 3, 4, 6, 7, 8])
        XCTAssertNil(try q.audit("42").next)
        let byThree = try pages(q, limit: 3)
        XCTAssertEqual(byThree.map(\.0), [[1, 2, 3], [4, 6, 7], [8]])
        XCTAssertEqual(byThree.map(\.1), [3, 7, nil])
        // A page that ends exactly at the trail's end says so at once.
        XCTAssertEqual(try pages(q, limit: 7).map(\.1), [nil])
        // A byte budget of one record: each stream reads one event, and the page holds only
        // what comes before the first event either stream left unread.
        let byBytes = try pages(q, limit: 100, maxBytes: 1)
        XCTAssertEqual(byBytes.map(\.0), [[1, 2], [3, 4], [6, 7], [8]])
        XCTAssertEqual(byBytes.map(\.1), [2, 4, 7, nil])
        XCTAssertEqual(try q.audit("42", after: 8).events.count, 0)
        XCTAssertEqual(try q.audit("42", asOf: .seq(4), limit: 2).events.map(\.seq), [1, 2])
        XCTAssertEqual(try q.audit("42", asOf: .seq(4), after: 2, limit: 2).next, nil, "as_of 4 ends the trail at seq 4")
    }

    func testTimeRangesAreSeqRanges() async throws {
        let (e, _) = try await history()
        defer { e.close() }
        let q = e.engine.queries
        // since 3,000 (seq 3 on) and until 7,000 (through seq 7).
        let ranged = try pages(q, limit: 2, since: 3_000, until: 7_000)
        XCTAssertEqual(ranged.map(\.0), [[3, 4], [6, 7]])
        XCTAssertEqual(ranged.last?.1, nil)
        XCTAssertEqual(try q.audit("42", since: Timestamp(milliseconds: 9_000)).events.count, 0)
        XCTAssertEqual(try q.audit("42", until: Timestamp(milliseconds: 500)).events.count, 0)
    }

    /// The first version after a seq, found by binary search, for every seq of a stream.
    func testFirstVersionAfterASeq() async throws {
        let (e, _) = try await history()
        defer { e.close() }
        let store = e.engine.store
        let expected: [UInt64: UInt64] = [0: 1, 1: 2, 2: 2, 3: 3, 5: 3, 6: 4, 7: 4, 8: 5, 100: 5]
        for (seq, version) in expected {
            let found = try store.environment.read { try StreamIndex.firstVersion(of: "user-42", after: seq, in: $0, store: store) }
            XCTAssertEqual(found, version, "after seq \(seq)")
        }
        XCTAssertEqual(try store.environment.read { try StreamIndex.firstVersion(of: "user-none", after: 0, in: $0, store: store) }, 1)
    }

    func testEmailsPageInTheOrderTheyWereGenerated() async throws {
        let (e, _) = try await history()
        defer { e.close() }
        for name in ["m2", "m3", "m4"] {
            var email = generated
            email["email_id"] = .string(name)
            try await e.email("42", "EmailGenerated", email)  // 9, 10, 11
        }
        let q = e.engine.queries
        let whole = try q.emails("42")
        XCTAssertEqual(whole.emails.map { $0["email_id"] }, ["m1", "m2", "m3", "m4"])
        XCTAssertNil(whole.next)
        var after: UInt64 = 0
        var pages: [[JSONValue?]] = []
        while pages.count < 10 {
            let page = try q.emails("42", after: after, limit: 3)
            pages.append(page.emails.map { $0["email_id"] })
            guard let next = page.next else { break }
            after = next
        }
        XCTAssertEqual(pages, [["m1", "m2", "m3"], ["m4"]])
        XCTAssertEqual(after, 10, "the next page starts after m3's seq")
        XCTAssertEqual(try q.emails("42", maxBytes: 1).emails.count, 1, "a page holds one email at least")
        XCTAssertEqual(try q.emails("42", maxBytes: 1).next, 2)
        XCTAssertEqual(try q.emails("42", asOf: .seq(9), after: 2).emails.map { $0["email_id"] }, ["m2"])
        XCTAssertEqual(try q.emails("42", after: .max).emails.count, 0)
    }

    /// Segments page by name, now and as of every seq of a history of joins and leaves, and
    /// the pages add up to the counts a plain fold of that history gives.
    func testSegmentsPageByNameNowAndAsOfEverySeq() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        var script: [(user: String, segment: String, joins: Bool)] = []
        var random = SystemRandomNumberGenerator()
        for user in 1...6 { try await e.user("u\(user)", "UserCreated", ["email": .string("u\(user)@example.com")]) }
        for _ in 0..<60 {
            let step = (
                user: "u\(Int.random(in: 1...6, using: &random))", segment: ["a", "b", "c", "d", "e"].randomElement(using: &random) ?? "a",
                joins: Bool.random(using: &random)
            )
            try await e.user(step.user, step.joins ? "UserJoinedSegment" : "UserLeftSegment", ["segment": .string(step.segment)])
            script.append(step)
        }
        let q = e.engine.queries
        for seq in UInt64(6)...UInt64(66) {
            var members: [String: Set<String>] = [:]
            for step in script.prefix(Int(seq) - 6) {
                if step.joins { members[step.segment, default: []].insert(step.user) } else { members[step.segment]?.remove(step.user) }
            }
            let expected = members.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.count)" }
            for limit in [1, 2, 100] {
                var after: String? = nil
                var listed: [String] = []
                for _ in 0..<10 {
                    let page = try q.segments(asOf: .seq(seq), after: after, limit: limit)
                    XCTAssertLessThanOrEqual(page.segments.count, limit)
                    listed += page.segments.map { "\($0.name)=\($0.count)" }
                    guard let next = page.next else { break }
                    after = next
                }
                XCTAssertEqual(listed, expected, "as of seq \(seq), \(limit) a page")
                if seq == 66 {
                    let now = try q.segments(limit: limit)
                    XCTAssertEqual(now.segments.map { "\($0.name)=\($0.count)" }, Array(expected.prefix(limit)), "now, \(limit) a page")
                }
            }
        }
    }
}
