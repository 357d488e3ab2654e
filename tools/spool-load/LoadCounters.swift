import Foundation

/// CPU seconds used during a run by the client (this process), by the server (its pid, when
/// known) and by the whole machine, so a report can say who had the cores: the client must
/// not be the bottleneck, and other work on the shared VM must be visible.
struct LoadCounters {
    /// User plus system CPU seconds of this process.
    var clientSeconds: Double
    /// User plus system CPU seconds of the server process (0 when its pid is unknown).
    var serverSeconds: Double
    /// The server's CPU seconds by thread name (threads of one name summed; empty when its pid
    /// is unknown): spoold's event loops (`NIO-ELT-…`) and writer (`spool-writer`) apart.
    var serverThreadSeconds: [String: Double]
    /// Seconds the server's threads spent ready to run but waiting for a core, by thread name
    /// (`/proc/<pid>/task/<tid>/schedstat`): a thread that sets the pace and waits here shows
    /// that the cores, not the thread's own work, held it back.
    var serverThreadQueuedSeconds: [String: Double]
    /// Busy CPU seconds of the machine, all processes and cores (`/proc/stat`).
    var machineBusySeconds: Double

    /// CPU seconds used by everything else: what client and server had to share the cores with.
    var othersSeconds: Double { max(0, machineBusySeconds - clientSeconds - serverSeconds) }

    /// The counters now.
    static func now(serverPID: Int32?) -> LoadCounters {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let client =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
        return LoadCounters(
            clientSeconds: client, serverSeconds: serverPID.map(processSeconds) ?? 0,
            serverThreadSeconds: serverPID.map { threadSeconds($0, from: statSeconds) } ?? [:],
            serverThreadQueuedSeconds: serverPID.map { threadSeconds($0, from: queuedSeconds) } ?? [:],
            machineBusySeconds: machineBusySeconds())
    }

    /// Percent of one core over `seconds` of wall time.
    static func percent(_ cpuSeconds: Double, of seconds: Double) -> Double { seconds > 0 ? 100 * cpuSeconds / seconds : 0 }

    /// Microseconds of CPU per event for `cpuSeconds` spent on `events` events (0 for none).
    static func microseconds(_ cpuSeconds: Double, perEvent events: Int) -> Double {
        events > 0 ? cpuSeconds * 1e6 / Double(events) : 0
    }

    /// User plus system CPU seconds of process `pid` (fields 14 and 15 of `/proc/<pid>/stat`), or 0.
    private static func processSeconds(_ pid: Int32) -> Double {
        statSeconds("/proc/\(pid)")?.seconds ?? 0
    }

    /// Seconds `read` gives for each thread of process `pid` (from the thread's directory in
    /// `/proc/<pid>/task`), summed by thread name.
    private static func threadSeconds(_ pid: Int32, from read: (String) -> (name: String, seconds: Double)?) -> [String: Double] {
        let tasks = "/proc/\(pid)/task"
        var seconds: [String: Double] = [:]
        for task in (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? [] {
            guard let thread = read("\(tasks)/\(task)") else { continue }
            seconds[thread.name, default: 0] += thread.seconds
        }
        return seconds
    }

    /// The name and runqueue wait of the thread whose `/proc` directory is `directory`: the
    /// second field of `schedstat`, in nanoseconds. Nil when it cannot be read.
    private static func queuedSeconds(_ directory: String) -> (name: String, seconds: Double)? {
        guard let name = try? String(contentsOfFile: "\(directory)/comm", encoding: .utf8),
            let text = try? String(contentsOfFile: "\(directory)/schedstat", encoding: .utf8)
        else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let waited = Double(fields[1].trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return (name.trimmingCharacters(in: .newlines), waited / 1e9)
    }

    /// The name and user plus system CPU seconds in the `stat` file of a `/proc` directory:
    /// after "pid (name) ", utime is field 14 and stime field 15. Nil when it cannot be read.
    private static func statSeconds(_ directory: String) -> (name: String, seconds: Double)? {
        guard let text = try? String(contentsOfFile: "\(directory)/stat", encoding: .utf8),
            let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (String(text[text.index(after: open)..<close]), (user + system) / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// Busy CPU seconds of the machine since boot, from the `cpu` line of `/proc/stat`.
    private static func machineBusySeconds() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return 0 }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 7 else { return 0 }
        // user nice system idle iowait irq softirq
        return (ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func - (lhs: LoadCounters, rhs: LoadCounters) -> LoadCounters {
        LoadCounters(
            clientSeconds: lhs.clientSeconds - rhs.clientSeconds, serverSeconds: lhs.serverSeconds - rhs.serverSeconds,
            serverThreadSeconds: lhs.serverThreadSeconds.merging(rhs.serverThreadSeconds.mapValues { -$0 }, uniquingKeysWith: +),
            serverThreadQueuedSeconds: lhs.serverThreadQueuedSeconds.merging(
                rhs.serverThreadQueuedSeconds.mapValues { -$0 }, uniquingKeysWith: +),
            machineBusySeconds: lhs.machineBusySeconds - rhs.machineBusySeconds)
    }
}
