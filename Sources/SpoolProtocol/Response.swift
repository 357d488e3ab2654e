import JSON
import SpoolCore

/// The two shapes of a response line, written straight into bytes:
/// `{"id":…,"ok":true,…}` and `{"id":…,"ok":false,"error":{"code":…,"message":…,…}}`.
/// `id` is left out when the request had none (or could not be read). Lines end in `\n`.
public enum Response {
    /// Starts a success: `{"id":…,"ok":true` — the op writes its members, then `finish`.
    public static func beginSuccess(id: JSONValue?) -> JSONWriter {
        var writer = JSONWriter(reserveCapacity: 256)
        beginSuccess(id: id, in: &writer)
        return writer
    }

    /// Starts a success where `writer` is (a fresh line): `{"id":…,"ok":true`.
    static func beginSuccess(id: JSONValue?, in writer: inout JSONWriter) {
        writer.beginObject()
        if let id {
            writer.key(idKey)
            writer.write(id)
        }
        writer.key(okKey)
        writer.writeBool(true)
    }

    /// Encoded once: every response starts with them.
    private static let idKey = JSONWriter.Key("id")
    private static let okKey = JSONWriter.Key("ok")

    /// Closes the object and returns the line with its `\n`.
    public static func finish(_ writer: inout JSONWriter) -> [UInt8] {
        end(&writer)
        return writer.bytes
    }

    /// Closes the object and ends the line.
    static func end(_ writer: inout JSONWriter) {
        writer.endObject()
        writer.bytes.append(0x0A)
    }

    /// The error line for `error`. The details' members are written inside `error`, after
    /// `code` and `message` (a detail named `code` or `message` is dropped).
    /// The caller has already replaced an internal error's text (see `Dispatcher`).
    public static func failure(id: JSONValue?, _ error: SpoolError) -> [UInt8] {
        var writer = JSONWriter(reserveCapacity: 128)
        writer.beginObject()
        if let id {
            writer.key("id")
            writer.write(id)
        }
        writer.key("ok")
        writer.writeBool(false)
        writer.key("error")
        writer.beginObject()
        writer.key("code")
        writer.writeString(error.code.rawValue)
        writer.key("message")
        writer.writeString(error.message)
        for member in error.details?.members ?? [] where member.key != "code" && member.key != "message" {
            writer.key(member.key)
            writer.write(member.value)
        }
        writer.endObject()
        return finish(&writer)
    }
}
