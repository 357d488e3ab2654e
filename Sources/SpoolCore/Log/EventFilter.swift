/// Which events a reader or a subscription wants: by type and by stream prefix. Empty means all.
public struct EventFilter: Sendable, Equatable {
    /// Event types to keep; empty keeps every type.
    public var types: Set<String>
    /// Keep only streams whose name starts with this; nil or empty keeps every stream.
    public var streamPrefix: String?

    public init(types: Set<String> = [], streamPrefix: String? = nil) {
        self.types = types
        self.streamPrefix = streamPrefix
    }

    public static let all = EventFilter()

    public var isAll: Bool { types.isEmpty && (streamPrefix ?? "").isEmpty }

    public func matches(type: String, stream: String) -> Bool {
        (types.isEmpty || types.contains(type)) && (streamPrefix.map { stream.hasPrefix($0) } ?? true)
    }

    /// `matches(type:stream:)` for a stored record's type and stream bytes, read where they lie
    /// (a scan then copies only the records it keeps). When all of it is ASCII it compares
    /// bytes, which is what `String` comparison gives there (but for a prefix ending in CR: a
    /// CR LF pair is one character); otherwise it asks `matches(type:stream:)` itself.
    func matches(type: Span<UInt8>, stream: Span<UInt8>) -> Bool {
        if isAll { return true }
        let prefix = streamPrefix ?? ""
        guard Self.isASCII(type), Self.isASCII(stream), Self.isASCII(prefix), prefix.utf8.last != 0x0D, types.allSatisfy(Self.isASCII)
        else {
            return matches(
                type: String(decoding: Array(copying: type), as: UTF8.self), stream: String(decoding: Array(copying: stream), as: UTF8.self)
            )
        }
        return (types.isEmpty || types.contains { $0.utf8.count == type.count && Self.bytes(type, startWith: $0) })
            && prefix.utf8.count <= stream.count && Self.bytes(stream, startWith: prefix)
    }

    /// `bytes` begins with the UTF-8 of `string`, which is no longer than `bytes`.
    private static func bytes(_ bytes: Span<UInt8>, startWith string: String) -> Bool {
        var index = 0
        for byte in string.utf8 {
            if bytes[index] != byte { return false }
            index += 1
        }
        return true
    }

    private static func isASCII(_ string: String) -> Bool { string.utf8.allSatisfy { $0 < 0x80 } }

    private static func isASCII(_ bytes: Span<UInt8>) -> Bool {
        for index in bytes.indices where bytes[index] >= 0x80 { return false }
        return true
    }
}
