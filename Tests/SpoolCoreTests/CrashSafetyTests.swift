import Foundation
import JSON
import SpoolCore
import SpoolTestSupport
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// Crash safety: a child process (`spool-bench append-loop`) appends in a loop and prints each
/// acknowledged append; it is killed with SIGKILL mid-run; the directory is reopened and every
/// acknowledged event must be there, readable, the log must verify, and the chain must go on.
///
/// Design: the child is the real engine in another process, so the kill lands at an arbitrary
/// point of a real commit (LMDB's atomic commit is what is under test, not a simulation). Its
/// stdout goes to a file rather than a pipe: nothing can block the child, and every line it
/// wrote before the kill is still in the file. Five rounds reuse one directory, so each round
/// also proves that the previous crash left a directory the next writer can extend.
final class CrashSafetyTests: XCTestCase {
    /// An append the child acknowledged: one line `<seq> <stream> <version>`.
    struct Acknowledged: Equatable {
        var seq: UInt64
        var stream: String
        var version: UInt64
    }

    func testAcknowledgedAppendsSurviveSIGKILL() async throws {
        let binary = try Self.spoolBench()
        let directory = try TemporaryDirectory("crash")
        defer { directory.remove() }
        let data = directory.appending("data")
        var acknowledged: [UInt64: Acknowledged] = [:]
        for round in 1...5 {
            let lines = try await runAndKill(
                binary, data: data, output: directory.appending("round-\(round)"), runFor: .milliseconds(250 + 150 * round))
            XCTAssertFalse(lines.isEmpty, "round \(round): the child acknowledged nothing before it was killed")
            for line in lines {
                XCTAssertNil(acknowledged[line.seq], "round \(round): seq \(line.seq) acknowledged twice")
                acknowledged[line.seq] = line
            }
            try await checkReopened(data, acknowledged: &acknowledged, round: round)
        }
    }

