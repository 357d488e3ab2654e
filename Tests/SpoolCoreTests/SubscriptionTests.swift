import Foundation
import JSON
import SpoolTestSupport
import XCTest

@testable import SpoolCore

final class SubscriptionTests: XCTestCase {
    func makeEngine(_ clock: TestClock, directory: TemporaryDirectory) throws -> Engine {
        var options = Engine.Options()
        options.mapSize = 64 << 20
        options.clock = { clock.now() }
        return try Engine(directory: directory.path, options: options)
    }

    /// A fresh engine on a test clock at 1,000 ms, in a temporary directory; both go when the
    /// test ends.
    func openEngine() throws -> (clock: TestClock, engine: Engine) {
        let clock = TestClock(start: 1_000)
        let directory = try TemporaryDirectory("subs")
        addTeardownBlock { directory.remove() }
        let engine = try makeEngine(clock, directory: directory)
        addTeardownBlock { engine.close() }  // runs first: teardown blocks run last-added first
        return (clock, engine)
    }

    func appendUsers(_ engine: Engine, _ ids: [String]) async throws {
        for id in ids {
            let event = ProposedEvent(type: "UserCreated", data: ["user_id": .string(id), "email": "x@example.com"])
            _ = try await engine.append(AppendRequest(stream: "user-\(id)", events: [event]), actor: "test")
        }
    }

