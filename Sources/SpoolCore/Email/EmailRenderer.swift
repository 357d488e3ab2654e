import Foundation
import JSON
import LMDB

/// An email a rule produced for one event, ready to append as `EmailGenerated`.
public struct RenderedEmail: Sendable, Equatable {
    /// Derived from (source event id, template): a redelivery renders the same id, and the
    /// idempotent append turns the second append into a no-op.
    public var emailID: UUID
    public var rule: String
    public var template: String
    public var category: EmailRule.Category
    public var to: String
    public var subject: String
    public var text: String
    public var html: String?

    /// The `EmailGenerated` data.
    public func data(userID: String) -> JSONValue {
        var object: JSONObject = [
            "email_id": .string(emailID.lowercasedString), "user_id": .string(userID), "template": .string(template),
            "category": .string(category.rawValue), "to": .string(to), "subject": .string(subject), "text": .string(text),
        ]
        if let html { object["html"] = .string(html) }
        return .object(object)
    }
}

/// Why an event could not be turned into its emails (the projector nacks it with this text).
public struct RenderFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
}

extension EmailCatalog {
    /// The emails `event` triggers for `user` as of that event. Deleted users get none;
    /// users who opted out get no `marketing` email. Throws `RenderFailure` when the user has
    /// no address or a rule's required field is missing.
    public func render(_ event: DecodedEvent, user: UserView) throws(RenderFailure) -> [RenderedEmail] {
        guard !user.deleted else { return [] }
        let triggered = rules.filter { $0.matches(event, user: user) && ($0.category == .transactional || user.marketing) }
        guard !triggered.isEmpty else { return [] }
        guard let to = user.email else { throw RenderFailure(description: "user \(user.userID) has no email address") }
        let context = Self.context(event, user: user)
        return try triggered.map { rule throws(RenderFailure) in
            for path in rule.requires where Self.lookup(path, in: context) == nil {
                throw RenderFailure(description: "template \(rule.template) needs \(path), which user \(user.userID) does not have")
            }
            guard let template = templates[rule.template] else {
                throw RenderFailure(description: "no template named \(rule.template)")
            }
            return RenderedEmail(
                emailID: Self.emailID(source: event.event.id, template: rule.template), rule: rule.name, template: rule.template,
                category: rule.category, to: to,
                subject: template.subject.render(context).trimmingCharacters(in: .whitespacesAndNewlines),
                text: template.text.render(context), html: template.html?.render(context))
        }
    }

    static func emailID(source: UUID, template: String) -> UUID {
        var hasher = SHA256Hasher()
        hasher.update(source.bytes)
        hasher.update(Array(template.utf8))
        var bytes = Array(hasher.finalize().prefix(16))
        bytes[6] = 0x80 | (bytes[6] & 0x0F)  // version 8: custom, name-based
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        return UUID(bytes: bytes)
    }

    /// What templates see: `user` (the view as of the event), `event` and `segment`.
    static func context(_ event: DecodedEvent, user: UserView) -> [String: Any] {
        var context: [String: Any] = [
            "user": plain(user.json) ?? [:],
            "event": [
                "type": event.event.type, "seq": Int(event.event.seq), "time": event.event.time.rfc3339,
                "data": plain(.object(event.data)) ?? [:],
            ] as [String: Any],
        ]
        if let segment = event.data["segment"]?.stringValue { context["segment"] = segment }
        return context
    }

    /// JSON as the plain Swift values Mustache renders (null becomes absent).
    static func plain(_ value: JSONValue) -> Any? {
        switch value {
        case .null: nil
        case .bool(let b): b
        case .int(let i): Int(i)
        case .double(let d): d
        case .string(let s): s
        case .array(let a): a.compactMap(plain)
        case .object(let o):
            Dictionary(o.members.compactMap { member in plain(member.value).map { (member.key, $0) } }, uniquingKeysWith: { a, _ in a })
        }
    }

    private static func lookup(_ path: String, in context: [String: Any]) -> Any? {
        var current: Any? = context
        for part in path.split(separator: ".") { current = (current as? [String: Any])?[String(part)] }
        if let text = current as? String, text.isEmpty { return nil }
        return current
    }
}
