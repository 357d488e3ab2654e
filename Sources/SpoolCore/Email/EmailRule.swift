import JSON

/// One trigger of the email projector: an event type, an optional condition, the template
/// it renders and the category that decides whether opted-out users get it.
///
/// Rules file (schema: `schemas/email-rules.json`):
/// ```
/// {"rules": [{"name": "welcome", "on": "UserCreated", "template": "welcome", "category": "transactional",
///             "when": {"segment": "vip", "changed": "attributes.style", "data": {"marketing": true},
///                      "user_in_segment": "vip", "first_event": true}}]}
/// ```
/// Every condition given must hold: `segment` (the event's segment), `changed` (a field the
/// event's data sets, dotted for attributes), `data` (fields equal), `user_in_segment` (the user
/// as of the event), `first_event` (the stream's first event).
public struct EmailRule: Sendable, Equatable {
    public enum Category: String, Sendable { case transactional, marketing }

    public var name: String
    public var on: EventType
    public var template: String
    public var category: Category
    public var segment: String?
    public private(set) var changed: String?
    /// `changed` split at its dots, once (split on every event, it was 5% of the projector's time).
    private var changedPath: [String]?
    public var data: JSONObject?
    public var userInSegment: String?
    public var firstEvent: Bool?
    /// Fields (dotted paths into the render context, e.g. `user.first_name`) the template
    /// cannot do without: a missing one fails the event instead of sending a hollow email.
    public var requires: [String]

    /// Whether `event` about `user` (as of that event) triggers this rule.
    func matches(_ event: DecodedEvent, user: UserView) -> Bool {
        guard event.type == on else { return false }
        if let segment, event.data["segment"]?.stringValue != segment { return false }
        if let changedPath {
            var value: JSONValue? = .object(event.data)
            for part in changedPath { value = value?[part] }
            if value == nil { return false }
        }
        if let data, !data.members.allSatisfy({ event.data[$0.key] == $0.value }) { return false }
        if let userInSegment, !user.segments.contains(userInSegment) { return false }
        if let firstEvent, (event.version == 1) != firstEvent { return false }
        return true
    }

    private static func path(_ dotted: String) -> [String] { dotted.split(separator: ".").map(String.init) }

    /// Reads one rule; throws a sentence naming the field.
    init(json: JSONValue, index: Int) throws(SpoolError) {
        func field(_ key: String) -> String { "rules[\(index)].\(key)" }
        guard let object = json.objectValue else { throw .badRequest("rules[\(index)]: expected an object") }
        guard let name = object["name"]?.stringValue, !name.isEmpty else {
            throw .badRequest("\(field("name")): a non-empty string is required")
        }
        guard let onName = object["on"]?.stringValue, let on = EventType(rawValue: onName), on.isUserEvent else {
            throw .badRequest("\(field("on")): one of the User… event types is required")
        }
        guard let template = object["template"]?.stringValue, !template.isEmpty else {
            throw .badRequest("\(field("template")): a template name is required")
        }
        guard let category = object["category"]?.stringValue.flatMap(Category.init(rawValue:)) else {
            throw .badRequest("\(field("category")): 'transactional' or 'marketing' is required")
        }
        let when = object["when"]?.objectValue ?? [:]
        for key in when.keys where !["segment", "changed", "data", "user_in_segment", "first_event"].contains(key) {
            throw .badRequest("\(field("when")).\(key): unknown condition")
        }
        self.name = name
        self.on = on
        self.template = template
        self.category = category
        segment = when["segment"]?.stringValue
        changed = when["changed"]?.stringValue
        changedPath = changed.map(Self.path)
        data = when["data"]?.objectValue
        userInSegment = when["user_in_segment"]?.stringValue
        firstEvent = when["first_event"]?.boolValue
        requires = (object["requires"]?.arrayValue ?? []).compactMap(\.stringValue)
    }
}
