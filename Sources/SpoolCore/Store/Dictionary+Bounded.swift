extension Dictionary {
    /// Sets `value` for `key`; when that would hold more than `capacity` entries, keeps only it:
    /// a cache starts over from its newest entry rather than grow.
    mutating func updateValue(_ value: Value, forKey key: Key, keepingAtMost capacity: Int) {
        if count >= capacity && self[key] == nil { self = [:] }
        self[key] = value
    }
}
