import BenchSupport
import Foundation

/// The process's CPU time and the bytes written to the block device of the data directory.
///
/// Bytes come from the device's `/sys/dev/block/M:m/stat` (sectors written), not from
/// `/proc/self/io`: on kernels with large folios `write_bytes` counts whole folios dirtied
/// (7× the device writes in this benchmark). The device counter is device-wide, so it also
/// counts the filesystem's metadata and any other process writing meanwhile.
struct ProcessCounters {
    /// Bytes written to the data directory's block device (0 when it cannot be found).
    var bytesWritten: Int
    /// User plus system CPU seconds of the whole process.
    var cpuSeconds: Double
    /// Busy CPU seconds of the whole machine (all processes, all cores; `/proc/stat`).
    var machineBusySeconds: Double
    /// CPU seconds the hypervisor gave to other guests (`steal` in `/proc/stat`).
    var stealSeconds: Double

    /// CPU seconds other processes used: what the benchmark had to share the cores with.
    var othersSeconds: Double { max(0, machineBusySeconds - cpuSeconds) }

    /// The counters now; `directory` picks the block device.
    static func now(directory: String) -> ProcessCounters {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        let cpu =
            Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
        let (busy, steal) = machineCPU()
        return ProcessCounters(
            bytesWritten: sectorsWritten(device: directory) * 512, cpuSeconds: cpu, machineBusySeconds: busy, stealSeconds: steal)
    }

    /// Busy and stolen CPU seconds of the machine since boot, from the `cpu` line of `/proc/stat`.
    private static func machineCPU() -> (busy: Double, steal: Double) {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return (0, 0) }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 8 else { return (0, 0) }
        let hertz = Double(sysconf(Int32(_SC_CLK_TCK)))
        // user nice system idle iowait irq softirq steal
        let busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
        return (busy / hertz, ticks[7] / hertz)
    }

    /// Sectors written to the block device holding `path` (field 7 of its `stat`), or 0.
    private static func sectorsWritten(device path: String) -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        let device = UInt64(info.st_dev)
        let major = (device >> 8) & 0xfff | (device >> 32) & ~0xfff
        let minor = device & 0xff | (device >> 12) & ~0xff
        guard let text = try? String(contentsOfFile: "/sys/dev/block/\(major):\(minor)/stat", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 6 ? Int(fields[6]) ?? 0 : 0
    }

    static func - (lhs: ProcessCounters, rhs: ProcessCounters) -> ProcessCounters {
        ProcessCounters(
            bytesWritten: lhs.bytesWritten - rhs.bytesWritten, cpuSeconds: lhs.cpuSeconds - rhs.cpuSeconds,
            machineBusySeconds: lhs.machineBusySeconds - rhs.machineBusySeconds, stealSeconds: lhs.stealSeconds - rhs.stealSeconds)
    }
}

/// A fresh directory for one run under `base`, removed by `remove()`.
struct RunDirectory {
    let path: String
    /// Left in place by `remove`, for the user to reuse.
    private let kept: Bool

    /// Creates `<base>/spool-bench-<name>-<uuid>`. Throws when the directory cannot be created.
    init(base: String?, name: String) throws {
        let root = base ?? NSTemporaryDirectory()
        path = (root.hasSuffix("/") ? root : root + "/") + "spool-bench-\(name)-\(UUID().uuidString)"
        kept = false
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Creates `path`, which `remove` leaves in place. Throws `UsageError` when it exists.
    init(keeping path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { throw UsageError("--keep: \(path) already exists") }
        self.path = path
        kept = true
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { if !kept { try? FileManager.default.removeItem(atPath: path) } }
}

/// Seconds elapsed since `start` on the monotonic clock.
func seconds(since start: ContinuousClock.Instant) -> Double {
    (ContinuousClock.now - start).inSeconds
}

/// The CPU clock of the calling thread.
enum ThreadCPU {
    /// User plus system CPU seconds the calling thread has used since it started.
    static func current() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
