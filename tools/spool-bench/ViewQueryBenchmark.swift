import BenchSupport
import Foundation
import JSON
import SpoolCore

/// The query half of `spool-bench views`: latency of the view reads a client makes, one at a
/// time on one thread, against a filled engine (`ViewQueries`, no protocol, no TCP).
///
/// Each query draws its user, seq, time, segment or page cursor at random (seeded), so a run
/// mixes users with short and long histories and points early and late in the log. An as-of
/// user before the user existed is "not found" (counted, and timed like the others). Segment
/// pages hold 100 users, from the first member or from after a random user id.
struct ViewQueryBenchmark {
    let engine: Engine
    let history: UserHistory
    let directory: String
    static let pageSize = 100

    /// The queries measured, in the order they run.
    enum Query: String, CaseIterable {
        case userNow = "get_user now"
        case userAsOfSeq = "get_user as of seq"
        case userAsOfTime = "get_user as of time"
        case pageNow = "segment page 1 now"
        case pageAfterNow = "segment page after id now"
        case pageAsOf = "segment page 1 as of seq"
        case pageAfterAsOf = "segment page after id as of seq"
    }

    /// Runs up to `count` queries of each kind (fewer when `timeLimit` seconds pass) and prints
    /// a row and a JSON line per kind. Throws what a query throws other than `not_found`.
    func run(count: Int, timeLimit: Double) throws {
        let report = ReportTable(columns: [
            ("query", 30), ("queries", 7), ("found %", 7), ("rows", 5), ("p50 us", 8), ("p90 us", 8), ("p99 us", 8), ("p99.9 us", 8),
            ("max us", 8), ("queries/s", 9), ("others %", 8),
        ])
        report.header()
        let head = try engine.log.head().seq
        let first = try engine.log.event(at: 1)?.time.milliseconds ?? 0
        let last = try engine.log.event(at: head)?.time.milliseconds ?? first
        var random = SplitMix64(seed: 7)
        for query in Query.allCases {
            // A short unmeasured warm-up, so the first kind does not pay for everyone's first touches.
            for _ in 0..<min(200, count) { _ = try ask(query, head: head, times: first...last, random: &random) }
            var latency = LatencyHistogram()
            var found = 0
            var rows = 0
            let before = ProcessCounters.now(directory: directory)
            let start = ContinuousClock.now
            let deadline = start + .milliseconds(Int(timeLimit * 1000))
            var asked = 0
            while asked < count && (asked % 64 != 0 || ContinuousClock.now < deadline) {
                let began = ContinuousClock.now
                let answer = try ask(query, head: head, times: first...last, random: &random)
                latency.record(ContinuousClock.now - began)
                asked += 1
                if let answer {
                    found += 1
                    rows += answer
                }
            }
            let elapsed = seconds(since: start)
            let counters = ProcessCounters.now(directory: directory) - before
            let others = 100 * counters.othersSeconds / max(elapsed, 1e-9)
            let foundShare = 100 * Double(found) / Double(max(asked, 1))
            let averageRows = Double(rows) / Double(max(found, 1))
            report.row(
                [
                    query.rawValue, Format.grouped(Double(asked)), Format.fixed(foundShare, 1), Format.fixed(averageRows, 0),
                    Format.fixed(latency.microseconds(50), 1), Format.fixed(latency.microseconds(90), 1),
                    Format.fixed(latency.microseconds(99), 1), Format.fixed(latency.microseconds(99.9), 1),
                    Format.fixed(latency.maxMicroseconds, 0), Format.grouped(Double(asked) / max(elapsed, 1e-9)), Format.fixed(others, 0),
                ],
                json: .object(
                    JSONObject(
                        [
                            JSONMember("bench", "views-query"), JSONMember("query", .string(query.rawValue)),
                            JSONMember("events", .int(Int64(head))),
                            JSONMember("users", .int(Int64(history.users))), JSONMember("queries", .int(Int64(asked))),
                            JSONMember("found_percent", .double(rounded(foundShare, 1))),
                            JSONMember("rows", .double(rounded(averageRows, 1))),
                            JSONMember("queries_per_s", .int(Int64((Double(asked) / max(elapsed, 1e-9)).rounded()))),
                            JSONMember("others_cpu_percent", .double(rounded(others, 1))),
                        ] + latency.json(prefix: "latency"))))
        }
        report.finish()
    }

    /// Asks one query with random arguments; returns the rows answered (1 for a user), or nil
    /// for "not found" (a user that did not exist then) and for an empty page.
    private func ask(_ query: Query, head: UInt64, times: ClosedRange<Int64>, random: inout SplitMix64) throws -> Int? {
        let user = history.userID(Int(random.next() % UInt64(history.users)))
        let seq = 1 + random.next() % max(head, 1)
        let segment = UserHistory.segments[Int(random.next() % UInt64(UserHistory.segments.count))]
        let queries = engine.queries
        switch query {
        case .userNow:
            return try found { _ = try queries.user(user) }
        case .userAsOfSeq:
            return try found { _ = try queries.user(user, asOf: .seq(seq)) }
        case .userAsOfTime:
            let span = UInt64(times.upperBound - times.lowerBound + 1)
            let time = Timestamp(milliseconds: times.lowerBound + Int64(random.next() % span))
            return try found { _ = try queries.user(user, asOf: .time(time)) }
        case .pageNow, .pageAfterNow, .pageAsOf, .pageAfterAsOf:
            let after = query == .pageAfterNow || query == .pageAfterAsOf ? user : nil
            let asOf = query == .pageAsOf || query == .pageAfterAsOf ? AsOf.seq(seq) : nil
            let page = try queries.segmentMembers(segment, asOf: asOf, after: after, limit: Self.pageSize)
            return page.users.isEmpty ? nil : page.users.count
        }
    }

    /// 1 when `body` answers, nil when it throws `not_found`.
    private func found(_ body: () throws -> Void) throws -> Int? {
        do {
            try body()
            return 1
        } catch let error as SpoolError where error.code == .notFound {
            return nil
        }
    }
}
