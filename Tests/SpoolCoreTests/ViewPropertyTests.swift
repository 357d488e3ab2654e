import Foundation
import JSON
import SpoolCore
import Synchronization
import XCTest

/// Random histories checked against a model kept by the test itself: for random seqs S the
/// as-of answers equal the model at S, and incremental views equal a fresh fold and a rebuild.
final class ViewPropertyTests: XCTestCase {
    struct ModelUser: Equatable {
        var email: String
        var firstName: String?
        var segments: Set<String> = []
        var marketing = true
        var deleted = false
    }

    /// SplitMix64: a small seeded generator, so a failure can be replayed.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    func testAsOfAnswersEqualTheModelAndRebuildEqualsIncremental() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        var random = Random(state: 20_261_125)
        let segments = ["vip", "beta", "churned", "eu"]
        var model: [String: ModelUser] = [:]
        var snapshots: [UInt64: [String: ModelUser]] = [:]
        let checkpoints = Set((0..<12).map { _ in UInt64.random(in: 1...3000, using: &random) })
        for _ in 0..<3000 {
            let id = "u\(Int.random(in: 0..<200, using: &random))"
            var user = model[id]
            let type: String
            var data: JSONObject = [:]
            switch (user, Int.random(in: 0..<10, using: &random)) {
            case (nil, _), (_, 0):
                let joined = segments.filter { _ in Bool.random(using: &random) }
                type = "UserCreated"
                data = ["email": .string("\(id)@example.com"), "segments": .array(joined.map(JSONValue.string))]
                user = ModelUser(email: "\(id)@example.com", segments: Set(joined))
            case (_, 1...3):
                let name = "n\(Int.random(in: 0..<99, using: &random))"
                type = "UserProfileUpdated"
                data = ["first_name": .string(name)]
                user?.firstName = name
            case (_, 4...5):
                let segment = segments.randomElement(using: &random) ?? "vip"
                type = "UserJoinedSegment"
                data = ["segment": .string(segment)]
                user?.segments.insert(segment)
            case (_, 6...7):
                let segment = segments.randomElement(using: &random) ?? "vip"
                type = "UserLeftSegment"
                data = ["segment": .string(segment)]
                user?.segments.remove(segment)
            case (_, 8):
                let marketing = Bool.random(using: &random)
                type = "UserEmailPreferencesChanged"
                data = ["marketing": .bool(marketing)]
                user?.marketing = marketing
            default:
                type = "UserDeleted"
                user?.deleted = true
                user?.segments = []
            }
            model[id] = user
            let seq = try await e.user(id, type, data).lastSeq
            if checkpoints.contains(seq) { snapshots[seq] = model }
        }
        XCTAssertFalse(snapshots.isEmpty)
        let q = e.engine.queries
        for (seq, expected) in snapshots {
            for (id, want) in expected {
                let got = try q.user(id, asOf: .seq(seq))
                XCTAssertEqual(got.email, want.email, "\(id) at \(seq)")
                XCTAssertEqual(got.firstName, want.firstName, "\(id) at \(seq)")
                XCTAssertEqual(Set(got.segments), want.segments, "\(id) at \(seq)")
                XCTAssertEqual(got.marketing, want.marketing, "\(id) at \(seq)")
                XCTAssertEqual(got.deleted, want.deleted, "\(id) at \(seq)")
            }
            for segment in segments {
                let members = try q.segmentMembers(segment, asOf: .seq(seq), limit: 1000).users
                let want = expected.filter { $0.value.segments.contains(segment) }.map(\.key).sorted {
                    $0.utf8.lexicographicallyPrecedes($1.utf8)
                }
                XCTAssertEqual(members, want, "\(segment) at \(seq)")
            }
        }
        XCTAssertTrue(try e.engine.checkViews().allSatisfy(\.matches), "incremental views equal a fresh fold")
        let before = try e.engine.checkViews().map(\.stored)
        let rebuilt = try await e.engine.rebuild()
        XCTAssertEqual(ViewKind.allCases.map { rebuilt[$0] }, before, "a rebuild equals the incremental views")
        XCTAssertTrue(try e.engine.checkViews().allSatisfy(\.matches))
    }

    /// Hundreds of appends in flight, several to each user, so one commit folds several events
    /// of a user (users-by-id reads, folds and writes each user once per commit): the
    /// incremental views still equal a fresh fold of the log.
    func testCommitsHoldingSeveralEventsOfAUserEqualAFreshFold() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        let largestCommit = Mutex(0)
        try e.engine.requireWriter().onCommit { summary in largestCommit.withLock { $0 = max($0, summary.events) } }
        let users = (0..<10).map { "b\($0)" }
        for user in users { try await e.user(user, "UserCreated", ["email": .string("\(user)@example.com")]) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for round in 0..<40 {
                for user in users {
                    group.addTask {
                        switch round % 4 {
                        case 0:
                            try await e.user(
                                user, "UserProfileUpdated",
                                ["first_name": .string("n\(round)"), "attributes": ["round": .int(Int64(round))]])
                        case 1: try await e.user(user, "UserJoinedSegment", ["segment": .string("s\(round % 3)")])
                        case 2: try await e.user(user, "UserLeftSegment", ["segment": .string("s\(round % 3)")])
                        default: try await e.user(user, "UserEmailPreferencesChanged", ["marketing": .bool(round % 8 == 3)])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        XCTAssertGreaterThan(largestCommit.withLock { $0 }, users.count, "some commit held two events of one user")
        XCTAssertTrue(try e.engine.checkViews().allSatisfy(\.matches), "incremental views equal a fresh fold")
    }

    func testOnlineRebuildWhileAppendingLosesNothingAndReadsNeverFail() async throws {
        let e = try OpenEngine()
        defer { e.close() }
        for i in 0..<2000 {
            try await e.user(
                "u\(i % 300)", i < 300 ? "UserCreated" : "UserJoinedSegment",
                i < 300 ? ["email": "x@example.com"] : ["segment": .string("s\(i % 7)")])
        }
        let engine = e.engine
        let appender = Task {
            var count = 0
            while !Task.isCancelled && count < 3000 {
                try await e.user("u\(count % 300)", "UserProfileUpdated", ["first_name": .string("n\(count)")])
                count += 1
            }
            return count
        }
        let reader = Task.detached {
            var failures = 0
            var reads = 0
            while !Task.isCancelled && reads < 200_000 {
                do {
                    _ = try engine.queries.user("u\(reads % 300)")
                    _ = try engine.queries.segmentMembers("s3", limit: 5)
                } catch {
                    failures += 1
                }
                reads += 1
            }
            return failures
        }
        let phases = PhaseLog()
        _ = try await engine.rebuild { phases.add($0.phase.rawValue) }
        let appended = try await appender.value
        reader.cancel()
        let readFailures = await reader.value
        XCTAssertEqual(readFailures, 0)
        XCTAssertGreaterThan(appended, 0)
        XCTAssertTrue(phases.seen.isSuperset(of: ["replaying", "writing", "done"]), "\(phases.seen)")
        let checks = try engine.checkViews()
        XCTAssertTrue(checks.allSatisfy(\.matches), "\(checks)")
        let head = try engine.log.head().seq
        for user in ["u0", "u5", "u299"] {
            XCTAssertEqual(try engine.queries.user(user), try engine.queries.user(user, asOf: .seq(head)), "view equals the stream's fold")
        }
    }
}

final class PhaseLog: @unchecked Sendable {
    private let lock = NSLock()
    private var phases: Set<String> = []
    func add(_ phase: String) { lock.withLock { _ = phases.insert(phase) } }
    var seen: Set<String> { lock.withLock { phases } }
}
