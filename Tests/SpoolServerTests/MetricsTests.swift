import Foundation
import Logging
import NIOHTTP1
import Prometheus
import SpoolCore
import SpoolProtocol
import SpoolTestSupport
import Synchronization
import XCTest

@testable import SpoolServer

/// The metrics endpoint's parts as values (routing, `# HELP` lines, the catalog, the test
/// parser), and the collector over a real engine with its own registry.
final class MetricsTests: XCTestCase {
    func testRoutes() {
        XCTAssertEqual(MetricsEndpoint(method: .GET, uri: "/metrics"), .scrape)
        XCTAssertEqual(MetricsEndpoint(method: .GET, uri: "/metrics?name[]=x"), .scrape)
        XCTAssertEqual(MetricsEndpoint(method: .GET, uri: "/"), .notFound)
        XCTAssertEqual(MetricsEndpoint(method: .GET, uri: "/metrics/"), .notFound)
        XCTAssertEqual(MetricsEndpoint(method: .GET, uri: "/metricsx"), .notFound)
        XCTAssertEqual(MetricsEndpoint(method: .POST, uri: "/metrics"), .methodNotAllowed)
        XCTAssertEqual(MetricsEndpoint(method: .HEAD, uri: "/metrics"), .methodNotAllowed)
        XCTAssertEqual(MetricsEndpoint(method: .DELETE, uri: "/other"), .notFound)
    }

