import NIOCore

/// A task executor that runs jobs on one event loop. The task of a connection's request that
/// waits (`Connection`) prefers the loop that owns its socket, so a request is read, run and
/// answered on that thread: a round trip wakes no other thread unless the request waits for
/// the writer or the thread pool.
/// Rejected: the global pool (each request hopped from the loop to a pool thread and its
/// answer back; on this VM a wake of an idle core costs tens of microseconds).
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
