import BenchSupport
import Foundation
import NIOPosix

/// `spool-load`: Spool's TCP load generator, and the same loads against Redis for comparison.
let usage = """
    usage: spool-load <mode> --port P [options]

      spool-append   durable appends to spoold over TCP, pipelined
      redis-xadd     the same events as XADD to redis-server (RESP)
                     --connections 1,8,64  --window 1,32  --events N (200000, per configuration)
                     --seconds T (20, per configuration)  --key K (spool-load, redis)
                     --data-size 250  --streams-per-connection 4  --per-append 1 (events per
                     request: one append of P events, or P XADDs in MULTI/EXEC)
                     --changing-attributes (each event's attributes differ from the last on its
                     stream; by default a stream's events restate the same attributes)
      spool-consume  consume a backlog with fetch + ack, one fresh subscription per batch size
      redis-consume  the same with XREADGROUP + XACK, one fresh consumer group per batch size
                     --batch 100,1000  --connections 1[,4]  --preload N (1000000; 0: use what is there)
                     --seconds T (60, per batch size)  --key K (spool-load-backlog, redis)
      spool-latency  append acknowledgement → delivery to a waiting consumer: push with
                     `subscribe` when the server has it, else a long-polling `fetch`
                     --events N (10000)  --rate R (1000 appends/s)  --mode auto|push|poll

      every mode:    --host 127.0.0.1  --port P  --server-pid PID (report the server's CPU)
                     --threads 1 (client event loops)

    Each mode prints a table, then one JSON object per configuration, one per line.
    """

/// Runs the mode named on the command line on its own event loops, shut down afterwards.
func main(_ arguments: Arguments) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: try arguments.integer("threads", default: 1))
    do {
        switch arguments.command {
        case "spool-append": try await AppendLoad.run(arguments, target: .spool, group: group)
        case "redis-xadd": try await AppendLoad.run(arguments, target: .redis, group: group)
        case "spool-consume": try await ConsumeLoad.run(arguments, target: .spool, group: group)
        case "redis-consume": try await ConsumeLoad.run(arguments, target: .redis, group: group)
        case "spool-latency": try await LatencyLoad.run(arguments, group: group)
        default: throw UsageError("unknown mode '\(arguments.command)'")
        }
    } catch {
        try? await group.shutdownGracefully()
        throw error
    }
    try await group.shutdownGracefully()
}

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    if arguments.flag("help") || ["help", "-h"].contains(arguments.command) {
        print(usage)
        exit(0)
    }
    try await main(arguments)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("spool-load: \(error)\n\n\(usage)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("spool-load: \(error)\n".utf8))
    exit(1)
}