    /// Starts the child on `data`, waits for its first acknowledgement, lets it run for
    /// `runFor`, kills it with SIGKILL and returns every line it printed.
    private func runAndKill(_ binary: String, data: String, output: String, runFor: Duration) async throws -> [Acknowledged] {
        try await waitUntilUnlocked(data)
        XCTAssertTrue(FileManager.default.createFile(atPath: output + ".out", contents: nil))
        XCTAssertTrue(FileManager.default.createFile(atPath: output + ".err", contents: nil))
        let stdout = try XCTUnwrap(FileHandle(forWritingAtPath: output + ".out"))
        let stderr = try XCTUnwrap(FileHandle(forWritingAtPath: output + ".err"))
        defer {
            try? stdout.close()
            try? stderr.close()
        }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: binary)
        child.arguments = ["append-loop", "--dir", data]
        child.standardOutput = stdout
        child.standardError = stderr
        try child.run()
        defer {
            if child.isRunning {  // a failed check must not leave the child appending
                kill(child.processIdentifier, SIGKILL)
                child.waitUntilExit()
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while try acknowledgements(in: output + ".out").isEmpty {
            guard child.isRunning, ContinuousClock.now < deadline else {
                if child.isRunning { kill(child.processIdentifier, SIGKILL) }
                child.waitUntilExit()  // terminationStatus may only be read once it has ended
                let message = (try? String(contentsOfFile: output + ".err", encoding: .utf8)) ?? ""
                XCTFail("the child acknowledged nothing within 30 s (exit \(child.terminationStatus)): \(message)")
                return []
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: runFor)
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal, "the child stopped on its own before it was killed")
        return try acknowledgements(in: output + ".out")
    }

    /// Reopens `data`: every acknowledged event is present with its stream and version and a
    /// readable body, the log verifies, and one more append extends the chain (and verifies).
    private func checkReopened(_ data: String, acknowledged: inout [UInt64: Acknowledged], round: Int) async throws {
        let engine = try Engine(directory: data)
        defer { engine.close() }
        let head = try engine.log.head().seq
        XCTAssertGreaterThanOrEqual(head, acknowledged.keys.max() ?? 0, "round \(round): the log ends before the last acknowledged seq")
        for expected in acknowledged.values.sorted(by: { $0.seq < $1.seq }) {
            guard let event = try engine.log.event(at: expected.seq) else {
                XCTFail("round \(round): acknowledged seq \(expected.seq) is missing after the crash")
                continue
            }
            XCTAssertEqual(event.stream, expected.stream, "round \(round): seq \(expected.seq)")
            XCTAssertEqual(event.version, expected.version, "round \(round): seq \(expected.seq)")
            let body = try JSONParser.parse(event.data)
            XCTAssertEqual(
                body["user_id"].map { "user-" + ($0.stringValue ?? "") }, expected.stream, "round \(round): seq \(expected.seq) data")
        }
        let report = try engine.verify()
        XCTAssertTrue(report.isValid, "round \(round): verify after the crash: \(report.problem.map(String.init(describing:)) ?? "")")
        XCTAssertEqual(report.verifiedThrough, head)

        let request = AppendRequest(
            stream: "user-crash-0",
            events: [ProposedEvent(type: "UserProfileUpdated", data: ["user_id": "crash-0", "first_name": .string("after-\(round)")])])
        let result = try await engine.append(request, actor: "test")
        XCTAssertEqual(result.lastSeq, head + 1, "round \(round): the chain continues at the next seq")
        acknowledged[result.lastSeq] = Acknowledged(seq: result.lastSeq, stream: "user-crash-0", version: result.version)
        let again = try engine.verify()
        XCTAssertTrue(
            again.isValid, "round \(round): verify after appending past the crash: \(again.problem.map(String.init(describing:)) ?? "")")
        XCTAssertEqual(again.verifiedThrough, head + 1)
    }

    /// Waits until no engine (the previous round's, still being released) holds `data`.
    private func waitUntilUnlocked(_ data: String) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while Store.isInUse(directory: data) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// The complete lines of `path` (a line cut short by the kill, if any, is ignored).
    private func acknowledgements(in path: String) throws -> [Acknowledged] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()  // the text after the last "\n": empty, or a partial line
        return try lines.map { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let seq = UInt64(fields[0]), let version = UInt64(fields[2]) else {
                throw Unparsable(line: String(line))
            }
            return Acknowledged(seq: seq, stream: String(fields[1]), version: version)
        }
    }

    private struct Unparsable: Error, CustomStringConvertible {
        let line: String
        var description: String { "the child printed a line that is not '<seq> <stream> <version>': \(line)" }
    }

    /// The `spool-bench` executable in the build products directory of this test bundle
    /// (whatever the scratch path), found by walking up from the running test binary.
    /// Throws, naming the directories searched, when it is not there.
    static func spoolBench() throws -> String {
        let starts = [ProcessInfo.processInfo.arguments.first ?? "", Bundle.main.bundlePath, Bundle(for: Self.self).bundlePath]
        var searched: [String] = []
        for start in starts where !start.isEmpty {
            var directory = URL(fileURLWithPath: start).resolvingSymlinksInPath()
            for _ in 0..<4 {
                directory = directory.deletingLastPathComponent()
                let candidate = directory.appendingPathComponent("spool-bench").path
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                    FileManager.default.isExecutableFile(atPath: candidate)
                {
                    return candidate
                }
                if !searched.contains(directory.path) { searched.append(directory.path) }
            }
        }
        throw MissingChild(searched: searched)
    }

    private struct MissingChild: Error, CustomStringConvertible {
        let searched: [String]
        var description: String {
            "spool-bench, the crash test's child process, is not built beside the tests (searched \(searched.joined(separator: ", "))); "
                + "build it with `swift build --build-tests` (or `swift build --product spool-bench`) using the same scratch path"
        }
    }
}
