import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import XCTest

/// The Prometheus endpoint of the real spoold (`--metrics 127.0.0.1:0`), fetched over loopback
/// HTTP and parsed strictly as text format 0.0.4.
final class MetricsEndToEndTests: XCTestCase {
    /// Every metric the README documents; each has `# HELP` and the type named here.
    static let documented: [String: String] = [
        "spool_requests_total": "counter", "spool_request_errors_total": "counter", "spool_appends_total": "counter",
        "spool_events_appended_total": "counter", "spool_events_per_second": "gauge", "spool_commit_batch_events": "histogram",
        "spool_commit_duration_seconds": "histogram", "spool_connections": "gauge", "spool_subscription_lag": "gauge",
        "spool_subscription_in_flight": "gauge", "spool_subscription_dead_letters": "gauge", "spool_email_projector_lag": "gauge",
        "spool_lmdb_map_bytes": "gauge", "spool_lmdb_used_bytes": "gauge",
    ]

    func startServer(emails: Bool = false) throws -> (TestServer, Int) {
        let server = try TestServer(arguments: ["--metrics", "127.0.0.1:0"], emails: emails)
        guard let port = server.process.metricsPort else {
            server.stopAndRemove()
            throw HTTPExchangeError(description: "spoold printed no metrics address: \(server.process.outputText)")
        }
        return (server, port)
    }

    /// GET /metrics: 200, the text format's content type, and a body that parses.
    func scrape(_ port: Int, file: StaticString = #filePath, line: UInt = #line) async throws -> PrometheusText {
        let answer = try await httpRequest(port: port, path: "/metrics")
        XCTAssertEqual(answer.status, 200, answer.body, file: file, line: line)
        XCTAssertTrue(answer.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") ?? false, file: file, line: line)
        do {
            return try PrometheusText(parsing: answer.body)
        } catch {
            XCTFail("not Prometheus text format: \(error)\n\(answer.body)", file: file, line: line)
            throw error
        }
    }

    func ok(_ response: JSONValue, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response["ok"], true, response.jsonString, file: file, line: line)
    }

    func testScrapeParsesAndCountersMoveWithTraffic() async throws {
        let (server, port) = try startServer()
        defer { server.stopAndRemove() }
        let client = try await server.connect()
        ok(try await client.request("ping"))  // the server has seen this connection open

        let before = try await scrape(port)
        for (name, family) in before.families where name.hasPrefix("spool_") {
            XCTAssertEqual(Self.documented[name], family.type, "\(name) is documented with its type")
            XCTAssertFalse(family.help?.isEmpty ?? true, "\(name) has # HELP")
        }
        for name in ["spool_requests_total", "spool_appends_total", "spool_connections", "spool_lmdb_map_bytes", "spool_lmdb_used_bytes"] {
            XCTAssertNotNil(before.families[name], "\(name) is there before any traffic")
        }
        XCTAssertEqual(before.value("spool_requests_total", ["op": "append"]), 0)
        XCTAssertEqual(before.value("spool_appends_total"), 0)
        XCTAssertGreaterThanOrEqual(before.value("spool_connections") ?? 0, 1, "this test's connection is open")
        XCTAssertGreaterThan(before.value("spool_lmdb_map_bytes") ?? 0, before.value("spool_lmdb_used_bytes") ?? .infinity)

        for response in try await client.pipeline((0..<5).map { userCreated("m\($0)") }) { ok(response) }
        let refused = try await client.request(userCreated("m0", expected: "no_stream"))
        XCTAssertEqual(errorCode(refused), "wrong_expected_version")
        ok(try await client.request("sub_create", ["name": "crm", "start": "beginning"]))
        ok(try await client.request("fetch", ["name": "crm", "max": 2]))

        let after = try await scrape(port)
        XCTAssertEqual(after.value("spool_appends_total"), 5, "failed appends are not counted")
        XCTAssertEqual(after.value("spool_requests_total", ["op": "append"]), 6)
        XCTAssertEqual(after.value("spool_requests_total", ["op": "sub_create"]), 1)
        XCTAssertEqual(after.value("spool_request_errors_total", ["op": "append", "code": "wrong_expected_version"]), 1)
        XCTAssertEqual(after.value("spool_events_appended_total"), 5)
        XCTAssertGreaterThanOrEqual(after.value("spool_commit_batch_events_count") ?? 0, 1)
        XCTAssertEqual(after.value("spool_commit_batch_events_sum"), 5)
        XCTAssertGreaterThanOrEqual(after.value("spool_commit_duration_seconds_count") ?? 0, 1)
        XCTAssertGreaterThan(after.value("spool_commit_duration_seconds_sum") ?? 0, 0)
        XCTAssertGreaterThan(after.value("spool_events_per_second") ?? 0, 0)
        XCTAssertEqual(after.value("spool_subscription_lag", ["subscription": "crm"]), 5)
        XCTAssertEqual(after.value("spool_subscription_in_flight", ["subscription": "crm"]), 2)
        XCTAssertEqual(after.value("spool_subscription_dead_letters", ["subscription": "crm"]), 0)
        XCTAssertNil(after.value("spool_email_projector_lag"), "no email projector in this server")

        ok(try await client.request("ack", ["name": "crm", "seqs": [1, 2]]))
        let acked = try await scrape(port)
        XCTAssertEqual(acked.value("spool_subscription_lag", ["subscription": "crm"]), 3)
        XCTAssertEqual(acked.value("spool_subscription_in_flight", ["subscription": "crm"]), 0)
        ok(try await client.request("sub_delete", ["name": "crm"]))
        let deleted = try await scrape(port)
        XCTAssertNil(deleted.value("spool_subscription_lag", ["subscription": "crm"]), "a deleted subscription's series go away")
        XCTAssertEqual(deleted.value("spool_requests_total", ["op": "sub_delete"]), 1)
        await client.close()
        server.stop()
    }

