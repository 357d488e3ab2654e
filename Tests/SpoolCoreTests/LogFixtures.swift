import Foundation
import JSON
import SpoolCore
import SpoolTestSupport
import XCTest

/// A store in a temporary directory with a running writer; `close()` stops both.
final class OpenStore: Sendable {
    let directory: TemporaryDirectory
    let store: Store
    let writer: Writer
    var log: EventLog { EventLog(store: store) }

    init(
        directory: TemporaryDirectory? = nil, mapSize: Int = 64 << 20, cachedStreams: Int = 100_000, recentRuns: Int = 4096,
        refillWait: Duration = .microseconds(200), clock: @escaping @Sendable () -> Timestamp = Timestamp.now
    ) throws {
        self.directory = try directory ?? TemporaryDirectory("store")
        var options = Store.Options()
        options.mapSize = mapSize
        store = try Store(directory: self.directory.path, options: options)
        writer = try Writer(store: store, cachedStreams: cachedStreams, recentRuns: recentRuns, refillWait: refillWait, clock: clock)
    }

    func close() { writer.stop() }

    /// Entries of the stream index, in `streams` and `streams_recent`.
    func streamIndexEntries() throws -> (moved: Int, recent: Int) {
        try store.environment.read { txn in (try txn.count(store.streams), try store.recentStreams.map { try txn.count($0) } ?? 0) }
    }

    /// Appends one UserCreated for `user` (expected version as given) and returns the result.
    @discardableResult
    func appendUser(_ user: String, expected: ExpectedVersion = .any, id: UUID? = nil, email: String? = nil) async throws -> AppendResult {
        try await append(stream: "user-\(user)", expected: expected, events: [userCreated(user, id: id, email: email)])
    }

    @discardableResult
    func append(stream: String, expected: ExpectedVersion = .any, events: [ProposedEvent], actor: String = "test") async throws
        -> AppendResult
    {
        let prepared = try AppendRequest(stream: stream, expectedVersion: expected, events: events).prepare(actor: actor)
        return try await writer.append(prepared)
    }
}

func userCreated(_ user: String, id: UUID? = nil, email: String? = nil) -> ProposedEvent {
    ProposedEvent(
        id: id, type: "UserCreated",
        data: ["user_id": .string(user), "email": .string(email ?? "\(user)@example.com")],
        metadata: ["correlation_id": .string("c-\(user)")])
}

func profileUpdated(_ user: String, firstName: String) -> ProposedEvent {
    ProposedEvent(type: "UserProfileUpdated", data: ["user_id": .string(user), "first_name": .string(firstName)])
}

/// The error a call threw, as a SpoolError (nil when it threw something else or nothing).
func spoolError<T>(_ body: () async throws -> T) async -> SpoolError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error as? SpoolError
    }
}

/// Runs `open` until it stops failing with `already_exists`, for up to 5 s. A store closed
/// in this process frees its directory lock when its last reference goes, and a task that
/// was just done with it (the engine's ticker, the task an append resumed) may drop that a
/// moment after `close()` returns; a second process is refused at once, as it must be.
func reopen<T>(_ open: () throws -> T) async throws -> T {
    let deadline = ContinuousClock.now + .seconds(5)
    while true {
        do {
            return try open()
        } catch let error as SpoolError where error.code == .alreadyExists && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
