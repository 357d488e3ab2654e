import XCTest

@testable import SpoolCore

/// A stored record's type is read by `EventType.named(utf8:)` for every record a replay meets.
final class EventTypeTests: XCTestCase {
    func testEveryWireNameIsReadBackAndNoOtherIs() {
        for type in EventType.allCases {
            XCTAssertEqual(EventType.named(utf8: Array(type.rawValue.utf8).span), type)
        }
        // The same lengths as known names, one byte off; shorter, longer and empty names.
        for name in ["UserCreatee", "EmailOpenee", "EmailBouncee", "XserCreated", "User", "UserEmailPreferencesChangedX", ""] {
            XCTAssertNil(EventType.named(utf8: Array(name.utf8).span), name)
        }
    }
}
