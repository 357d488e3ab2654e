import Foundation
import JSON
import XCTest

@testable import SpoolCore

/// The writer's held users-by-id rows: used once committed, never before, dropped with the slot.
final class RecentUsersTests: XCTestCase {
    private var seq: UInt64 = 0

    /// An event of user `id`'s stream, at the next seq.
    private func event(_ type: EventType, _ id: String, _ data: JSONObject = [:]) -> DecodedEvent {
        seq += 1
        var data = data
        data["user_id"] = .string(id)
        let recorded = RecordedEvent(
            seq: seq, id: UUID(), stream: "user-\(id)", version: seq, type: type.rawValue, time: Timestamp(milliseconds: Int64(seq)),
            metadata: Array("{}".utf8), data: JSONValue.object(data).jsonBytes, hasClientID: false, previousHash: [], hash: [])
        return DecodedEvent(recorded, type: type, data: data)
    }

    private func email(of id: String, in tables: MemoryViewTables) -> String? {
        tables.get(0, Array(id.utf8)).flatMap(UserView.init(json:))?.email
    }

    /// Replaces user `id`'s stored row with one whose email is `email`, behind the cache's back.
    private func store(_ id: String, email: String, in tables: MemoryViewTables) {
        var user = UserView(userID: id, createdAt: Timestamp(milliseconds: 0))
        user.email = email
        tables.put(0, Array(id.utf8), user.jsonBytes)
    }

    /// A cache holding user 1, created with email `a@example.com` in slot 0 and committed.
    private func holdingUser1() throws -> (RecentUsers, MemoryViewTables) {
        let recent = RecentUsers()
        let tables = MemoryViewTables(count: 1)
        try recent.fold([event(.userCreated, "1", ["email": "a@example.com"])], into: tables, slot: 0)
        recent.commit()
        return (recent, tables)
    }

    func testACommittedFoldIsWhereTheNextOneStarts() throws {
        let (recent, tables) = try holdingUser1()
        store("1", email: "stored@example.com", in: tables)
        try recent.fold([event(.userProfileUpdated, "1", ["last_name": "Lovelace"])], into: tables, slot: 0)
        XCTAssertEqual(email(of: "1", in: tables), "a@example.com", "the held row, not the stored one")
        recent.commit()
        XCTAssertEqual(recent.count, 1)
    }

    func testAFoldThatWasNotCommittedIsNeverUsed() throws {
        let (recent, tables) = try holdingUser1()
        // A transaction folds a new email and fails: its write is undone, and no commit comes.
        try recent.fold([event(.userProfileUpdated, "1", ["email": "b@example.com"])], into: tables, slot: 0)
        store("1", email: "a@example.com", in: tables)
        try recent.fold([event(.userProfileUpdated, "1", ["last_name": "Lovelace"])], into: tables, slot: 0)
        XCTAssertEqual(email(of: "1", in: tables), "a@example.com")
        // A failed transaction, then a commit with no user events: the user is not held any more.
        try recent.fold([event(.userProfileUpdated, "1", ["email": "c@example.com"])], into: tables, slot: 0)
        try recent.fold([], into: tables, slot: 0)
        recent.commit()
        store("1", email: "stored@example.com", in: tables)
        try recent.fold([event(.userProfileUpdated, "1", ["first_name": "Ada"])], into: tables, slot: 0)
        XCTAssertEqual(email(of: "1", in: tables), "stored@example.com", "the stored row, not the failed fold's")
    }

    func testANewLiveSlotOrAClearDropsTheHeldRows() throws {
        let (recent, tables) = try holdingUser1()
        store("1", email: "rebuilt@example.com", in: tables)
        try recent.fold([event(.userProfileUpdated, "1", ["last_name": "Lovelace"])], into: tables, slot: 1)
        XCTAssertEqual(email(of: "1", in: tables), "rebuilt@example.com", "rows of the old slot are not used")
        recent.commit()
        XCTAssertEqual(recent.count, 1)
        recent.clear()
        XCTAssertEqual(recent.count, 0)
    }

    func testPastItsCapacityOnlyTheLastCommitsUsersAreHeld() throws {
        let recent = RecentUsers(capacity: 2)
        let tables = MemoryViewTables(count: 1)
        try recent.fold([event(.userCreated, "1"), event(.userCreated, "2")], into: tables, slot: 0)
        recent.commit()
        XCTAssertEqual(recent.count, 2)
        try recent.fold([event(.userCreated, "3", ["email": "3@example.com"])], into: tables, slot: 0)
        recent.commit()
        XCTAssertEqual(recent.count, 1)
        store("1", email: "stored-1@example.com", in: tables)
        store("3", email: "stored-3@example.com", in: tables)
        try recent.fold(
            [event(.userProfileUpdated, "1", ["first_name": "Ada"]), event(.userProfileUpdated, "3", ["first_name": "Ada"])], into: tables,
            slot: 0)
        XCTAssertEqual(email(of: "1", in: tables), "stored-1@example.com", "user 1 was let go")
        XCTAssertEqual(email(of: "3", in: tables), "3@example.com", "the last commit's user is held")
    }

    /// Through the engine: commits rerun after map resizes, a rebuild between appends, and the
    /// views still equal a fresh fold of the log.
    func testTheInlineViewsStayAFreshFoldThroughResizesAndRebuilds() async throws {
        let e = try OpenEngine(mapSize: 1 << 20)
        defer { e.close() }
        for round in 0..<3 {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in 0..<8 {
                    group.addTask {
                        for step in 0..<25 {
                            let value = round * 100 + step
                            try await e.user(
                                "\(user)", "UserProfileUpdated",
                                ["first_name": .string("Ada\(value)"), "attributes": ["round": .int(Int64(value))]])
                        }
                    }
                }
                try await group.waitForAll()
            }
            _ = try await e.engine.rebuild([.usersByID])
        }
        XCTAssertTrue(try e.engine.checkViews().allSatisfy(\.matches))
        let user = try e.engine.queries.user("3")
        XCTAssertEqual(user.firstName, "Ada224")
        XCTAssertEqual(user.version, 75)
    }
}
