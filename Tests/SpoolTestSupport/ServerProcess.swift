import Foundation
import SpoolClient
import Synchronization

/// The real `spoold` binary, started on a free loopback port with a data directory, for
/// end-to-end tests. `stop()` sends SIGTERM and waits; `kill()` sends SIGKILL.
///
/// The binary is found next to the test bundle (the build products directory of whatever
/// scratch path built the tests), or at `$SPOOLD_PATH`.
public final class ServerProcess: Sendable {
    public let dataDirectory: String
    public let port: Int
    /// The port of the metrics endpoint, when started with `--metrics` (its
    /// `metrics listening on HOST:PORT` line).
    public let metricsPort: Int?
    private let process: Process
    private let output: OutputCollector

    /// Starts `spoold --listen 127.0.0.1:0 --data dataDirectory` plus `arguments`, and waits
    /// (up to 20 s) for it to print the port it listens on (and, with `--metrics`, its metrics
    /// port). Throws when it exits or says nothing in time, with its output in the message.
    public init(dataDirectory: String, arguments: [String] = []) throws {
        self.dataDirectory = dataDirectory
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = ["--listen", "127.0.0.1:0", "--data", dataDirectory] + arguments
        let output = OutputCollector()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        output.collect(stdout.fileHandleForReading, into: \.stdout)
        output.collect(stderr.fileHandleForReading, into: \.stderr)
        try process.run()
        self.process = process
        self.output = output
        let deadline = Date().addingTimeInterval(20)
        let wantsMetrics = arguments.contains("--metrics")
        var found: Int? = nil
        var metricsFound: Int? = nil
        while found == nil || (wantsMetrics && metricsFound == nil), Date() < deadline, process.isRunning {
            found = output.port()
            metricsFound = output.port(after: "metrics listening on ")
            if found == nil || (wantsMetrics && metricsFound == nil) { Thread.sleep(forTimeInterval: 0.01) }
        }
        found = found ?? output.port()
        metricsFound = metricsFound ?? output.port(after: "metrics listening on ")
        guard let port = found, !wantsMetrics || metricsFound != nil else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            throw ServerProcessError("spoold did not start: \(output.text)")
        }
        self.port = port
        self.metricsPort = metricsFound
    }

    /// A new client connection to this server. A call waiting longer than `timeout` for its
    /// answers fails (the connection closes), so a lost answer fails a test instead of hanging it.
    public func connect(timeout: Duration = .seconds(60)) async throws -> SpoolConnection {
        try await SpoolConnection.connect(host: "127.0.0.1", port: port, timeout: timeout)
    }

    /// Sends SIGTERM and waits for the process to exit; returns its exit status.
    @discardableResult
    public func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends SIGKILL: no shutdown, no flush beyond what was already durable.
    public func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    public var isRunning: Bool { process.isRunning }

    /// Everything the server printed so far (stdout, then stderr).
    public var outputText: String { output.text }

    /// Runs the built `spoold` with `arguments` to completion (for start-up failures).
    public static func run(arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The `spoold` beside the running test binary (or `$SPOOLD_PATH`).
    public static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["SPOOLD_PATH"] { return URL(fileURLWithPath: path) }
        var candidates: [URL] = []
        #if os(Linux)
            if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
                candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
            }
        #endif
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            // On Linux the test binary sits in the products directory; on macOS it is inside
            // `X.xctest/Contents/MacOS`, three levels down.
            for up in 0...3 {
                var base = directory
                for _ in 0..<up { base = base.deletingLastPathComponent() }
                let candidate = base.appendingPathComponent("spoold")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            }
        }
        throw ServerProcessError(
            "spoold is not built next to the tests (looked in \(candidates.map(\.path))); run swift build --build-tests first")
    }
}

/// Why a server process could not be used.
public struct ServerProcessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Collects a child process's output on background threads.
final class OutputCollector: Sendable {
    struct Text {
        var stdout = ""
        var stderr = ""
    }

    private let state = Mutex(Text())

    func collect(_ handle: FileHandle, into field: WritableKeyPath<Text, String> & Sendable) {
        let thread = Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                let text = String(decoding: data, as: UTF8.self)
                state.withLock { $0[keyPath: field] += text }
            }
        }
        thread.start()
    }

    var text: String { state.withLock { $0.stdout + $0.stderr } }

    /// The port of a complete `listening on HOST:PORT` line (or another `prefix`) on stdout,
    /// when printed.
    func port(after prefix: String = "listening on ") -> Int? {
        let stdout = state.withLock { $0.stdout }
        for line in stdout.split(separator: "\n", omittingEmptySubsequences: true) where line.hasPrefix(prefix) {
            guard stdout.contains(line + "\n"), let colon = line.lastIndex(of: ":") else { continue }
            return Int(line[line.index(after: colon)...])
        }
        return nil
    }
}
