import JSON

/// A client's profile as the audit folds it, event by event, to say what each one changed.
///
/// It follows the users-by-id view's rules: `UserCreated` starts the user afresh,
/// `UserProfileUpdated` changes only the fields it names (`null` removes one; `attributes`
/// merge key by key), segment events add and remove, `UserEmailPreferencesChanged` sets
/// `marketing`, `UserDeleted` sets `deleted` and leaves every segment.
struct ProfileState {
    /// The profile fields the audit compares, in the order it prints them.
    static let profileFields = ["email", "first_name", "last_name"]

    var exists = false
    var fields: [String: JSONValue] = [:]
    var attributes = JSONObject()
    var segments: [String] = []
    var marketing = true
    var deleted = false

    init() {}

    /// The state of a user `U` as `get_user` returns it (the audit's starting point when it
    /// does not begin at the user's creation).
    init(user: JSONObject) {
        exists = true
        for field in Self.profileFields { if let value = user[field], value != .null { fields[field] = value } }
        attributes = user["attributes"]?.objectValue ?? [:]
        segments = (user["segments"]?.arrayValue ?? []).compactMap(\.stringValue)
        marketing = user["marketing"]?.boolValue ?? true
        deleted = user["deleted"]?.boolValue ?? false
    }

    /// Folds one user event in and returns what it changed, one readable line each
    /// (`first_name: "Ada" → "Ava"`, `joined vip`); an event that changed nothing says so.
    mutating func apply(type: String, data: JSONObject) -> [String] {
        let before = self
        switch type {
        case "UserCreated":
            self = ProfileState()
            exists = true
            for field in Self.profileFields { if let value = data[field], value != .null { fields[field] = value } }
            attributes = data["attributes"]?.objectValue ?? [:]
            for segment in (data["segments"]?.arrayValue ?? []).compactMap(\.stringValue) where !segments.contains(segment) {
                segments.append(segment)
            }
            return before.exists ? orNoChange(before.changes(to: self)) : creationLines()
        case "UserProfileUpdated":
            for field in Self.profileFields {
                guard let value = data[field] else { continue }
                fields[field] = value == .null ? JSONValue?.none : value
            }
            if let patch = data["attributes"]?.objectValue { attributes.apply(patch: patch) }
            return orNoChange(before.changes(to: self))
        case "UserJoinedSegment":
            let segment = data["segment"]?.stringValue ?? "?"
            guard !segments.contains(segment) else { return ["joined \(segment) (already a member)"] }
            segments.append(segment)
            return ["joined \(segment)"]
        case "UserLeftSegment":
            let segment = data["segment"]?.stringValue ?? "?"
            guard segments.contains(segment) else { return ["left \(segment) (was not a member)"] }
            segments.removeAll { $0 == segment }
            return ["left \(segment)"]
        case "UserEmailPreferencesChanged":
            marketing = data["marketing"]?.boolValue ?? marketing
            let meaning = marketing ? "opted in to marketing email" : "opted out of marketing email"
            return before.marketing == marketing
                ? ["marketing: \(marketing) (unchanged)"] : ["marketing: \(before.marketing) → \(marketing) (\(meaning))"]
        case "UserDeleted":
            deleted = true
            let left = segments.map { "left \($0)" }
            segments = []
            return ["deleted" + (data["reason"]?.stringValue.map { " (reason: \($0))" } ?? "")] + left
        default:
            return []
        }
    }

    /// The lines of a user created from nothing: every field it set.
    private func creationLines() -> [String] {
        var lines = Self.profileFields.compactMap { field in fields[field].map { "\(field): \($0.jsonString)" } }
        lines += attributes.members.map { "attributes.\($0.key): \($0.value.jsonString)" }
        if !segments.isEmpty { lines.append("segments: \(segments.joined(separator: ", "))") }
        return lines
    }

    /// What differs from `self` to `other`, field by field.
    private func changes(to other: ProfileState) -> [String] {
        var lines: [String] = []
        func compare(_ name: String, _ old: JSONValue?, _ new: JSONValue?) {
            guard old != new else { return }
            lines.append("\(name): \(old?.jsonString ?? "(none)") → \(new?.jsonString ?? "(removed)")")
        }
        for field in Self.profileFields { compare(field, fields[field], other.fields[field]) }
        let keys = attributes.keys + other.attributes.keys.filter { attributes[$0] == nil }
        for key in keys { compare("attributes.\(key)", attributes[key], other.attributes[key]) }
        lines += other.segments.filter { !segments.contains($0) }.map { "joined \($0)" }
        lines += segments.filter { !other.segments.contains($0) }.map { "left \($0)" }
        if marketing != other.marketing { lines.append("marketing: \(marketing) → \(other.marketing)") }
        if deleted != other.deleted { lines.append("deleted: \(deleted) → \(other.deleted)") }
        return lines
    }

    private func orNoChange(_ lines: [String]) -> [String] { lines.isEmpty ? ["(no change)"] : lines }
}
