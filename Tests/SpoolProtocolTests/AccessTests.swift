import JSON
import SpoolCore
import SpoolProtocol
import XCTest

/// Tokens and roles at the dispatcher: every op, tried with no token, a wrong token, a read
/// token, a write token and an admin token. Only the allowed ones act, and nothing is written
/// by a refused request.
final class AccessTests: XCTestCase {
    static let tokens = TokenTable([
        .init(principal: "reader", sha256: TokenTable.hash("read-token"), roles: [.read]),
        .init(principal: "writer", sha256: TokenTable.hash("write-token"), roles: [.write]),
        .init(principal: "operator", sha256: TokenTable.hash("admin-token"), roles: [.admin]),
    ])

    /// What each op needs, written out here rather than read from the op table, so a wrong
    /// `access` in the table fails this test.
    static let needed: [String: Role?] = [
        "ping": nil, "help": nil,
        "append": .write,
        "read": .read, "read_all": .read, "get_user": .read, "list_segment": .read, "segments": .read,
        "list_emails": .read, "audit": .read, "sub_list": .read, "sub_info": .read, "fetch": .read,
        "subscribe": .read, "unsubscribe": .read, "ack": .read, "nack": .read, "dlq_list": .read,
        "email_preview": .read, "stats": .read, "digest": .read,
        "sub_create": .admin, "sub_delete": .admin, "reset": .admin, "dlq_requeue": .admin, "dlq_purge": .admin,
        "rebuild": .admin, "verify": .admin,
    ]

    /// A request each op accepts (or refuses only for its content, never for access).
    static let sampleFields: [String: JSONObject] = [
        "append": [
            "stream": "user-m", "events": [["type": "UserCreated", "data": ["user_id": "m", "email": "m@example.com"]]],
        ],
        "read": ["stream": "user-seed"], "get_user": ["user_id": "seed"], "list_segment": ["segment": "vip"],
        "list_emails": ["user_id": "seed"], "audit": ["user_id": "seed"],
        "sub_create": ["name": "made-by-test", "start": "beginning"], "sub_delete": ["name": "seeded"],
        "sub_info": ["name": "seeded"], "fetch": ["name": "seeded"], "subscribe": ["name": "seeded"],
        "unsubscribe": ["name": "seeded"], "ack": ["name": "seeded", "seqs": [1]], "nack": ["name": "seeded", "seqs": [1]],
        "reset": ["name": "seeded", "to": "end"], "dlq_list": ["name": "seeded"], "dlq_requeue": ["name": "seeded"],
        "dlq_purge": ["name": "seeded"], "rebuild": ["wait": true],
        "email_preview": ["user_id": "seed", "type": "UserCreated", "data": ["user_id": "seed", "email": "s@example.com"]],
    ]

    func testEveryOpIsListedHere() {
        XCTAssertEqual(Set(Dispatcher.operations.map(\.name)), Set(Self.needed.keys).union(["auth"]))
    }

    func testOnlyAllowedOpsActAndRefusedOnesWriteNothing() async throws {
        for (label, token) in [("no token", nil), ("wrong token", "nope"), ("read", "read-token"), ("write", "write-token")] {
            for operation in Dispatcher.operations where operation.name != "auth" {
                let fixture = try DispatcherFixture(tokens: Self.tokens)
                defer { fixture.close() }
                try await seed(fixture)
                let before = try fixture.engine.log.head().seq
                let subscriptionsBefore = try await fixture.call(["op": "sub_list"], as: "admin-token")

                var session = Session.opened(tokens: Self.tokens, pushes: nil)
                if let token {
                    let answer = try await fixture.send(["op": "auth", "token": .string(token)], session: &session)
                    XCTAssertEqual(answer["ok"], .bool(token != "nope"), "\(label): \(answer.jsonString)")
                }
                var request = Self.sampleFields[operation.name] ?? [:]
                request["op"] = .string(operation.name)
                let answer = try await fixture.send(.object(request), session: &session)
                let allowed = allows(label, Self.needed[operation.name] ?? nil)
                let context = "\(operation.name) with \(label): \(answer.jsonString)"
                if allowed {
                    XCTAssertNotEqual(errorCode(answer), "unauthorized", context)
                } else {
                    XCTAssertEqual(errorCode(answer), "unauthorized", context)
                    XCTAssertEqual(try fixture.engine.log.head().seq, before, "a refused \(context) wrote events")
                    let subscriptionsAfter = try await fixture.call(["op": "sub_list"], as: "admin-token")
                    XCTAssertEqual(subscriptionsAfter, subscriptionsBefore, "a refused \(context) changed subscriptions")
                }
            }
        }
    }

