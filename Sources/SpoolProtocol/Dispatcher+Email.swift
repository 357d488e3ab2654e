import JSON
import SpoolCore

extension Dispatcher {
    static let emailOperations: [Operation] = [
        Operation(
            "email_preview", "renders the emails an event would generate for a user, appending nothing: user_id, type, data",
            access: .role(.read)
        ) {
            dispatcher, request, writer in try await dispatcher.emailPreview(&request, &writer)
        }
    ]

    /// `email_preview` → `emails` [{email_id, rule, template, category, to, subject, text, html}].
    func emailPreview(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let userID = try request.fields.userID()
        let type = try request.fields.string("type")
        let data = try request.fields.optionalRawObject("data") ?? [:]
        try request.fields.finish()
        guard let projector = engine.emails else { throw SpoolError.badRequest("the email projector is not running on this server") }
        let emails = try await blocking { try projector.preview(userID: userID, type: type, data: data) }
        writer.key("emails")
        writer.write(
            .array(
                emails.map { email in
                    guard case .object(var object) = email.data(userID: userID) else { return .null }
                    object["rule"] = .string(email.rule)
                    return .object(object)
                }))
    }
}
