import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import XCTest

/// `subscribe` over a raw socket, as a client in another language would use it.
final class PushEndToEndTests: XCTestCase {
    func testPushRespectsCreditAndAcksGiveItBack() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let admin = try await server.connect()
        _ = try await admin.request("sub_create", ["name": "live", "start": "beginning"])
        for response in try await admin.pipeline((1...5).map { userCreated("p\($0)") }) { XCTAssertEqual(response["ok"], true) }
        // The client subscribes with credit 2, reads what is pushed for a while, acks one,
        // and reads again: exactly one more event arrives.
        let script =
            pushClient + """
                send({"id": 1, "op": "subscribe", "name": "live", "credit": 2})
                first = lines_for(1.0)
                pushed = [m["seq"] for m in first if "push" in m]
                send({"id": 2, "op": "ack", "name": "live", "seqs": [pushed[0]]})
                second = lines_for(1.0)
                more = [m["seq"] for m in second if "push" in m]
                acks = [m for m in second if m.get("id") == 2]
                print(json.dumps({"subscribed": [m for m in first if m.get("id") == 1], "first": pushed, "second": more, "ack": acks}))
                """
        let result = try runPython(script, arguments: [String(server.port)])
        XCTAssertEqual(result.status, 0, result.output)
        let report = try JSONParser.parse(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(report["subscribed"]?[0]?["ok"], true)
        XCTAssertEqual(report["first"], [1, 2], "no more than the credit is pushed")
        XCTAssertEqual(report["ack"]?[0]?["ok"], true)
        XCTAssertEqual(report["second"], [3], "an ack gives one credit back")
        let info = try await admin.request("sub_info", ["name": "live"])
        XCTAssertEqual(info["subscription"]?["ack_floor"], 1)
        await admin.close()
    }

    func testAnExpiredLeaseGivesItsCreditBackAndIsPushedAgain() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let admin = try await server.connect()
        _ = try await admin.request("sub_create", ["name": "slow", "start": "beginning", "ack_timeout_ms": 300])
        for response in try await admin.pipeline((1...2).map { userCreated("s\($0)") }) { XCTAssertEqual(response["ok"], true) }
        // Credit 1 and no ack: the lease of seq 1 times out, which must free the credit, so
        // seq 1 is pushed again (it is the smallest ready seq) instead of the push stalling.
        let script =
            pushClient + """
                send({"op": "subscribe", "name": "slow", "credit": 1})
                pushes = [m for m in lines_for(3.0) if "push" in m]
                print(json.dumps([[p["seq"], p["delivery"]] for p in pushes]))
                """
        let result = try runPython(script, arguments: [String(server.port)])
        XCTAssertEqual(result.status, 0, result.output)
        let pushes = try JSONParser.parse(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(pushes[0], [1, 1])
        XCTAssertEqual(pushes[1], [1, 2], "the expired lease was pushed again: \(pushes.jsonString)")
        await admin.close()
    }
}

/// The start of a Python client of `subscribe`: a connection to the port in `argv[1]`,
/// `send(object)`, and `lines_for(seconds)`, which reads what arrives for that long.
private let pushClient = """
    import json, socket, sys, time
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    def send(o): s.sendall(json.dumps(o).encode() + b"\\n")
    def lines_for(seconds):
        data = b""
        deadline = time.time() + seconds
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                chunk = s.recv(65536)
            except (socket.timeout, TimeoutError):
                break
            if not chunk: break
            data += chunk
        return [json.loads(line) for line in data.split(b"\\n") if line]

    """
