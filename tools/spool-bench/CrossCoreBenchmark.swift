import BenchSupport
import Foundation
import Synchronization

/// `spool-bench cross-core`: how long one cache line takes to go from one CPU to another and
/// back, two threads passing a counter back and forth. Both spin, so the kernel runs them on
/// two CPUs (on spoold's two-CPU machine, those two; nothing is pinned: glibc's affinity calls
/// are not visible to Swift).
///
/// Why: on a virtual machine the host decides where the guest's CPUs run, and that can change
/// from minute to minute. With both near (sharing a cache) a round trip here takes ~60 ns; with
/// them far apart 340–740 ns, and every line spoold's event loop hands its writer (a request's
/// objects, the memory the writer frees) costs that much more, while a single-threaded server
/// barely notices. The server benchmark's target, compare and profile parts run this around
/// each spoold run so that each run can be read with the machine's state beside it.
enum CrossCoreBenchmark {
    static let options: Set<String> = ["round-trips"]

    /// The counter both threads spin on: odd values are the pinger's, even ones the ponger's,
    /// -1 tells the ponger to stop.
    private static let ball = Atomic<Int>(0)
    /// Set by the ponger as it stops, so that the next run starts alone.
    private static let pongerStopped = Atomic<Bool>(false)
    /// A run stops after this long even short of its round trips (on one CPU, or a busy
    /// machine, each pass waits for the scheduler).
    private static let runLimit: UInt64 = 2_000_000_000

    /// Prints the median round trip in nanoseconds of three runs of `--round-trips` (200,000)
    /// each, and a JSON line. Throws `UsageError` for bad options.
    static func run(_ arguments: Arguments) throws {
        try arguments.check(known: options)
        let trips = try arguments.integer("round-trips", default: 200_000)
        let median = (0..<3).map { _ in roundTrip(trips: trips) }.sorted()[1]
        print("cross-core: median of 3 runs of up to \(trips) round trips: \(Int(median)) ns")
        print(#"{"benchmark":"cross-core","round_trip_ns":\#(Int(median))}"#)
    }

    /// The mean round trip in nanoseconds of up to `trips` passes between this thread and
    /// another (fewer when `runLimit` passes first). The other thread has stopped when this
    /// returns.
    private static func roundTrip(trips: Int) -> Double {
        ball.store(0, ordering: .relaxed)
        pongerStopped.store(false, ordering: .relaxed)
        Thread {
            var trip = 0
            while true {
                let value = ball.load(ordering: .acquiring)
                if value == -1 { break }
                if value == 2 * trip + 1 {
                    ball.store(2 * trip + 2, ordering: .releasing)
                    trip += 1
                }
            }
            pongerStopped.store(true, ordering: .releasing)
        }.start()
        let start = DispatchTime.now().uptimeNanoseconds
        var done = 0
        while done < trips && (done % 64 != 0 || DispatchTime.now().uptimeNanoseconds - start < runLimit) {
            ball.store(2 * done + 1, ordering: .releasing)
            while ball.load(ordering: .acquiring) != 2 * done + 2 {}
            done += 1
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        ball.store(-1, ordering: .releasing)
        while !pongerStopped.load(ordering: .acquiring) {}
        return Double(elapsed) / Double(max(done, 1))
    }
}
