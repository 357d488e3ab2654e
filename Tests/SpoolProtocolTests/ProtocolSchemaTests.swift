import Foundation
import JSON
import SpoolCore
import SpoolProtocol
import XCTest

/// Swift and `schemas/protocol/` list the same error codes and the same ops.
final class ProtocolSchemaTests: XCTestCase {
    static let protocolDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("schemas/protocol")

    func testErrorCodesEqualTheSchemaEnum() throws {
        let data = try Data(contentsOf: Self.protocolDirectory.appendingPathComponent("error.json"))
        let schema = try JSONParser.parse(Array(data))
        let codes = schema["$defs"]?["code"]?["enum"]?.arrayValue?.compactMap(\.stringValue) ?? []
        XCTAssertFalse(codes.isEmpty)
        XCTAssertEqual(Set(codes), Set(SpoolError.Code.allCases.map(\.rawValue)))
        XCTAssertEqual(codes.count, SpoolError.Code.allCases.count, "no code is listed twice")
    }

    func testEveryOpHasARequestAndAResponseSchema() {
        for operation in Dispatcher.operations {
            for kind in ["request", "response"] {
                let path = Self.protocolDirectory.appendingPathComponent("\(operation.name).\(kind).json").path
                XCTAssertTrue(FileManager.default.fileExists(atPath: path), "missing \(path)")
            }
        }
    }
}
