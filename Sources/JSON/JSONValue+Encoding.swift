extension JSONValue {
    /// The canonical compact encoding (see `JSONWriter`): what `JSONParser` reads back as an
    /// equal value, keys in order.
    public var jsonBytes: [UInt8] {
        var writer = JSONWriter(reserveCapacity: 256)  // skips the small regrowths; trimmed never
        writer.write(self)
        return writer.bytes
    }

    /// `jsonBytes` as a `String`.
    public var jsonString: String { String(decoding: jsonBytes, as: UTF8.self) }
}
