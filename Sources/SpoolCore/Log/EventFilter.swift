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
    /// (a scan then copies only the records it keeps). ASCII is compared byte for byte, which
    /// is what `String` comparison gives for it, but for a prefix ending in CR (a CR LF pair
    /// is one character); anything else is compared as `String`s.
    func matches(type: Span<UInt8>, stream: Span<UInt8>) -> Bool {
        if isAll { return true }
        if !types.isEmpty && !types.contains(where: { Self.text(type, equals: $0) }) { return false }
        guard let prefix = streamPrefix, !prefix.isEmpty else { return true }
        guard Self.isASCII(stream), Self.isASCII(prefix), prefix.utf8.last != 0x0D else {
            return String(decoding: Array(copying: stream), as: UTF8.self).hasPrefix(prefix)
        }
        return prefix.utf8.count <= stream.count && Self.bytes(stream, startWith: prefix)
    }

    private static func text(_ bytes: Span<UInt8>, equals string: String) -> Bool {
        guard isASCII(bytes), isASCII(string) else { return String(decoding: Array(copying: bytes), as: UTF8.self) == string }
        return string.utf8.count == bytes.count && Self.bytes(bytes, startWith: string)
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
