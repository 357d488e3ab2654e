import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import XCTest

/// A real `spoold` on a free port holding a short scripted history of three clients, every
/// event appended with `spool append`, and ways to ask it: through `spool` (`remote`), through
/// `spool --data` (`local`), and directly over the protocol (`request`). The email projector
/// is off, so the history's emails are exactly the ones appended here.
///
/// The history: ada is created (in beta) and welcomed, joins vip, is renamed Ada → Ava and
/// upgraded (which causes an email), opts out of marketing, and loses her last name; bob is
/// created in vip, leaves it and is deleted; cy is created in vip and beta.
final class ScriptedHistory: Sendable {
    let directory: TemporaryDirectory
    let server: ServerProcess
    /// The seq of each step, by its label.
    let seqs: [String: UInt64]
    static let adaCreatedID = "0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70"
    static let adaRenamedID = "0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f71"
    /// A string found only in cy's UserCreated event (and views derived from it).
    static let uniqueEmail = "flip-me-cy@example.com"

    var dataDirectory: String { directory.appending("data") }

    /// Starts the server and appends the history; throws when any append fails.
    init() throws {
        directory = try TemporaryDirectory("spool-cli")
        server = try ServerProcess(dataDirectory: directory.appending("data"), arguments: ["--no-emails"])
        let address = "127.0.0.1:\(server.port)"
        var seqs: [String: UInt64] = [:]
        for step in Self.steps {
            var arguments = ["--json", "append", step.stream, step.type, "--data", step.data, "--server", address]
            if let id = step.id { arguments += ["--id", id] }
            if let metadata = step.metadata { arguments += ["--metadata", metadata] }
            let result = try SpoolCLI.run(arguments)
            guard result.status == 0, let seq = result.json?["first_seq"]?.uint64Value else {
                server.stop()
                throw ServerProcessError("spool append \(step.label) failed: \(result)")
            }
            seqs[step.label] = seq
        }
        self.seqs = seqs
    }

    /// The seq of the step labelled `label` (0 when there is none, which fails the test's checks).
    func seq(_ label: String) -> UInt64 { seqs[label] ?? 0 }

    /// `spool arguments… --server <this server>`.
    func remote(_ arguments: [String]) throws -> SpoolCLI.Result {
        try SpoolCLI.run(arguments + ["--server", "127.0.0.1:\(server.port)"])
    }

    /// `spool arguments… --data <this data directory>`.
    func local(_ arguments: [String], directory: String? = nil) throws -> SpoolCLI.Result {
        try SpoolCLI.run(arguments + ["--data", directory ?? dataDirectory])
    }

    /// One request straight to the server, on a new connection.
    func request(_ op: String, _ fields: JSONObject = [:]) async throws -> JSONValue {
        let connection = try await server.connect()
        defer { Task { await connection.close() } }
        return try await connection.request(op, fields)
    }

    /// Stops the server (SIGTERM) and keeps the data directory.
    func stop() { server.stop() }

    /// Stops the server and removes everything.
    func remove() {
        server.stop()
        directory.remove()
    }

    struct Step {
        var label: String
        var stream: String
        var type: String
        var data: String
        var id: String? = nil
        var metadata: String? = nil
    }

    static let steps: [Step] = [
        Step(
            label: "ada-created", stream: "user-ada", type: "UserCreated",
            data:
                #"{"user_id":"ada","email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","segments":["beta"],"attributes":{"plan":"free"}}"#,
            id: adaCreatedID, metadata: #"{"correlation_id":"signup-1"}"#),
        Step(
            label: "ada-welcome", stream: "email-ada", type: "EmailGenerated",
            data:
                #"{"email_id":"em-welcome-ada","user_id":"ada","template":"welcome","category":"transactional","to":"ada@example.com","subject":"Welcome, Ada","text":"Hello Ada"}"#,
            metadata: #"{"causation_id":"\#(adaCreatedID)"}"#),
        Step(
            label: "bob-created", stream: "user-bob", type: "UserCreated",
            data: #"{"user_id":"bob","email":"bob@example.com","first_name":"Bob","segments":["vip"]}"#),
        Step(label: "ada-joined-vip", stream: "user-ada", type: "UserJoinedSegment", data: #"{"user_id":"ada","segment":"vip"}"#),
        Step(
            label: "ada-renamed", stream: "user-ada", type: "UserProfileUpdated",
            data: #"{"user_id":"ada","first_name":"Ava","attributes":{"plan":"pro"}}"#, id: adaRenamedID),
        Step(
            label: "ada-upgrade-email", stream: "email-ada", type: "EmailGenerated",
            data:
                #"{"email_id":"em-upgrade-ada","user_id":"ada","template":"upgrade","category":"transactional","to":"ada@example.com","subject":"You are on Pro","text":"Thanks"}"#,
            metadata: #"{"causation_id":"\#(adaRenamedID)"}"#),
        Step(
            label: "ada-welcome-sent", stream: "email-ada", type: "EmailSent",
            data: #"{"email_id":"em-welcome-ada","user_id":"ada","provider_id":"p-1"}"#),
        Step(label: "bob-left-vip", stream: "user-bob", type: "UserLeftSegment", data: #"{"user_id":"bob","segment":"vip"}"#),
        Step(
            label: "cy-created", stream: "user-cy", type: "UserCreated",
            data: #"{"user_id":"cy","email":"\#(uniqueEmail)","segments":["vip","beta"]}"#),
        Step(
            label: "ada-opted-out", stream: "user-ada", type: "UserEmailPreferencesChanged", data: #"{"user_id":"ada","marketing":false}"#),
        Step(
            label: "ada-welcome-opened", stream: "email-ada", type: "EmailOpened", data: #"{"email_id":"em-welcome-ada","user_id":"ada"}"#),
        Step(label: "bob-deleted", stream: "user-bob", type: "UserDeleted", data: #"{"user_id":"bob","reason":"asked to be forgotten"}"#),
        Step(label: "ada-last-name-removed", stream: "user-ada", type: "UserProfileUpdated", data: #"{"user_id":"ada","last_name":null}"#),
    ]
}

extension JSONValue {
    /// The element at `index` of an array; nil for a non-array or out of range.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
