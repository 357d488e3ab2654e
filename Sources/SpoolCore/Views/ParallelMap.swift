import Dispatch
import Synchronization

/// `body(0) … body(count - 1)` run on all cores at once, their results in index order.
/// Every call runs to its end; the error of the lowest index that threw is rethrown.
func parallelMap<T: Sendable, Failure: Error>(_ count: Int, _ body: @Sendable (Int) throws(Failure) -> T) throws(Failure) -> [T] {
    let results = Mutex<[Int: Result<T, Failure>]>([:])
    DispatchQueue.concurrentPerform(iterations: count) { index in
        let result = Result { () throws(Failure) -> T in try body(index) }
        results.withLock { $0[index] = result }
    }
    let collected = results.withLock { $0 }
    var values: [T] = []
    for index in 0..<count {
        if let result = collected[index] { values.append(try result.get()) }
    }
    return values
}
