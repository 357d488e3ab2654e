extension Dictionary {
    /// Merges `newer` in, its values winning; when the result could hold more than `capacity`
    /// entries, keeps only `newer`. The writer's caches start over from their last commit
    /// rather than grow.
    mutating func merge(_ newer: Self, keepingAtMost capacity: Int) {
        if count + newer.count > capacity {
            self = newer
        } else {
            merge(newer) { _, new in new }
        }
    }

    /// Sets `value` for `key`; when that would hold more than `capacity` entries, keeps only
    /// it (as `merge(_:keepingAtMost:)` of one entry, without building a dictionary for it).
    mutating func updateValue(_ value: Value, forKey key: Key, keepingAtMost capacity: Int) {
        if count >= capacity && self[key] == nil { self = [:] }
        self[key] = value
    }
}
