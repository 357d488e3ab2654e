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
}
