import Foundation
import JSON
import SpoolTestSupport

/// The built `spool` binary, run as a child process the way a person runs it.
///
/// It is found beside `spoold` in the build products directory (or at `$SPOOL_PATH`). The
/// child gets this process's environment without `SPOOL_SERVER` / `SPOOL_TOKEN`, plus
/// `environment`; its output goes to temporary files, so a large export cannot block it.
enum SpoolCLI {
    /// What one run printed and how it ended.
    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String

        /// Stdout parsed as one JSON document; nil when it is not one.
        var json: JSONValue? { try? JSONParser.parse(stdout.trimmingCharacters(in: .whitespacesAndNewlines), maxDepth: 1_000) }

        /// Stdout's lines parsed as NDJSON (blank lines skipped); nil when one is not JSON.
        var ndjson: [JSONValue]? {
            let lines = stdout.split(separator: "\n").filter { !$0.isEmpty }
            let values = lines.compactMap { try? JSONParser.parse(String($0), maxDepth: 1_000) }
            return values.count == lines.count ? values : nil
        }

        var description: String { "exit \(status)\nstdout: \(stdout.prefix(2_000))\nstderr: \(stderr.prefix(2_000))" }
    }

    static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["SPOOL_PATH"] { return URL(fileURLWithPath: path) }
        let candidate = try ServerProcess.binary().deletingLastPathComponent().appendingPathComponent("spool")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw ServerProcessError("spool is not built beside spoold (\(candidate.path)); run swift build --build-tests first")
        }
        return candidate
    }

    /// Runs `spool arguments…` to completion (at most `timeout` seconds, then it is killed).
    static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 30) throws -> Result {
        let scratch = try TemporaryDirectory("spool-cli-run")
        defer { scratch.remove() }
        let outPath = scratch.appending("stdout")
        let errPath = scratch.appending("stderr")
        guard FileManager.default.createFile(atPath: outPath, contents: nil), FileManager.default.createFile(atPath: errPath, contents: nil)
        else { throw ServerProcessError("cannot create \(outPath)") }
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment
        inherited["SPOOL_SERVER"] = nil
        inherited["SPOOL_TOKEN"] = nil
        process.environment = inherited.merging(environment) { $1 }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }
}