    /// The email projector's own subscription decides which emails are generated: a read token
    /// may look at it but not lease or settle its events; an admin may.
    func testOnlyAnAdminConsumesTheEmailProjectorsSubscription() async throws {
        let fixture = try DispatcherFixture(tokens: Self.tokens)
        defer { fixture.close() }
        let name = JSONValue.string(EmailProjector.subscription)
        _ = try await fixture.call(["op": "sub_create", "name": name, "start": "beginning"], as: "admin-token")
        for op in ["fetch", "subscribe", "ack", "nack"] {
            var request: JSONObject = ["op": .string(op), "name": name]
            if op == "ack" || op == "nack" { request["seqs"] = [1] }
            let refused = try await fixture.call(.object(request), as: "read-token")
            XCTAssertEqual(errorCode(refused), "unauthorized", "\(op): \(refused.jsonString)")
        }
        let info = try await fixture.call(["op": "sub_info", "name": name], as: "read-token")
        XCTAssertEqual(info["ok"], true, info.jsonString)
        let fetched = try await fixture.call(["op": "fetch", "name": name], as: "admin-token")
        XCTAssertEqual(fetched["ok"], true, fetched.jsonString)
    }

    func testAnAdminMayRunEveryOp() async throws {
        let fixture = try DispatcherFixture(tokens: Self.tokens)
        defer { fixture.close() }
        try await seed(fixture)
        var session = Session.opened(tokens: Self.tokens, pushes: nil)
        let auth = try await fixture.send(["op": "auth", "token": "admin-token"], session: &session)
        XCTAssertEqual(auth["principal"], "operator")
        XCTAssertEqual(auth["roles"], ["admin"])
        for operation in Dispatcher.operations where operation.name != "auth" {
            var request = Self.sampleFields[operation.name] ?? [:]
            request["op"] = .string(operation.name)
            let answer = try await fixture.send(.object(request), session: &session)
            XCTAssertNotEqual(errorCode(answer), "unauthorized", "\(operation.name): \(answer.jsonString)")
        }
    }

    func testTheActorIsThePrincipalWhateverTheClientSends() async throws {
        let fixture = try DispatcherFixture(tokens: Self.tokens)
        defer { fixture.close() }
        var session = Session.opened(tokens: Self.tokens, pushes: nil)
        _ = try await fixture.send(["op": "auth", "token": "write-token"], session: &session)
        let append = try await fixture.send(
            [
                "op": "append", "stream": "user-f",
                "events": [
                    [
                        "type": "UserCreated", "metadata": ["actor": "somebody-else", "correlation_id": "c1"],
                        "data": ["user_id": "f", "email": "f@example.com"],
                    ]
                ],
            ], session: &session)
        XCTAssertEqual(append["ok"], true, append.jsonString)
        let read = try await fixture.call(["op": "read", "stream": "user-f"], as: "read-token")
        XCTAssertEqual(read["events"]?.arrayValue?.first?["metadata"]?["actor"], "writer")
        XCTAssertEqual(read["events"]?.arrayValue?.first?["metadata"]?["correlation_id"], "c1")
    }

