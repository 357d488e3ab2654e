/// `bytes` edited at random, for property tests: `edits` times (a count drawn from the range),
/// one byte removed, inserted or replaced, the new ones drawn from `alphabet`.
public func randomlyEdited(
    _ bytes: [UInt8], edits: ClosedRange<Int>, alphabet: [UInt8], using random: inout some RandomNumberGenerator
) -> [UInt8] {
    var bytes = bytes
    for _ in 0..<Int.random(in: edits, using: &random) where !bytes.isEmpty {
        let at = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: bytes.remove(at: at)
        case 1: bytes.insert(alphabet.randomElement(using: &random) ?? 0x20, at: at)
        default: bytes[at] = alphabet.randomElement(using: &random) ?? 0x20
        }
    }
    return bytes
}
