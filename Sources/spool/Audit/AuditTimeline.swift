import JSON

/// The readable audit: one row per event (seq, time, type, actor, what changed), oldest
/// first, built from the `audit` answer's events.
///
/// What changed is a diff of the profile (`ProfileState`) for user events, and a summary
/// for email events; each user event also lists the emails it caused (the EmailGenerated
/// events whose `metadata.causation_id` is its id), and each email event names its cause.
struct AuditTimeline {
    let userID: String
    let events: [JSONValue]
    /// The profile just before the first event (empty when the audit starts at creation).
    var initial = ProfileState()

    init(userID: String, events: [JSONValue], initial: ProfileState = ProfileState()) {
        self.userID = userID
        self.events = events
        self.initial = initial
    }

    /// The rendered table; a line saying so when there are no events.
    func render() -> String {
        let seqByID = Dictionary(events.compactMap { e in e["id"]?.stringValue.map { ($0, e["seq"]?.uint64Value ?? 0) } }) { a, _ in a }
        var caused: [String: [String]] = [:]
        var templates: [String: String] = [:]
        for event in events where event["type"]?.stringValue == "EmailGenerated" {
            let data = event["data"] ?? .null
            let template = data["template"]?.stringValue ?? "?"
            if let emailID = data["email_id"]?.stringValue { templates[emailID] = template }
            if let cause = event["metadata"]?["causation_id"]?.stringValue {
                caused[cause, default: []].append("→ email \(template) (seq \(event["seq"]?.uint64Value ?? 0))")
            }
        }
        var profile = initial
        var table = Table(["SEQ", "TIME", "TYPE", "ACTOR", "WHAT CHANGED"])
        for event in events {
            let type = event["type"]?.stringValue ?? "?"
            let data = event["data"]?.objectValue ?? [:]
            var lines: [String]
            if event["stream"]?.stringValue == "user-\(userID)" {
                lines = profile.apply(type: type, data: data)
            } else {
                lines = emailLines(type: type, data: data, templates: templates)
                if type == "EmailGenerated", let cause = event["metadata"]?["causation_id"]?.stringValue {
                    lines.append(seqByID[cause].map { "caused by seq \($0)" } ?? "caused by event \(cause)")
                }
            }
            if let id = event["id"]?.stringValue { lines += caused[id] ?? [] }
            table.append([
                KeyValueList.text(event["seq"] ?? .null), KeyValueList.text(event["time"] ?? .null), type,
                KeyValueList.text(event["metadata"]?["actor"] ?? .null), lines.isEmpty ? "-" : lines.joined(separator: "\n"),
            ])
        }
        let rendered = table.render()
        return rendered.isEmpty ? "no events for \(userID) in this range\n" : rendered
    }

    /// What an email event says: `email welcome to ada@example.com: "Welcome, Ada"`,
    /// `sent welcome`, `bounced welcome: mailbox full`, `clicked welcome: https://…`.
    private func emailLines(type: String, data: JSONObject, templates: [String: String]) -> [String] {
        let emailID = data["email_id"]?.stringValue ?? "?"
        let name = templates[emailID] ?? "email \(emailID)"
        switch type {
        case "EmailGenerated":
            let to = data["to"]?.stringValue ?? "?"
            let category = data["category"]?.stringValue.map { " (\($0))" } ?? ""
            return ["email \(data["template"]?.stringValue ?? "?")\(category) to \(to): \(data["subject"]?.jsonString ?? "")"]
        case "EmailSent": return ["sent \(name)" + (data["provider_id"]?.stringValue.map { " (provider id \($0))" } ?? "")]
        case "EmailBounced": return ["bounced \(name)" + (data["reason"]?.stringValue.map { ": \($0)" } ?? "")]
        case "EmailOpened": return ["opened \(name)"]
        case "EmailClicked": return ["clicked \(name)" + (data["url"]?.stringValue.map { ": \($0)" } ?? "")]
        default: return []
        }
    }
}
