/// An object held as the text `JSONWriter` writes for it: a view row's attributes, patched by
/// profile updates and written into the row as they are, without a tree of values between.
///
/// Guarantees: `bytes` is always one object as `JSONWriter` writes it, so two texts are equal
/// exactly when the objects are (keys in order, as `JSONObject`'s `==`), and `apply(patch:)`
/// leaves the text `JSONObject.apply(patch:)` would.
/// Design: where each member lies is kept beside the text, and a patch writes the new text into
/// a second buffer kept for it, so a patch of a held row scans only the patch and allocates
/// nothing once the buffers have grown.
public struct JSONObjectText: Sendable {
    public private(set) var bytes: [UInt8]
    /// Where each member of `bytes` lies.
    private var members: [JSONText.Member]
    /// Room for the next `apply`: the text it writes, the index it builds, the patch's members
    /// and which of them it applied.
    private var spare = Spare()

    private struct Spare: Sendable {
        var bytes: [UInt8] = []
        var members: [JSONText.Member] = []
        var changes: [JSONText.Member] = []
        var applied: [Bool] = []
    }

    /// `{}`.
    public init() {
        bytes = [0x7B, 0x7D]
        members = []
    }

    public init(_ object: JSONObject) {
        var writer = JSONWriter()
        writer.writeObject(object)
        self.init(writer.bytes)
    }

    /// The object `text` holds; `{}` when it holds something else.
    public init(_ text: JSONText) {
        self.init(text.kind(of: text.range) == 0x7B ? Array(text.bytes[text.range]) : [0x7B, 0x7D])
    }

    private init(_ bytes: [UInt8]) {
        self.bytes = bytes
        members = Array(JSONText(written: bytes, in: bytes.indices).members)
    }

    public var object: JSONObject { (try? JSONParser.parse(bytes))?.objectValue ?? [:] }

    /// Applies `patch`, an object's text, as `JSONObject.apply(patch:)` does: each member sets
    /// its key in place (a new key goes at the end, in the patch's order) and a `null` member
    /// removes it. Each key is looked for first after the last one found (a patch names its
    /// keys in the object's order as a rule); past 64 comparisons, through an index of the
    /// patch's keys.
    /// Returns where the patch ends: `patch` may run on past it (the rest of a record's data).
    @discardableResult
    public mutating func apply(patch: JSONText) -> Int {
        if isRepeated(by: patch) { return patch.range.lowerBound + bytes.count }
        var changes = Self.emptied(&spare.changes)
        var reading = patch.members
        while let change = reading.next() { changes.append(change) }
        defer { spare.changes = changes }
        guard !changes.isEmpty else { return reading.position }
        if replacesEveryMember(with: changes, of: patch) {
            replaceAll(with: changes, of: patch, ending: reading.position)
            return reading.position
        }
        let index: [ArraySlice<UInt8>: Int]? =
            members.count * changes.count > 64
            ? Dictionary(changes.indices.map { (patch.bytes[changes[$0].key], $0) }, uniquingKeysWith: { a, _ in a }) : nil
        var applied = Self.emptied(&spare.applied)
        applied.append(contentsOf: repeatElement(false, count: changes.count))
        var result = Self.emptied(&spare.bytes)
        var resultMembers = Self.emptied(&spare.members)
        result.reserveCapacity(bytes.count + patch.range.count)
        result.append(0x7B)
        // Members that lie one after another in their text are copied as one run, with the
        // commas between them: unchanged members of the object, or the patch's new values.
        var run: (fromPatch: Bool, start: Int, end: Int, at: Int)? = nil
        func flush() {
            guard let (fromPatch, start, end, _) = run else { return }
            if result.count > 1 { result.append(0x2C) }
            result.append(contentsOf: fromPatch ? patch.bytes[start..<end] : bytes[start..<end])
            run = nil
        }
        func add(_ member: JSONText.Member, fromPatch: Bool) {
            let start = member.key.lowerBound - 1  // "key":value
            if let current = run, current.fromPatch == fromPatch, current.end + 1 == start {
                run?.end = member.value.upperBound
            } else {
                flush()
                run = (fromPatch, start, member.value.upperBound, result.count + (result.count > 1 ? 1 : 0))
            }
            resultMembers.append(member.shifted(by: (run?.at ?? 0) - (run?.start ?? 0)))
        }
        var next = 0
        for member in members {
            guard let change = index.map({ $0[bytes[member.key]] }) ?? find(member.key, in: changes, of: patch, from: next) else {
                add(member, fromPatch: false)
                continue
            }
            applied[change] = true
            next = change + 1
            if patch.kind(of: changes[change].value) != 0x6E { add(changes[change], fromPatch: true) }  // null: removed
        }
        for change in changes.indices where !applied[change] && patch.kind(of: changes[change].value) != 0x6E {
            add(changes[change], fromPatch: true)
        }
        flush()
        result.append(0x7D)
        adopt(&result, &resultMembers)
        spare.applied = applied
        return reading.position
    }

