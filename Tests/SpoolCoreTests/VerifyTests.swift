import Foundation
import JSON
import LMDB
import SpoolCore
import SpoolTestSupport
import XCTest

final class VerifyTests: XCTestCase {
    func testAnIntactLogVerifies() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        for i in 0..<50 { try await s.appendUser("u\(i % 7)", id: i % 3 == 0 ? UUID() : nil) }
        let report = try LogVerifier(store: s.store).verify()
        XCTAssertTrue(report.isValid, "\(String(describing: report.problem))")
        XCTAssertEqual(report.verifiedThrough, 50)
        XCTAssertEqual(report.headHash, try s.log.head().hash)
    }

    /// Flips one byte of the copied data file inside a record's data and expects verify to
    /// name that record's seq, as an operator would see after disk damage or tampering.
    func testAFlippedByteInTheDataFileIsCaughtAndNamed() async throws {
        let original = try TemporaryDirectory("verify")
        defer { original.remove() }
        do {
            let s = try OpenStore(directory: original)
            for i in 1...30 { try await s.appendUser("u\(i)", email: i == 17 ? "needle-in-the-file@example.com" : nil) }
            s.close()
        }
        let copy = try TemporaryDirectory("verify-copy")
        defer { copy.remove() }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original.appending("data.mdb"))))
        let needle = Array("needle-in-the-file".utf8)
        // LMDB copies pages on write, so stale copies of the record may sit in free pages too.
        let offsets = (0...(bytes.count - needle.count)).filter { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
        XCTAssertFalse(offsets.isEmpty, "the record is in the file")
        for offset in offsets { bytes[offset] ^= 0x20 }
        try Data(bytes).write(to: URL(fileURLWithPath: copy.appending("data.mdb")))
        var options = Store.Options()
        options.readOnly = true
        let store = try Store(directory: copy.path, options: options)
        let report = try LogVerifier(store: store).verify()
        XCTAssertFalse(report.isValid)
        XCTAssertEqual(report.problem?.seq, 17)
        XCTAssertEqual(report.verifiedThrough, 16)
    }

    func testAMissingIndexEntryIsCaught() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        for i in 1...5 { try await s.appendUser("u\(i)") }
        let streams = try s.store.environment.openDatabase("streams", create: false)
        _ = try s.store.environment.write { try $0.delete(streams, Array("user-u3".utf8) + [0] + BigEndian.bytes(1)) }
        let report = try LogVerifier(store: s.store).verify()
        XCTAssertEqual(report.problem?.seq, 3)
    }
}
