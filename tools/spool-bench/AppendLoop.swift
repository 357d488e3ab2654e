import BenchSupport
import Foundation
import JSON
import SpoolCore

/// `spool-bench append-loop`: the child of the crash-safety test. It opens an engine on a data
/// directory and appends forever — single-event appends from a few concurrent tasks to several
/// streams — and prints one line per acknowledged append, `<seq> <stream> <version>`, only
/// after `append` returned (the commit is durable). Each line goes out in one unbuffered
/// `write(2)`, so a SIGKILL can lose nothing it already printed, and never half a line.
enum AppendLoop {
    static let options: Set<String> = ["dir", "stream-count", "tasks"]

    /// Never returns normally. Throws `UsageError` without `--dir`, `SpoolError` when the
    /// directory cannot be opened (e.g. another process holds it) or an append fails.
    static func run(_ arguments: Arguments) async throws {
        try arguments.check(known: options)
        guard let directory = arguments.string("dir"), !directory.isEmpty else {
            throw UsageError("append-loop: --dir is required")
        }
        let streamCount = try arguments.integer("stream-count", default: 8)
        let tasks = try arguments.integer("tasks", default: 4)
        let engine = try Engine(directory: directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var count = 0
                    while true {
                        let user = "crash-\((task + count * tasks) % streamCount)"
                        let data: JSONValue = ["user_id": .string(user), "first_name": .string("t\(task)-\(count)")]
                        let request = AppendRequest(
                            stream: "user-" + user, events: [ProposedEvent(type: "UserProfileUpdated", data: data)])
                        let result = try await engine.append(request, actor: "crash-test")
                        try emit("\(result.lastSeq) user-\(user) \(result.version)\n")
                        count += 1
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Writes `line` to standard output at once (`FileHandle` is unbuffered: one `write(2)`).
    /// Throws when standard output is gone; the loop ends with it.
    private static func emit(_ line: String) throws {
        try FileHandle.standardOutput.write(contentsOf: Data(line.utf8))
    }
}