    /// Whether `changes` (members of `patch`) name every member's key, in the same order, none
    /// with `null`: then the patched object is the patch itself, as the usual update of a
    /// whole set of attributes sends it.
    private func replacesEveryMember(with changes: [JSONText.Member], of patch: JSONText) -> Bool {
        guard changes.count == members.count else { return false }
        let (span, patchSpan) = (bytes.span, patch.bytes.span)
        for (member, change) in zip(members, changes) {
            guard span.bytes(member.key, equal: patchSpan, change.key), patch.kind(of: change.value) != 0x6E else { return false }
        }
        return true
    }

    /// Becomes `patch`'s object, which ends at `end` and whose members are `changes`.
    private mutating func replaceAll(with changes: [JSONText.Member], of patch: JSONText, ending end: Int) {
        let start = patch.range.lowerBound
        var result = Self.emptied(&spare.bytes)
        result.append(span: patch.bytes.span.extracting(start..<end))
        var resultMembers = Self.emptied(&spare.members)
        for change in changes { resultMembers.append(change.shifted(by: -start)) }
        adopt(&result, &resultMembers)
    }

    /// Makes `result` the text and `resultMembers` its index; the old ones' buffers are kept as
    /// the spares the next patch fills.
    private mutating func adopt(_ result: inout [UInt8], _ resultMembers: inout [JSONText.Member]) {
        swap(&bytes, &result)
        swap(&members, &resultMembers)
        spare.bytes = result
        spare.members = resultMembers
    }

    /// Whether `patch` is this object's own text, none of its members `null`: a patch that
    /// changes nothing, as a profile update that sends every attribute again does. (A text that
    /// starts with a whole object's text is that object: an object ends where its braces close.)
    private func isRepeated(by patch: JSONText) -> Bool {
        patch.range.count >= bytes.count
            && patch.bytes.span.bytes(patch.range.lowerBound..<patch.range.lowerBound + bytes.count, equal: bytes.span, bytes.indices)
            && !members.contains { bytes[$0.value.lowerBound] == 0x6E }
    }

    /// `buffer`, emptied, leaving an empty one in its place (so that it is not shared while it
    /// is filled).
    private static func emptied<Element>(_ buffer: inout [Element]) -> [Element] {
        var taken: [Element] = []
        swap(&taken, &buffer)
        taken.removeAll(keepingCapacity: true)
        return taken
    }

    /// The position in `changes` (members of `patch`) of the member named as `key` of `bytes`,
    /// looked for from `start` on first.
    private func find(_ key: Range<Int>, in changes: [JSONText.Member], of patch: JSONText, from start: Int) -> Int? {
        let (span, patchSpan) = (bytes.span, patch.bytes.span)
        for change in start..<changes.count where span.bytes(key, equal: patchSpan, changes[change].key) { return change }
        for change in 0..<min(start, changes.count) where span.bytes(key, equal: patchSpan, changes[change].key) { return change }
        return nil
    }
}

extension JSONObjectText: Equatable {
    public static func == (a: JSONObjectText, b: JSONObjectText) -> Bool { a.bytes == b.bytes }
}
