import Foundation
import JSON
import SpoolCore
import SpoolProtocol
import XCTest

/// Swift, `schemas/protocol/` and the README's op table list the same error codes and ops.
final class ProtocolSchemaTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let protocolDirectory = root.appendingPathComponent("schemas/protocol")

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

    /// Every op has a row in the README's op table (its first cell names it).
    func testEveryOpHasARowInTheREADMEsOpTable() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let firstCells = readme.split(separator: "\n").filter { $0.hasPrefix("| `") }.compactMap { $0.split(separator: "|").first }
        for operation in Dispatcher.operations {
            XCTAssertTrue(firstCells.contains { $0.contains("`\(operation.name)`") }, "README's op table lacks \(operation.name)")
        }
    }
}
