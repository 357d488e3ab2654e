import ArgumentParser
import JSON
import SpoolCore

/// `spool verify`: recomputes the hash chain and checks the indexes, then folds the log afresh
/// and compares every view with it (unless `--skip-views`). Exit 0 when all is intact, 1 when
/// something is damaged (the first bad seq is named), 2 when it could not check.
///
/// Design: through a server it sends the `verify` op (the server has no progress to report,
/// so a terminal shows only the time running). With `--data` it runs the engine's verifier
/// itself, for a progress bar, and prints the same JSON members as the op (`valid`,
/// `verified_through`, `head_hash`, `problem`, `views`, `views_valid`).
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Checks the log's hash chain and indexes, and the views against a fresh fold; exit 1 names the first bad seq.")

    @Flag(name: .customLong("skip-views"), help: "Check only the log, not the views against a fresh fold.")
    var skipViews = false

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
    }

    func run() async throws {
        let checkViews = !skipViews
        let response = try await connection.withBackend(directory: data.directory, access: .read) { backend -> JSONValue in
            if let engine = backend.engine { return try Self.verifyLocally(engine, views: checkViews) }
            let progress = ProgressBar("verify (on the server)", unit: "")
            let ticker = progress.enabled ? Task { try await Self.tick(progress) } : nil
            defer {
                ticker?.cancel()
                progress.finish()
            }
            return try await backend.call("verify", ["views": .bool(checkViews)])
        }
        let intact = response["valid"] == .bool(true) && response["views_valid"] != .bool(false)
        if output.json {
            Terminal.printJSON(response)
        } else {
            Terminal.write(Array(Self.report(response).utf8))
        }
        if !intact { throw ExitCode(1) }
    }

    /// Redraws `progress` (the time running) until cancelled.
    static func tick(_ progress: ProgressBar) async throws {
        while !Task.isCancelled {
            progress.update(done: 0, total: nil)
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// The `verify` op's answer computed here with progress, plus the views check.
    static func verifyLocally(_ engine: Engine, views: Bool) throws -> JSONValue {
        let progress = ProgressBar("verify log")
        var events: UInt64 = 0  // the index pass shows its own fraction beside the events verified
        let report = try engine.verify { step in
            if step.phase == .events { events = step.done }
            progress.update(done: step.done, total: step.total, items: events, phase: step.phase == .events ? nil : step.phase.rawValue)
        }
        progress.finish()
        var object: JSONObject = ["ok": true, "valid": .bool(report.isValid), "verified_through": .int(Int64(report.verifiedThrough))]
        object["head_hash"] = .string(Hex.encode(report.headHash))
        if let problem = report.problem { object["problem"] = ["seq": .int(Int64(problem.seq)), "reason": .string(problem.reason)] }
        guard views, report.isValid else { return .object(object) }
        let viewProgress = ProgressBar("verify views")
        let checks = try engine.checkViews { done, head in viewProgress.update(done: done, total: head) }
        viewProgress.finish()
        object["views"] = .array(checks.map(\.json))
        object["views_valid"] = .bool(checks.allSatisfy(\.matches))
        return .object(object)
    }

    /// The readable verdict: what was checked, and the first problem.
    static func report(_ response: JSONValue) -> String {
        let through = KeyValueList.text(response["verified_through"] ?? .null)
        var out: String
        if let problem = response["problem"] {
            out = "DAMAGED at seq \(KeyValueList.text(problem["seq"] ?? .null)): \(KeyValueList.text(problem["reason"] ?? .null))\n"
            out += "the log is intact through seq \(through)\n"
        } else {
            out = "log intact: seq 1…\(through), hash chain and indexes verified\n"
            out += "head hash: \(KeyValueList.text(response["head_hash"] ?? .null))\n"
        }
        for view in response["views"]?.arrayValue ?? [] {
            let name = KeyValueList.text(view["view"] ?? .null)
            if view["matches"] == .bool(true) {
                out += "view \(name): matches a fresh fold (\(KeyValueList.text(view["stored"] ?? .null)))\n"
            } else {
                out += "view \(name): DIFFERS from a fresh fold (checkpoint \(KeyValueList.text(view["checkpoint"] ?? .null)), "
                out += "head \(KeyValueList.text(view["head"] ?? .null))); run spool rebuild \(name)\n"
            }
        }
        if response["views"] == nil, response["problem"] == nil { out += "views: not checked (--skip-views)\n" }
        return out
    }
}
