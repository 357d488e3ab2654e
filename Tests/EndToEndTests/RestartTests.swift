import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import Synchronization
import XCTest

/// What a server acknowledged survives a graceful stop, a restart and a SIGKILL.
final class RestartTests: XCTestCase {
    func testRestartWithTheSameDataKeepsEverything() async throws {
        let server = try TestServer()
        let client = try await server.connect()
        var requests: [JSONValue] = []
        for user in 0..<50 { requests.append(userCreated("r\(user)", id: UUID())) }
        let acks = try await client.pipeline(requests)
        XCTAssertTrue(acks.allSatisfy { $0["ok"] == true })
        let before = try await readWholeLog(client)
        let digest = try await client.request("digest")

        let second = try ServerProcess.run(arguments: ["--listen", "127.0.0.1:0", "--data", server.dataDirectory])
        XCTAssertEqual(second.status, 1, "a second server on the same data directory must fail")
        XCTAssertTrue(second.output.contains("in use"), second.output)

        await client.close()
        server.stop()
        let restarted = try server.restarted()
        defer { restarted.stopAndRemove() }
        let again = try await restarted.connect()
        let after = try await readWholeLog(again)
        XCTAssertEqual(after, before, "every event, byte for byte, with its hash")
        let digestAfter = try await again.request("digest")
        XCTAssertEqual(digestAfter, digest)
        let verify = try await again.request("verify")
        XCTAssertEqual(verify["valid"], true)
        let retry = try await again.request(requests[7])
        XCTAssertEqual(retry["duplicate"], true, "idempotency survives a restart")
        XCTAssertEqual(retry["first_seq"], acks[7]["first_seq"])
    }

    func testSigtermAnswersWhatWasReadThenStops() async throws {
        let server = try TestServer()
        let client = try await server.connect()
        let requests = (0..<300).map { userCreated("t\($0)") }
        let pending = Task { try await client.pipelineLines(requests.map(\.jsonBytes)) }
        try await Task.sleep(for: .milliseconds(30))
        server.stop()  // exit status 0: drained, engine closed
        let answered = (try? await pending.value) ?? []
        let restarted = try server.restarted()
        defer { restarted.stopAndRemove() }
        let log = try await readWholeLog(try await restarted.connect())
        let stored = Set(log.compactMap { $0["seq"]?.intValue })
        for line in answered {
            let response = try JSONParser.parse(line)
            if let seq = response["first_seq"]?.intValue { XCTAssertTrue(stored.contains(seq), "acknowledged seq \(seq) lost") }
        }
    }

    /// A request on a connection the stopped server closed fails at once: it is not awaited
    /// for ever (as it was when the write to the closed channel dropped the answer's promise).
    func testARequestAfterTheServerClosedTheConnectionFails() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let client = try await server.connect()
        let pong = try await client.request("ping")
        XCTAssertEqual(pong["pong"], true)
        server.stop()
        try await Task.sleep(for: .milliseconds(100))  // the client sees the close
        let outcome = LateOutcome()
        Task { outcome.set(await Task { try await client.request("ping") }.result) }
        let deadline = ContinuousClock.now + .seconds(10)
        while outcome.result == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        switch outcome.result {
        case nil: XCTFail("a request on a closed connection was still waiting after 10 s")
        case .success(let answer)?: XCTFail("a closed connection answered: \(answer.jsonString)")
        case .failure?: break
        }
    }

    func testSigkillUnderLoadLosesNoAcknowledgedAppend() async throws {
        let server = try TestServer(emails: true)  // the email projector appends too
        let clients = 6
        let acknowledged = try await withThrowingTaskGroup(of: [(seq: Int64, id: String)].self) { group in
            for client in 0..<clients {
                group.addTask {
                    let connection = try await server.connect()
                    var acks: [(Int64, String)] = []
                    var round = 0
                    while true {
                        let ids = (0..<16).map { _ in UUID() }
                        let requests = ids.enumerated().map { index, id in userCreated("k\(client)-\(round)-\(index)", id: id) }
                        guard let responses = try? await connection.pipeline(requests) else { return acks }
                        for (id, response) in zip(ids, responses) {
                            if let seq = response["first_seq"]?.intValue { acks.append((seq, id.uuidString.lowercased())) }
                        }
                        round += 1
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(700))
            server.process.kill()
            var all: [(seq: Int64, id: String)] = []
            for try await acks in group { all += acks }
            return all
        }
        XCTAssertGreaterThan(acknowledged.count, 100, "the load ran long enough to matter")
        let restarted = try server.restarted(emails: true)
        defer { restarted.stopAndRemove() }
        let connection = try await restarted.connect()
        let log = try await readWholeLog(connection)
        var idBySeq: [Int64: String] = [:]
        for event in log {
            if let seq = event["seq"]?.intValue, let id = event["id"]?.stringValue { idBySeq[seq] = id }
        }
        for ack in acknowledged {
            XCTAssertEqual(idBySeq[ack.seq], ack.id, "acknowledged seq \(ack.seq) is missing or holds another event")
        }
        let verify = try await connection.request("verify")
        XCTAssertEqual(verify["valid"], true, verify.jsonString)
    }
}

/// The result of a request that might never finish, checked without awaiting it.
private final class LateOutcome: Sendable {
    private let value = Mutex<Result<JSONValue, any Error>?>(nil)
    var result: Result<JSONValue, any Error>? { value.withLock { $0 } }
    func set(_ result: Result<JSONValue, any Error>) { value.withLock { $0 = result } }
}
