import Foundation

/// CPU seconds used during a run by the client (this process), by the server (its pid, when
/// known) and by the whole machine, so a report can say who had the cores: the client must
/// not be the bottleneck, and other work on the shared VM must be visible.
struct LoadCounters {
    /// User plus system CPU seconds of this process.
    var clientSeconds: Double
    /// User plus system CPU seconds of the server process (0 when its pid is unknown).
    var serverSeconds: Double
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
            clientSeconds: client, serverSeconds: serverPID.map(processSeconds) ?? 0, machineBusySeconds: machineBusySeconds())
    }

    /// Percent of one core over `seconds` of wall time.
    static func percent(_ cpuSeconds: Double, of seconds: Double) -> Double { seconds > 0 ? 100 * cpuSeconds / seconds : 0 }

    /// User plus system CPU seconds of process `pid` (fields 14 and 15 of `/proc/<pid>/stat`), or 0.
    private static func processSeconds(_ pid: Int32) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        // After "pid (comm) ": state is field 3, utime field 14, stime field 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
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
            machineBusySeconds: lhs.machineBusySeconds - rhs.machineBusySeconds)
    }
}
