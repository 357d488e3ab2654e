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

    public func matches(_ event: StoredEvent) -> Bool {
        isAll || matches(type: String(decoding: event.type, as: UTF8.self), stream: String(decoding: event.stream, as: UTF8.self))
    }
}
