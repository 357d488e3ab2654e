import BenchSupport
import CJemalloc  // measure the engine with the allocator spoold uses (see Spoold.swift)
import Foundation
import Synchronization

/// `spool-bench`: storage, view, subscription and email benchmarks of Spool, and the child
/// process of its crash-safety test.
let usage = """
    usage: spool-bench <command> [options]

      append       durable append throughput through Engine.append (group commit, fsync)
                   --events N (1000000)  --submitters 1,16,64  --window 1[,16]  --per-append 1[,16]
                   --streams own,random  --users 100000  --streams-per-submitter 4
                   --layer engine[,log] (log: a Writer without the views)
                   --seconds T (60, per configuration)  --dir BASE (system temp)
      raw          raw LMDB MDB_APPEND of fixed-size values: the ceiling
                   --events N (1000000)  --batch 1000[,100,10]  --value-size 250
                   --index-streams 0[,100000] (a second, streams-like put per event)  --dir BASE
      views        fill a history through a bare Writer and through Engine.append (the cost of
                   inline views), then time Engine.rebuild and as-of / current view queries
                   --events N (1000000)  --users U (100000)  --per-append 4  --submitters 64
                   --window 16  --layer log,engine  --rebuilds 3  --rebuild-views all[,users-by-id…]
                   --queries 20000  --query-seconds 5 (per query kind)  --dir BASE
                   --keep DIR (fill DIR and leave it: tools/compare-rebuild.sh rebuilds it offline)
      consume      consume a backlog through a subscription: fetch batches + ack, in-process
                   --backlog N (1000000)  --batch 100,1000  --consumers 1[,4]  --users 10000
                   --per-append 50  --submitters 64  --window 4 (the backlog's appends)
                   --wake-events 2000 (0: skip)  --rate 1000 (append -> long-poll wake)  --dir BASE
      emails       the email projector: backlog throughput on U new users, then the lag from a
                   UserCreated's acknowledgement to its EmailGenerated being readable
                   --users U (100000)  --events-per-user 1 (more: the views' event mix)
                   --per-append 4  --submitters 64  --window 16  --lag-users 3000 (per rate)
                   --rate 500,1000,2000 (users/s)  --dir BASE
      prepare      one thread's CPU per event to parse append request lines, for
                   AppendRequest.prepare (schema checks, record encoding), for a whole
                   request line as an event loop handles it (parse, fields, prepare) and for
                   encoding the data alone; no disk  --events N (1000000)
                   --per-append 64  --rounds 5 (the best is reported, the median beside it)
      cross-core   the round trip of a cache line between the first two CPUs, in ns (on a
                   virtual machine it changes as the host moves its CPUs)  --round-trips 200000
      append-loop  append forever to --dir D, printing "<seq> <stream> <version>" per durable
                   append (the crash-safety test's child)  --stream-count 8  --tasks 4

    Each benchmark prints a table, then one JSON object per configuration, one per line.
    """

/// Runs the command `arguments` names. Throws `UsageError` for a bad command line, or what the
/// benchmark throws.
func run(_ arguments: Arguments) async throws {
    switch arguments.command {
    case "append": try await AppendBenchmark.run(arguments)
    case "raw": try RawBenchmark.run(arguments)
    case "prepare": try PrepareBenchmark.run(arguments)
    case "append-loop": try await AppendLoop.run(arguments)
    case "cross-core": try CrossCoreBenchmark.run(arguments)
    case "views": try await ViewsBenchmark.run(arguments)
    case "consume": try await ConsumeBenchmark.run(arguments)
    case "emails": try await EmailBenchmark.run(arguments)
    case "help", "-h": print(usage)
    default: throw UsageError("unknown command '\(arguments.command)'")
    }
}

/// Exits with the status of `error`: 2 and the usage for a bad command line, 1 otherwise.
func exit(with error: any Error) -> Never {
    if let error = error as? UsageError {
        FileHandle.standardError.write(Data("spool-bench: \(error)\n\n\(usage)\n".utf8))
        exit(2)
    }
    FileHandle.standardError.write(Data("spool-bench: \(error)\n".utf8))
    exit(1)
}

// The main thread waits on a semaphore rather than in an async `main`: there libdispatch parks
// it in `rt_sigsuspend`, where valgrind 3.19 crashes, and the writer's work could not be
// counted under callgrind. The benchmarks' tasks run on the global executor either way.
do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    if arguments.flag("help") {
        print(usage)
        exit(0)
    }
    let finished = DispatchSemaphore(value: 0)
    let outcome = Mutex<(any Error)?>(nil)
    Task.detached {
        do { try await run(arguments) } catch { outcome.withLock { $0 = error } }
        finished.signal()
    }
    finished.wait()
    if let error = outcome.withLock({ $0 }) { exit(with: error) }
} catch {
    exit(with: error)
}
