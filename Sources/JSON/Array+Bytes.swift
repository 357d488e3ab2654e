extension Array where Element == UInt8 {
    /// Appends `count` copies of `byte` as one fill (`append(contentsOf: repeatElement(…))`
    /// goes through the generic sequence path, a byte at a time).
    public mutating func append(repeating byte: UInt8, count: Int) {
        append(addingCapacity: count) { $0.append(repeating: byte, count: count) }
    }
}
