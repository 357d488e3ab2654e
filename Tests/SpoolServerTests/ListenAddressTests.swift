import SpoolServer
import XCTest

final class ListenAddressTests: XCTestCase {
    func testParsesHostAndPort() {
        XCTAssertEqual(ListenAddress(parsing: "127.0.0.1:7070"), ListenAddress(host: "127.0.0.1", port: 7070))
        XCTAssertEqual(ListenAddress(parsing: "[::1]:0"), ListenAddress(host: "::1", port: 0))
        XCTAssertEqual(ListenAddress(parsing: ":9"), ListenAddress(host: "127.0.0.1", port: 9))
        XCTAssertNil(ListenAddress(parsing: "127.0.0.1"))
        XCTAssertNil(ListenAddress(parsing: "127.0.0.1:70000"))
        XCTAssertNil(ListenAddress(parsing: "127.0.0.1:x"))
    }

    func testOnlyLoopbackIsAccepted() {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] { XCTAssertTrue(ListenAddress.isLoopback(host), host) }
        for host in ["0.0.0.0", "10.0.0.1", "192.168.1.1", "::", "example.com", ""] {
            XCTAssertFalse(ListenAddress.isLoopback(host), host)
        }
        var configuration = ServerConfiguration()
        configuration.host = "0.0.0.0"
        XCTAssertTrue(configuration.problem?.contains("loopback") ?? false)
        configuration.host = "127.0.0.1"
        XCTAssertNil(configuration.problem)
    }
}
