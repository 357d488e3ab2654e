/// Stream names: `<category>-<id>`, such as `user-42` or `email-42`.
///
/// A name is 3 to 256 bytes of UTF-8 with no control characters, no spaces and a `-` that has
/// text on both sides; the `streams` index uses a 0x00 byte to end the name inside its keys.
public enum StreamName {
    public static let maxLength = 256

    /// Nil when `name` is acceptable, else the reason it is not.
    /// Reads the bytes through the string's span: iterating a short string's `utf8` view
    /// decodes it byte by byte.
    public static func problem(with name: String) -> String? {
        let bytes = name.utf8.span
        guard !bytes.isEmpty else { return "stream name is empty" }
        guard bytes.count <= maxLength else { return "stream name is longer than \(maxLength) bytes" }
        var dash: Int? = nil
        for index in bytes.indices {
            let byte = bytes[index]
            if byte <= 0x20 || byte == 0x7F { return "stream name contains a space or control character" }
            if byte == UInt8(ascii: "-"), dash == nil { dash = index }
        }
        guard let dash, dash != 0, dash != bytes.count - 1 else {
            return "stream name must look like <category>-<id>, e.g. user-42"
        }
        return nil
    }

    /// The category: the text before the first `-`.
    public static func category(of name: String) -> Substring {
        name.prefix { $0 != "-" }
    }
}
