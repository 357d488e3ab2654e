extension Array where Element == UInt8 {
    /// Appends the UTF-8 bytes of `string`. A string of up to 15 bytes (held inline, as most
    /// JSON keys and short values are) is copied through its span, which costs less than
    /// `append(contentsOf: string.utf8)`'s generic path for it; a longer one by that call,
    /// which copies it in one `memcpy` (a loop over its span was slower there).
    @inlinable
    public mutating func appendUTF8(_ string: String) {
        let utf8 = string.utf8
        guard utf8.count <= 15 else { return append(contentsOf: utf8) }
        let span = utf8.span
        append(addingCapacity: span.count) { out in
            for index in span.indices { out.append(span[index]) }
        }
    }
}