    func testOtherPathsAndMethodsAndKeepAlive() async throws {
        let (server, port) = try startServer()
        defer { server.stopAndRemove() }
        let missing = try await httpRequest(port: port, path: "/")
        XCTAssertEqual(missing.status, 404)
        let post = try await httpRequest(port: port, method: "POST", path: "/metrics")
        XCTAssertEqual(post.status, 405)
        XCTAssertEqual(post.header("Allow"), "GET")
        let query = try await httpRequest(port: port, path: "/metrics?name[]=spool_connections")
        XCTAssertEqual(query.status, 200)
        // Two requests on one connection: both answered, in order, then closed as asked.
        let raw = try await httpExchange(
            port: port,
            request: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let statuses = raw.components(separatedBy: .newlines).filter { $0.hasPrefix("HTTP/1.1 ") }
        XCTAssertEqual(statuses, ["HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found"])
        server.stop()
    }

    func testEmailProjectorLagIsReported() async throws {
        let (server, port) = try startServer(emails: true)
        defer { server.stopAndRemove() }
        let client = try await server.connect()
        ok(try await client.request(userCreated("e1")))
        // The projector catches up on its own; wait (bounded) until its lag is 0 again.
        let deadline = ContinuousClock.now + .seconds(20)
        var lag: Double? = nil
        while ContinuousClock.now < deadline {
            let text = try await scrape(port)
            lag = text.value("spool_email_projector_lag")
            if lag == 0, text.value("spool_events_appended_total") == 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(lag, 0, "the email projector processed the UserCreated")
        let text = try await scrape(port)
        XCTAssertEqual(text.value("spool_events_appended_total"), 2, "the UserCreated and its EmailGenerated")
        XCTAssertNotNil(text.value("spool_subscription_lag", ["subscription": "email-projector"]))
        await client.close()
        server.stop()
    }

    func testNonLoopbackMetricsAddressIsRefused() throws {
        let directory = try TemporaryDirectory("metrics")
        defer { directory.remove() }
        let (status, output) = try ServerProcess.run(arguments: [
            "--listen", "127.0.0.1:0", "--data", directory.appending("data"), "--metrics", "0.0.0.0:9464",
        ])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(output.contains("refusing to serve metrics on 0.0.0.0"), output)
    }
}