    func testFanOutAndFilters() async throws {
        let engine = try openEngine().engine
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "a"))
        try await hub.create(SubscriptionConfig(name: "b"))
        try await hub.create(SubscriptionConfig(name: "created", filter: EventFilter(types: ["UserCreated"])))
        try await hub.create(SubscriptionConfig(name: "user-1s", filter: EventFilter(streamPrefix: "user-1")))
        try await appendUsers(engine, ["1", "2", "10"])
        let update = ProposedEvent(type: "UserProfileUpdated", data: ["user_id": "2", "first_name": "B"])
        _ = try await engine.append(AppendRequest(stream: "user-2", events: [update]), actor: "t")
        let a = try await hub.fetch("a", max: 10, consumer: "c1").map(\.seq)
        let b = try await hub.fetch("b", max: 10, consumer: "c2").map(\.seq)
        XCTAssertEqual(a, [1, 2, 3, 4])
        XCTAssertEqual(b, [1, 2, 3, 4], "each subscription sees every event")
        let got1 = try await hub.fetch("created", max: 10, consumer: "c").map(\.seq)
        XCTAssertEqual(got1, [1, 2, 3])
        let got2 = try await hub.fetch("user-1s", max: 10, consumer: "c").map(\.seq)
        XCTAssertEqual(got2, [1, 3])
        XCTAssertEqual(try hub.info("a").inFlight, 4)
        try await hub.ack("a", [1, 2, 3, 4])
        let info = try hub.info("a")
        XCTAssertEqual(info.ackFloor, 4)
        XCTAssertEqual(info.lag, 0)
        XCTAssertEqual(try hub.info("b").lag, 4)
        XCTAssertEqual(try hub.info("created").lag, 3)
    }

    func testCompetingConsumersShareEventsAndEachIsProcessedOnce() async throws {
        let engine = try openEngine().engine
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "q"))
        try await appendUsers(engine, (0..<300).map { "u\($0)" })
        let processed = await withTaskGroup(of: [UInt64].self) { group in
            for consumer in 0..<4 {
                group.addTask {
                    var mine: [UInt64] = []
                    while let batch = try? await hub.fetch("q", max: 7, consumer: "c\(consumer)"), !batch.isEmpty {
                        mine += batch.map(\.seq)
                        try? await hub.ack("q", batch.map(\.seq))
                    }
                    return mine
                }
            }
            return await group.reduce(into: [[UInt64]]()) { $0.append($1) }
        }
        let all = processed.flatMap { $0 }
        XCTAssertEqual(all.count, 300, "no event processed twice")
        XCTAssertEqual(Set(all), Set(1...300))
        XCTAssertGreaterThan(processed.filter { !$0.isEmpty }.count, 1, "the work was shared")
        XCTAssertEqual(try hub.info("q").ackFloor, 300)
    }

    /// Fetches read the log outside the subscriptions' lock and admit what they read under it:
    /// however many race (long scans of a sparse filter make them overlap), none leases an
    /// event another holds, and together they keep to `max_in_flight`.
    func testRacingFetchesKeepToMaxInFlightAndNeverShareAnEvent() async throws {
        let engine = try openEngine().engine
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "q", filter: EventFilter(types: ["UserJoinedSegment"]), maxInFlight: 5))
        var joins: [UInt64] = []
        for index in 0..<50 {
            try await appendUsers(engine, (0..<40).map { "u\(index)-\($0)" })
            let join = ProposedEvent(type: "UserJoinedSegment", data: ["user_id": .string("u\(index)-0"), "segment": "vip"])
            joins.append(try await engine.append(AppendRequest(stream: "user-u\(index)-0", events: [join]), actor: "test").lastSeq)
        }
        var all: [UInt64] = []
        for round in 0..<10 {  // 5 of the 50 joins a round
            let leased = await withTaskGroup(of: [UInt64].self) { group in
                for consumer in 0..<8 {
                    group.addTask { (try? await hub.fetch("q", max: 3, consumer: "c\(consumer)"))?.map(\.seq) ?? [] }
                }
                return await group.reduce(into: [UInt64]()) { $0 += $1 }
            }
            XCTAssertEqual(leased.count, 5, "round \(round): max_in_flight, however the fetches interleave")
            XCTAssertEqual(Set(leased).count, leased.count, "round \(round): no event leased twice")
            XCTAssertEqual(try hub.info("q").inFlight, 5)
            try await hub.ack("q", leased)
            all += leased
        }
        XCTAssertEqual(all.sorted(), joins, "every join leased once")
    }

    func testLeaseTimeoutNackDelayMaxDeliveriesDeadLettersAndRequeue() async throws {
        let (clock, engine) = try openEngine()
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "q", ackTimeoutMilliseconds: 1000, maxDeliveries: 3))
        try await appendUsers(engine, ["1", "2"])
        let first = try await hub.fetch("q", max: 1, consumer: "a")
        XCTAssertEqual(first.map(\.seq), [1])
        XCTAssertEqual(first.first?.delivery, 1)
        let got3 = try await hub.fetch("q", max: 1, consumer: "b").map(\.seq)
        XCTAssertEqual(got3, [2], "a leased event goes to nobody else")
        clock.set(2_001)  // seq 1's and seq 2's leases expired
        let again = try await hub.fetch("q", max: 1, consumer: "b")
        XCTAssertEqual(again.map(\.seq), [1])
        XCTAssertEqual(again.first?.delivery, 2)
        try await hub.nack("q", [1], delayMilliseconds: 500, error: "template failed")
        let got4 = try await hub.fetch("q", max: 5, consumer: "b").map(\.seq)
        XCTAssertEqual(got4, [2], "seq 1 waits out its delay")
        clock.set(2_600)
        let third = try await hub.fetch("q", max: 5, consumer: "b")
        XCTAssertEqual(third.map(\.seq), [1])
        XCTAssertEqual(third.first?.delivery, 3)
        try await hub.nack("q", [1], error: "still failing")
        let dead = try hub.deadLetters("q")
        XCTAssertEqual(dead.map(\.seq), [1])
        XCTAssertEqual(dead.first?.lastError, "still failing")
        XCTAssertEqual(dead.first?.deliveries, 3)
        XCTAssertEqual(try hub.info("q").deadLetters, 1)
        let refused = await spoolError { try await hub.ack("q", [1]) }
        XCTAssertEqual(refused?.code, .badRequest)
        try await hub.ack("q", [2])
        XCTAssertEqual(try hub.info("q").ackFloor, 0, "a dead letter holds the floor")
        let got5 = try await hub.requeue("q", nil)
        XCTAssertEqual(got5, [1])
        let requeued = try await hub.fetch("q", max: 5, consumer: "c")
        XCTAssertEqual(requeued.map(\.seq), [1])
        XCTAssertEqual(requeued.first?.delivery, 1)
        try await hub.ack("q", [1])
        XCTAssertEqual(try hub.info("q").ackFloor, 2)
    }

    func testLongPollWakesOnAppend() async throws {
        let directory = try TemporaryDirectory("subs")
        defer { directory.remove() }
        var options = Engine.Options()
        options.mapSize = 64 << 20
        let engine = try Engine(directory: directory.path, options: options)
        defer { engine.close() }
        let hub = engine.subscriptions
        try await appendUsers(engine, ["old"])
        try await hub.create(SubscriptionConfig(name: "q", start: .end))
        let poll = Task { try await hub.fetch("q", max: 10, waitMilliseconds: 20_000, consumer: "c") }
        try await Task.sleep(for: .milliseconds(50))
        try await appendUsers(engine, ["new"])
        let got = try await poll.value
        XCTAssertEqual(got.map(\.seq), [2], "woken by the commit, long before the 20 s wait ends")
        let got6 = try await hub.fetch("q", max: 10, waitMilliseconds: 50, consumer: "c").count
        XCTAssertEqual(got6, 0)
        for index in 0..<50 { _ = try await hub.fetch("q", max: 1, waitMilliseconds: 1, consumer: "passer-by-\(index)") }
        XCTAssertTrue(hub.waiting.withLock { $0.isEmpty }, "a consumer that stopped waiting leaves no entry behind")
    }

    func testRestartRedeliversUnackedAndNeverAcked() async throws {
        let clock = TestClock(start: 1_000)
        let directory = try TemporaryDirectory("subs")
        defer { directory.remove() }
        do {
            let engine = try makeEngine(clock, directory: directory)
            try await engine.subscriptions.create(SubscriptionConfig(name: "q"))
            try await appendUsers(engine, (1...6).map { "u\($0)" })
            let got = try await engine.subscriptions.fetch("q", max: 6, consumer: "a")
            XCTAssertEqual(got.count, 6)
            try await engine.subscriptions.ack("q", [1, 2, 4, 6])
            engine.close()
        }
        let engine = try await reopen { try makeEngine(clock, directory: directory) }
        defer { engine.close() }
        let again = try await engine.subscriptions.fetch("q", max: 10, consumer: "b")
        XCTAssertEqual(again.map(\.seq), [3, 5], "unacked events come back; acked ones never do")
        XCTAssertEqual(again.map(\.delivery), [2, 2], "delivery counts survive the restart")
        try await engine.subscriptions.ack("q", [3, 5])
        XCTAssertEqual(try engine.subscriptions.info("q").ackFloor, 6)
    }

    func testAShutdownRightAfterAFetchKeepsItsDeliveryCounts() async throws {
        let clock = TestClock(start: 1_000)
        let directory = try TemporaryDirectory("subs")
        defer { directory.remove() }
        do {
            let engine = try makeEngine(clock, directory: directory)
            try await engine.subscriptions.create(SubscriptionConfig(name: "q"))
            try await appendUsers(engine, ["a", "b"])
            let got = try await engine.subscriptions.fetch("q", max: 2, consumer: "a")
            XCTAssertEqual(got.map(\.delivery), [1, 1])
            await engine.shutdown()  // the fetch wrote nothing itself: shutdown writes its counts
        }
        let engine = try await reopen { try makeEngine(clock, directory: directory) }
        defer { engine.close() }
        let again = try await engine.subscriptions.fetch("q", max: 10, consumer: "b")
        XCTAssertEqual(again.map(\.delivery), [2, 2])
    }

    func testTheFloorClearsTheDeliveryCountsItPasses() async throws {
        let engine = try openEngine().engine
        let hub = engine.subscriptions
        let deliveries = try engine.store.environment.openDatabase("sub_deliveries", create: false)
        func stored() throws -> Int { try engine.store.environment.read { try $0.count(deliveries) } }
        try await hub.create(SubscriptionConfig(name: "q"))
        try await appendUsers(engine, ["a", "b", "c", "d"])
        let seqs = try await hub.fetch("q", max: 4, consumer: "a").map(\.seq)
        await hub.tick()  // writes the fetch's delivery counts
        XCTAssertEqual(try stored(), 4)
        try await hub.ack("q", [seqs[0], seqs[1], seqs[3]])
        XCTAssertEqual(try stored(), 1, "the floor passed two (their rows go) and the ack above it removed one")
        let again = try await hub.fetch("q", max: 4, consumer: "a")
        XCTAssertEqual(again.map(\.seq), [], "leased still, nothing new")
        try await hub.nack("q", [seqs[2]])
        let redelivered = try await hub.fetch("q", max: 4, consumer: "b")
        XCTAssertEqual(redelivered.map(\.delivery), [2], "the count above the floor was kept")
        try await hub.ack("q", [seqs[2]])
        XCTAssertEqual(try stored(), 0)
        // A fetch and its ack in one write leave nothing but the floor.
        try await appendUsers(engine, ["e", "f"])
        try await hub.ack("q", try await hub.fetch("q", max: 4, consumer: "a").map(\.seq))
        XCTAssertEqual(try stored(), 0)
        XCTAssertEqual(try hub.info("q").ackFloor, seqs[3] + 2)
    }

    func testResetToAnEarlierTimeReplays() async throws {
        let (clock, engine) = try openEngine()
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "q"))
        try await appendUsers(engine, ["1"])
        clock.set(5_000)
        try await appendUsers(engine, ["2", "3"])
        try await hub.ack("q", try await hub.fetch("q", max: 10, consumer: "a").map(\.seq))
        let got7 = try await hub.fetch("q", max: 10, consumer: "a").count
        XCTAssertEqual(got7, 0)
        try await hub.reset("q", to: .time(Timestamp(milliseconds: 4_000)))
        let got8 = try await hub.fetch("q", max: 10, consumer: "a").map(\.seq)
        XCTAssertEqual(got8, [2, 3])
    }

    /// Twenty events of ~1 MB: one fetch stops once it holds 16 MiB, the next takes the rest.
    func testAFetchEndsAtItsByteBudget() async throws {
        let engine = try openEngine().engine
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "big"))
        let bio = JSONValue.string(String(repeating: "x", count: 1_000_000))
        for index in 0..<20 {
            let data: JSONValue = ["user_id": .string("b\(index)"), "email": "x@example.com", "attributes": ["bio": bio]]
            let event = ProposedEvent(type: "UserCreated", data: data)
            _ = try await engine.append(AppendRequest(stream: "user-b\(index)", events: [event]), actor: "test")
        }
        let first = try await hub.fetch("big", max: 100, consumer: "c")
        XCTAssertEqual(first.count, 17, "16 MiB is reached within the 17th")
        let second = try await hub.fetch("big", max: 100, consumer: "c")
        XCTAssertEqual((first + second).map(\.seq), Array(1...20))
    }

    func testBadInputGetsClearErrors() async throws {
        let engine = try openEngine().engine
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "q"))
        let created = try await hub.create(SubscriptionConfig(name: "q"))
        XCTAssertFalse(created, "the same settings again is a no-op")
        let other = await spoolError { try await hub.create(SubscriptionConfig(name: "q", maxDeliveries: 9)) }
        XCTAssertEqual(other?.code, .alreadyExists)
        let unknown = await spoolError { try await hub.fetch("nope", max: 1, consumer: "c") }
        XCTAssertEqual(unknown?.code, .notFound)
        let never = await spoolError { try await hub.ack("q", [42]) }
        XCTAssertEqual(never?.code, .notFound)
        let badName = await spoolError { try await hub.create(SubscriptionConfig(name: "has space")) }
        XCTAssertEqual(badName?.code, .badRequest)
        try await hub.delete("q")
        XCTAssertThrowsError(try hub.info("q"))
    }

    /// A filtered subscription's lag, counted again after appends (continuing the last count)
    /// and after its cursor moved (counted afresh), always equals a count of the log.
    func testFilteredLagFollowsAppendsAndConsumption() async throws {
        let clock = TestClock(start: 1_000)
        let directory = try TemporaryDirectory("lag")
        defer { directory.remove() }
        let engine = try makeEngine(clock, directory: directory)
        defer { engine.close() }
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "joins", filter: EventFilter(types: ["UserJoinedSegment"])))
        func join(_ user: String) async throws {
            let event = ProposedEvent(type: "UserJoinedSegment", data: ["user_id": .string(user), "segment": "vip"])
            _ = try await engine.append(AppendRequest(stream: "user-\(user)", events: [event]), actor: "test")
        }
        try await appendUsers(engine, ["a", "b"])
        try await join("a")
        XCTAssertEqual(try hub.info("joins").lag, 1)
        try await appendUsers(engine, ["c"])
        try await join("b")
        try await join("c")
        let continued = try hub.info("joins")
        XCTAssertEqual(continued.lag, 3, "the count continued past the new events")
        XCTAssertTrue(continued.lagExact)
        let fetched = try await hub.fetch("joins", max: 2, consumer: "x")
        try await hub.ack("joins", fetched.map(\.seq))
        XCTAssertEqual(try hub.info("joins").lag, 1, "counted afresh after the cursor moved")
        try await join("d")
        XCTAssertEqual(try hub.info("joins").lag, 2)
    }

    /// Rounds of appends (matching and not) and of consumption that moves the cursor by
    /// various amounts: each lag, counted on from the last count, equals a count of the
    /// matching events not yet acked.
    func testFilteredLagStaysExactWhileCountsContinue() async throws {
        let clock = TestClock(start: 1_000)
        let directory = try TemporaryDirectory("lag-rounds")
        defer { directory.remove() }
        let engine = try makeEngine(clock, directory: directory)
        defer { engine.close() }
        let hub = engine.subscriptions
        try await hub.create(SubscriptionConfig(name: "joins", filter: EventFilter(types: ["UserJoinedSegment"])))
        try await appendUsers(engine, ["a"])
        var random = SystemRandomNumberGenerator()
        var matching = 0
        var acked = 0
        for round in 0..<40 {
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                let joins = Bool.random(using: &random)
                let event =
                    joins
                    ? ProposedEvent(type: "UserJoinedSegment", data: ["user_id": "a", "segment": .string("s\(round)")])
                    : ProposedEvent(type: "UserProfileUpdated", data: ["user_id": "a", "first_name": .string("n\(round)")])
                _ = try await engine.append(AppendRequest(stream: "user-a", events: [event]), actor: "test")
                if joins { matching += 1 }
            }
            if Bool.random(using: &random) {
                let fetched = try await hub.fetch("joins", max: Int.random(in: 1...5, using: &random), consumer: "x")
                try await hub.ack("joins", fetched.map(\.seq))
                acked += fetched.count
            }
            let info = try hub.info("joins")
            XCTAssertEqual(info.lag, UInt64(matching - acked), "round \(round)")
            XCTAssertTrue(info.lagExact)
        }
    }
}
