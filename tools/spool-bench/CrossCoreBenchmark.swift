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
/// barely notices. The server benchmark's target part runs this around each spoold run so that
/// each pair can be read with the machine's state beside it.
enum CrossCoreBenchmark {
    static let options: Set<String> = ["round-trips"]

    /// The counter both threads spin on; odd values are the pinger's, even ones the ponger's.
    private static let ball = Atomic<Int>(0)

    /// Prints the median round trip in nanoseconds of three runs of `--round-trips` (200,000)
    /// each, and a JSON line. Throws `UsageError` for bad options.
    static func run(_ arguments: Arguments) throws {
        try arguments.check(known: options)
        let trips = try arguments.integer("round-trips", default: 200_000)
        let median = (0..<3).map { _ in roundTrip(trips: trips) }.sorted()[1]
        print("cross-core: median of 3 runs of \(trips) round trips: \(Int(median)) ns")
        print(#"{"benchmark":"cross-core","round_trip_ns":\#(Int(median))}"#)
    }

    /// The mean round trip in nanoseconds of `trips` passes between this thread and another.
    /// The other's last pass is the one this thread waits for, so it is done when this returns.
    private static func roundTrip(trips: Int) -> Double {
        ball.store(0, ordering: .relaxed)
        Thread {
            for trip in 0..<trips {
                while ball.load(ordering: .acquiring) != 2 * trip + 1 {}
                ball.store(2 * trip + 2, ordering: .releasing)
            }
        }.start()
        let start = DispatchTime.now().uptimeNanoseconds
        for trip in 0..<trips {
            ball.store(2 * trip + 1, ordering: .releasing)
            while ball.load(ordering: .acquiring) != 2 * trip + 2 {}
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(trips)
    }
}