    func testAFailedAuthKeepsTheSessionAsItWas() async throws {
        let fixture = try DispatcherFixture(tokens: Self.tokens)
        defer { fixture.close() }
        var session = Session.opened(tokens: Self.tokens, pushes: nil)
        _ = try await fixture.send(["op": "auth", "token": "read-token"], session: &session)
        let wrong = try await fixture.send(["op": "auth", "token": "admin-token-guess"], session: &session)
        XCTAssertEqual(errorCode(wrong), "unauthorized")
        XCTAssertEqual(session.principal, "reader")
        XCTAssertEqual(session.roles, [.read])
    }

    func testWithoutTokensEveryConnectionIsAnonymousWithEveryRole() async throws {
        let fixture = try DispatcherFixture()
        defer { fixture.close() }
        var session = Session.opened(tokens: TokenTable(), pushes: nil)
        let auth = try await fixture.send(["op": "auth", "token": "anything"], session: &session)
        XCTAssertEqual(auth["principal"], "anonymous")
        XCTAssertEqual(auth["roles"], ["read", "write", "admin"])
        let verify = try await fixture.call(["op": "verify"])
        XCTAssertEqual(verify["ok"], true)
    }

    func testTokensCompareByHashAndRolesParse() {
        XCTAssertEqual(Self.tokens.authenticate("write-token")?.principal, "writer")
        XCTAssertNil(Self.tokens.authenticate("write-toke"))
        XCTAssertNil(Self.tokens.authenticate(""))
        let generated = TokenTable.generate()
        XCTAssertTrue(generated.hasPrefix("spool_"))
        XCTAssertEqual(generated.count, 6 + 64)
        XCTAssertNotEqual(generated, TokenTable.generate())
        XCTAssertEqual(Role.parseList("read, write"), [.read, .write])
        XCTAssertNil(Role.parseList("read,root"))
        XCTAssertNil(Role.parseList(""))
    }

    // MARK: - Helpers

    /// Whether a session of kind `label` may run an op needing `role` (nil: any authenticated).
    private func allows(_ label: String, _ role: Role?) -> Bool {
        switch label {
        case "read": role == nil || role == .read
        case "write": role == nil || role == .write
        default: false
        }
    }

    /// A user, a subscription `seeded` with one delivery, so every op has something to act on.
    private func seed(_ fixture: DispatcherFixture) async throws {
        var session = Session.opened(tokens: Self.tokens, pushes: nil)
        _ = try await fixture.send(["op": "auth", "token": "admin-token"], session: &session)
        for request: JSONValue in [
            [
                "op": "append", "stream": "user-seed",
                "events": [["type": "UserCreated", "data": ["user_id": "seed", "email": "s@example.com"]]],
            ],
            ["op": "sub_create", "name": "seeded", "start": "beginning"],
        ] {
            let answer = try await fixture.send(request, session: &session)
            XCTAssertEqual(answer["ok"], true, answer.jsonString)
        }
    }
}

extension DispatcherFixture {
    /// Decodes and runs one request as a connection's read loop does, updating `session`.
    func send(_ request: JSONValue, session: inout Session) async throws -> JSONValue {
        let line: [UInt8]
        var strings = JSONStringTable()
        switch dispatcher.decode(request.jsonBytes, session: session, strings: &strings) {
        case .response(let response): line = response
        case .request(let decoded, let operation): line = await dispatcher.execute(decoded, operation, updating: &session)
        case .append(let id, let append, let operation):
            let decoded = Request(id: id, op: operation.name, append: append, session: session)
            line = await dispatcher.execute(decoded, operation, updating: &session)
        }
        return try JSONParser.parse(Array(line.dropLast()))
    }

    /// One request on a fresh connection authenticated with `token`.
    func call(_ request: JSONValue, as token: String) async throws -> JSONValue {
        var session = Session.opened(tokens: dispatcher.tokens, pushes: nil)
        _ = try await send(["op": "auth", "token": .string(token)], session: &session)
        return try await send(request, session: &session)
    }
}
