import Foundation
import NIOCore
import NIOPosix

/// One HTTP/1.1 answer, as the metrics tests read it.
struct HTTPAnswer: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: String

    /// The first header called `name` (case-insensitive).
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}

/// A failed or incomplete HTTP exchange.
struct HTTPExchangeError: Error, CustomStringConvertible {
    let description: String
}

/// Sends `request` (raw bytes) on a fresh loopback connection to `port` and returns every byte
/// the server sends until it closes. The connection is closed after `timeout` whatever
/// happens, so a server that never answers fails the test instead of hanging it.
func httpExchange(port: Int, request: String, timeout: TimeAmount = .seconds(10)) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connectTimeout(.seconds(5))
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    let deadline = channel.channel.eventLoop.scheduleTask(in: timeout) { channel.channel.close(promise: nil) }
    defer { deadline.cancel() }
    var received = ByteBuffer()
    do {
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            for try await var chunk in inbound { received.writeBuffer(&chunk) }
        }
    } catch {
        throw HTTPExchangeError(description: "HTTP exchange failed after \(received.readableBytes) bytes: \(error)")
    }
    return String(buffer: received)
}

/// `method path` with `Connection: close`; the one answer, checked against its `Content-Length`.
func httpRequest(port: Int, method: String = "GET", path: String) async throws -> HTTPAnswer {
    let raw = try await httpExchange(
        port: port, request: "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    guard let split = raw.range(of: "\r\n\r\n") else { throw HTTPExchangeError(description: "no end of headers in: \(raw)") }
    let lines = raw[..<split.lowerBound].components(separatedBy: "\r\n")
    let statusParts = lines.first?.split(separator: " ") ?? []
    guard statusParts.count >= 2, statusParts[0] == "HTTP/1.1", let status = Int(statusParts[1]) else {
        throw HTTPExchangeError(description: "bad status line in: \(raw)")
    }
    var headers: [(name: String, value: String)] = []
    for line in lines.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { throw HTTPExchangeError(description: "bad header line '\(line)'") }
        headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
    }
    let answer = HTTPAnswer(status: status, headers: headers, body: String(raw[split.upperBound...]))
    guard let length = answer.header("Content-Length").flatMap(Int.init), length == answer.body.utf8.count else {
        throw HTTPExchangeError(description: "body is not Content-Length bytes long (incomplete?): \(raw)")
    }
    return answer
}
