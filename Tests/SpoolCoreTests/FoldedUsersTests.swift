import Foundation
import JSON
import XCTest

@testable import SpoolCore

/// The email projector's kept folds answer only for the very next event of a user, and then
/// equal the fold of the user's whole stream.
final class FoldedUsersTests: XCTestCase {
    private func event(_ version: UInt64, _ type: EventType, _ data: JSONObject) throws -> DecodedEvent {
        var data = data
        data["user_id"] = "ada"
        return try DecodedEvent(
            RecordedEvent(
                seq: version * 10, id: UUID(), stream: "user-ada", version: version, type: type.rawValue,
                time: Timestamp(milliseconds: Int64(version)), metadata: [], data: JSONValue.object(data).jsonBytes, hasClientID: false,
                previousHash: [], hash: []))
    }

    func testOnlyTheNextVersionFoldsOntoTheKeptUser() throws {
        let events = [
            try event(1, .userCreated, ["email": "ada@example.com", "attributes": ["plan": "free", "city": "London"]]),
            try event(2, .userProfileUpdated, ["attributes": ["plan": "pro", "city": nil]]),
            try event(3, .userJoinedSegment, ["segment": "vip"]),
        ]
        let whole = events.reduce(nil as UserView?) { UserView.fold($0, $1) }
        let folded = FoldedUsers()
        XCTAssertNil(folded.user("ada", foldingIn: events[0]), "nothing kept yet")
        folded.keep(UserView.fold(nil, events[0]))
        XCTAssertNil(folded.user("ada", foldingIn: events[2]), "version 3 does not follow version 1")
        XCTAssertNil(folded.user("ada", foldingIn: events[0]), "a redelivery of the kept version")
        let second = try XCTUnwrap(folded.user("ada", foldingIn: events[1]))
        folded.keep(second)
        XCTAssertEqual(folded.user("ada", foldingIn: events[2]), whole)
    }

    func testPastItsCapacityTheTableStartsOver() throws {
        let folded = FoldedUsers(capacity: 2)
        for user in ["a", "b", "c"] { folded.keep(UserView(userID: user, createdAt: Timestamp(milliseconds: 0))) }
        let next = try event(1, .userProfileUpdated, ["first_name": "A"])
        XCTAssertNil(folded.user("a", foldingIn: next), "a was dropped when c came")
    }
}