    func testAnswers() async {
        let scraped = await MetricsEndpoint.scrape.answer { Array("x 1\n".utf8) }
        XCTAssertEqual(scraped.status, .ok)
        XCTAssertEqual(scraped.contentType, "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(scraped.body, Array("x 1\n".utf8))
        let stopping = await MetricsEndpoint.scrape.answer { nil }
        XCTAssertEqual(stopping.status, .serviceUnavailable)
        let refused = await MetricsEndpoint.methodNotAllowed.answer {
            XCTFail("no scrape for a refused request")
            return []
        }
        XCTAssertEqual(refused.status, .methodNotAllowed)
        XCTAssertEqual(refused.headers.first?.0, "Allow")
    }

    func testHelpLinesGoBeforeSpoolTypeLines() throws {
        let registry = "# TYPE spool_connections gauge\nspool_connections 2\n# TYPE other_total counter\nother_total 1\n"
        let text = String(decoding: MetricsExposition.addingHelp(to: Array(registry.utf8)), as: UTF8.self)
        XCTAssertEqual(
            text,
            "# HELP spool_connections Client connections open now.\n# TYPE spool_connections gauge\nspool_connections 2\n"
                + "# TYPE other_total counter\nother_total 1\n")
        XCTAssertEqual(MetricsExposition.addingHelp(to: []), [])
        XCTAssertEqual(MetricsExposition.escapedHelp("a\\b\nc"), "a\\\\b\\nc")
    }

    func testCatalogNamesFollowTheConventionsAndTheReadmeListsThem() throws {
        let readme = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        for metric in SpoolMetric.allCases {
            let name = metric.rawValue
            XCTAssertTrue(name.hasPrefix("spool_"), name)
            XCTAssertTrue(name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") }, name)
            XCTAssertEqual(name.hasSuffix("_total"), metric.kind == .counter, name)
            XCTAssertFalse(metric.help.isEmpty, name)
            XCTAssertFalse(metric.help.contains("\n"), name)
            XCTAssertTrue(readme.contains("| `\(name)"), "README documents \(name)")
        }
    }

    func testParserAcceptsTheFormat() throws {
        let text = """
            # HELP a_total A counter.
            # TYPE a_total counter
            a_total{op="x",q="say \\"hi\\"\\\\\\n"} 3
            a_total{op="y",} 0 1700000000000
            # TYPE h histogram
            h_bucket{le="0.5"} 1
            h_bucket{le="+Inf"} 2
            h_sum 0.75
            h_count 2
            # TYPE g gauge
            g -1.5e3
            g2_unknown_is_not_allowed_without_type 1

            """
        XCTAssertThrowsError(try PrometheusText(parsing: text)) { error in
            XCTAssertEqual((error as? PrometheusText.ParseError)?.line, 12)
        }
        let valid = try PrometheusText(parsing: text.replacingOccurrences(of: "g2_unknown_is_not_allowed_without_type 1\n", with: ""))
        XCTAssertEqual(valid.value("a_total", ["op": "x", "q": "say \"hi\"\\\n"]), 3)
        XCTAssertEqual(valid.value("a_total", ["op": "y"]), 0)
        XCTAssertEqual(valid.value("h_count"), 2)
        XCTAssertEqual(valid.value("g"), -1500)
        XCTAssertEqual(valid.families["a_total"]?.help, "A counter.")
        XCTAssertEqual(valid.families["h"]?.samples.count, 4)
    }

    func testParserRejectsWhatPrometheusWouldNot() {
        let bad = [
            "x 1",  // no final line feed
            "# TYPE x gauge\nx 1\n\n",  // blank line
            "# a comment\n",
            "x 1\n",  // no TYPE
            "# TYPE x gauge\nx one\n",
            "# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",  // the same series twice
            "# TYPE x gauge\nx{1a=\"1\"} 1\n",
            "# TYPE x gauge\nx{a=\"1} 1\n",
            "# TYPE x gauge\n# TYPE x gauge\n",
            "# TYPE x counter\nx -1\n",
            "# TYPE x gauge\n# TYPE y gauge\nx 1\n",  // x continues after y started
            "# TYPE x gauge\nx 1\n# HELP x late\n",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",  // buckets decrease
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_count 1\n",  // no +Inf
            "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_count 2\n",
            "# TYPE x sometype\n",
        ]
        for text in bad { XCTAssertThrowsError(try PrometheusText(parsing: text), text) }
    }

    func testCollectorReportsEngineStateAndCommits() async throws {
        let directory = try TemporaryDirectory("metrics")
        defer { directory.remove() }
        var options = Engine.Options()
        options.mapSize = 64 << 20
        let engine = try Engine(directory: directory.path, options: options)
        defer { engine.close() }
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory.spool(registry: registry)
        let commits = CommitMetrics(factory: factory)
        engine.writer?.onCommit { commits.record($0) }
        let commitCount = Mutex(0)
        engine.writer?.onCommit { _ in commitCount.withLock { $0 += 1 } }
        let status = ServerStatus()
        status.connectionsChanged(by: 3)
        let collector = MetricsCollector(
            engine: engine, status: status, factory: factory, logger: Logger(label: "test"), render: registry.emitToBuffer)

        try await engine.subscriptions.create(SubscriptionConfig(name: "a"))
        try await engine.subscriptions.create(SubscriptionConfig(name: "b"))
        for id in ["1", "2", "3"] {
            let event = ProposedEvent(type: "UserCreated", data: ["user_id": .string(id), "email": "x@example.com"])
            _ = try await engine.append(AppendRequest(stream: "user-\(id)", events: [event]), actor: "test")
        }
        // Callers resume before a commit's observers run: wait for those of the five commits.
        let deadline = ContinuousClock.now + .seconds(5)
        while commitCount.withLock({ $0 }) < 5, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
        _ = try await engine.subscriptions.fetch("a", max: 1, consumer: "c")
        let commitsBefore = Double(commitCount.withLock { $0 })
        var text = try PrometheusText(parsing: String(decoding: collector.scrape(), as: UTF8.self))
        let commitsAfter = Double(commitCount.withLock { $0 })
        XCTAssertEqual(text.value("spool_connections"), 3)
        XCTAssertEqual(text.value("spool_subscription_lag", ["subscription": "a"]), 3)
        XCTAssertEqual(text.value("spool_subscription_in_flight", ["subscription": "a"]), 1)
        XCTAssertEqual(text.value("spool_subscription_lag", ["subscription": "b"]), 3)
        XCTAssertEqual(text.value("spool_subscription_dead_letters", ["subscription": "b"]), 0)
        XCTAssertEqual(text.value("spool_events_appended_total"), 3)
        XCTAssertEqual(text.value("spool_commit_batch_events_count"), 3)
        XCTAssertEqual(text.value("spool_commit_batch_events_bucket", ["le": "1.0"]), 3)
        // Every commit, the fetch's (which may land while scraping) included.
        let durations = text.value("spool_commit_duration_seconds_count") ?? 0
        XCTAssertTrue(
            (commitsBefore...commitsAfter).contains(durations), "\(durations) commits timed, \(commitsBefore)…\(commitsAfter) seen")
        XCTAssertEqual(text.value("spool_lmdb_map_bytes"), Double(64 << 20))
        XCTAssertEqual(text.families["spool_lmdb_used_bytes"]?.help, SpoolMetric.usedBytes.help)

        try await engine.subscriptions.delete("b")
        text = try PrometheusText(parsing: String(decoding: collector.scrape(), as: UTF8.self))
        XCTAssertNil(text.value("spool_subscription_lag", ["subscription": "b"]))
        XCTAssertNil(text.value("spool_subscription_in_flight", ["subscription": "b"]))
        XCTAssertEqual(text.value("spool_subscription_lag", ["subscription": "a"]), 3)
    }
}
