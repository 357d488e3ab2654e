import NIOCore

/// A connection that sends a fixed list of requests at once and keeps every reply as text:
/// the set-up and check steps around a measured run (`help`, `sub_create`, `XGROUP CREATE`,
/// `XLEN`), never the load itself.
final class ScriptSession<Framer: TextFramer>: LoadSession {
    private let requests: [[UInt8]]
    private var framer = Framer()
    private var replies: [String] = []

    init(requests: [[UInt8]]) { self.requests = requests }

    func start(now: UInt64, into out: inout ByteBuffer) {
        for request in requests { out.writeBytes(request) }
    }

    func receive(_ input: inout ByteBuffer, now: UInt64, into out: inout ByteBuffer) throws -> Bool {
        while let reply = try framer.next(&input) { replies.append(reply) }
        return replies.count >= requests.count
    }

    var result: [String] { replies }
}
