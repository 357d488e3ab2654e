import JSON

/// An error answer from the server (or the in-process dispatcher): `{"ok":false,"error":{…}}`.
/// `spool` prints it as `code: message` and exits with 1.
struct ServerError: Error, CustomStringConvertible {
    let code: String
    let message: String
    /// The error object's other members (e.g. `actual_version`).
    let details: JSONObject

    var description: String { "\(code): \(message)" }

    /// Returns `response` when it is `ok`; throws its error otherwise (or `bad_response` for
    /// an answer that is neither).
    static func check(_ response: JSONValue) throws(ServerError) -> JSONValue {
        if response["ok"] == .bool(true) { return response }
        guard let error = response["error"]?.objectValue else {
            throw ServerError(code: "bad_response", message: "unexpected answer: \(response.jsonString.prefix(200))", details: [:])
        }
        var details = error
        details["code"] = JSONValue?.none
        details["message"] = JSONValue?.none
        throw ServerError(
            code: error["code"]?.stringValue ?? "unknown", message: error["message"]?.stringValue ?? "(no message)", details: details)
    }
}
