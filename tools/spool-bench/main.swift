import Foundation

/// `spool-bench`: storage benchmarks of Spool and the child process of its crash-safety test.
let usage = """
    usage: spool-bench <command> [options]

      append       durable append throughput through Engine.append (group commit, fsync)
                   --events N (1000000)  --submitters 1,16,64  --window 1[,16]
                   --streams own,random  --users 100000  --streams-per-submitter 4
                   --layer engine[,log] (log: a Writer without the views)
                   --seconds T (60, per configuration)  --dir BASE (system temp)
      raw          raw LMDB MDB_APPEND of fixed-size values: the ceiling
                   --events N (1000000)  --batch 1000[,100,10]  --value-size 250
                   --index-streams 0[,100000] (a second, streams-like put per event)  --dir BASE
      append-loop  append forever to --dir D, printing "<seq> <stream> <version>" per durable
                   append (the crash-safety test's child)  --stream-count 8  --tasks 4

    Each benchmark prints a table, then one JSON object per configuration, one per line.
    """

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    if arguments.flag("help") {
        print(usage)
        exit(0)
    }
    switch arguments.command {
    case "append": try await AppendBenchmark.run(arguments)
    case "raw": try RawBenchmark.run(arguments)
    case "append-loop": try await AppendLoop.run(arguments)
    case "help", "-h": print(usage)
    default: throw UsageError("unknown command '\(arguments.command)'")
    }
} catch let error as UsageError {
    FileHandle.standardError.write(Data("spool-bench: \(error)\n\n\(usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("spool-bench: \(error)\n".utf8))
    exit(1)
}
