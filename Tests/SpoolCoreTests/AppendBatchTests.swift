import Foundation
import JSON
import SpoolTestSupport
import XCTest

@testable import SpoolCore

/// Appends queued as one writer item (a connection's pipelined window) each stand alone.
final class AppendBatchTests: XCTestCase {
    /// One refused append leaves the ones before and after it in, in order.
    func testARefusedAppendLeavesItsNeighboursIn() async throws {
        let s = try OpenStore()
        defer { s.directory.remove() }
        let results = await s.writer.append(
            [
                try AppendRequest(stream: "user-a", expectedVersion: .noStream, events: [userCreated("a")]).prepare(actor: "test"),
                try AppendRequest(stream: "user-a", expectedVersion: .exact(5), events: [profileUpdated("a", firstName: "x")])
                    .prepare(actor: "test"),
                try AppendRequest(stream: "user-a", expectedVersion: .exact(1), events: [profileUpdated("a", firstName: "y")])
                    .prepare(actor: "test"),
            ])
        XCTAssertEqual(try results[0].get().firstSeq, 1)
        XCTAssertThrowsError(try results[1].get()) { XCTAssertEqual(($0 as? SpoolError)?.code, .wrongExpectedVersion) }
        XCTAssertEqual(try results[2].get().version, 2)
        XCTAssertEqual(try s.log.head().seq, 2)
        s.close()
    }

    /// An append that fails half-written (here a damaged record, which the writer's projectors
    /// cannot read back) is dropped alone: the transaction runs again without it and the
    /// appends around it take the next seqs of an intact chain.
    func testAnAppendThatFailsHalfWrittenIsDroppedAlone() async throws {
        let directory = try TemporaryDirectory("batch")
        defer { directory.remove() }
        let store = try Store(directory: directory.path)
        let writer = try Writer(store: store, projectors: [FoldsNothing()])
        var damaged = try AppendRequest(stream: "user-b", events: [userCreated("b")]).prepare(actor: "test")
        damaged.events.updateEach { $0.record.bytes.append(0) }
        let results = await writer.append(
            [
                try AppendRequest(stream: "user-a", events: [userCreated("a")]).prepare(actor: "test"), damaged,
                try AppendRequest(stream: "user-c", events: [userCreated("c")]).prepare(actor: "test"),
            ])
        XCTAssertEqual(try results[0].get().firstSeq, 1)
        XCTAssertThrowsError(try results[1].get()) { XCTAssertEqual(($0 as? SpoolError)?.code, .internal) }
        XCTAssertEqual(try results[2].get().firstSeq, 2)
        writer.stop()
        let log = EventLog(store: store)
        XCTAssertEqual(try log.head().seq, 2)
        XCTAssertEqual(try log.event(at: 2)?.stream, "user-c")
        XCTAssertEqual(try log.streamVersion("user-b"), 0)
        XCTAssertTrue(try LogVerifier(store: store).verify().isValid)
    }
}

extension AppendBatchTests {
    /// The writer asks for the content digests of appends after a commit of `largeCommit`
    /// events or more, and stops after a smaller one; the records are the same either way.
    func testTheWriterTakesContentDigestsWhileItsCommitsAreLarge() async throws {
        let s = try OpenStore()
        defer { s.directory.remove() }
        XCTAssertFalse(s.writer.takesContentDigests, "no commit yet")
        let updates = (0..<Writer.largeCommit).map { profileUpdated("a", firstName: "n\($0)") }
        let large = try AppendRequest(stream: "user-a", events: [userCreated("a")] + updates).prepare(actor: "test")
        _ = try await s.writer.append(large)
        XCTAssertTrue(s.writer.takesContentDigests)
        let undigested = try AppendRequest(stream: "user-a", events: [profileUpdated("a", firstName: "x")])
            .prepare(actor: "test", contentDigests: false)
        XCTAssertNil(undigested.events[0].record.contentDigest)
        _ = try await s.writer.append(undigested)
        XCTAssertFalse(s.writer.takesContentDigests)
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
        s.close()
    }
}

/// A projector that folds nothing: with one, the writer reads each record back for the folds.
private struct FoldsNothing: Projector {
    func apply(_ events: [DecodedEvent], in context: WriteContext) throws {}
    func didCommit() {}
}
