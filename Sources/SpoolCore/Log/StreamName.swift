/// Stream names: `<category>-<id>`, such as `user-42` or `email-42`.
///
/// A name is 3 to 256 bytes of UTF-8 with no control characters, no spaces and a `-` that has
/// text on both sides; the `streams` index uses a 0x00 byte to end the name inside its keys.
public enum StreamName {
    public static let maxLength = 256

    /// Nil when `name` is acceptable, else the reason it is not.
    public static func problem(with name: String) -> String? {
        let bytes = name.utf8
        guard !bytes.isEmpty else { return "stream name is empty" }
        guard bytes.count <= maxLength else { return "stream name is longer than \(maxLength) bytes" }
        guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            return "stream name contains a space or control character"
        }
        guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")), dash != bytes.startIndex, bytes.index(after: dash) != bytes.endIndex
        else {
            return "stream name must look like <category>-<id>, e.g. user-42"
        }
        return nil
    }

    /// The category: the text before the first `-`.
    public static func category(of name: String) -> Substring {
        name.prefix { $0 != "-" }
    }
}
