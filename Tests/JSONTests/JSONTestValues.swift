import JSON

/// Random JSON values for property tests: every kind, strings from every plane (control
/// characters, quotes, combining marks, astral scalars), finite doubles of any bit pattern.
enum JSONTestValues {
    static func randomValue(_ random: inout SplitMix64, depth: Int) -> JSONValue {
        switch random.next(below: depth >= 5 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(random.next(below: 2) == 0)
        case 2: return .int(Int64(bitPattern: random.next() >> random.next(below: 64)))
        case 3:
            let double = Double(bitPattern: random.next())
            return .double(double.isFinite ? double : Double(random.next(below: 1000)) / 8)
        case 4, 5: return .string(randomString(&random))
        case 6: return .array((0..<random.next(below: 5)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            let members = (0..<random.next(below: 5)).map { i in
                JSONMember("k\(i)_" + randomString(&random), randomValue(&random, depth: depth + 1))
            }
            return .object(JSONObject(members))
        }
    }

    static func randomString(_ random: inout SplitMix64) -> String {
        let ranges: [ClosedRange<UInt32>] = [
            0...0x7F, 0x20...0x7E, 0xA0...0x2FF, 0x300...0x36F, 0x4E00...0x9FFF, 0x1F600...0x1F64F, 0xFFF0...0x10FFFF,
        ]
        var string = ""
        for _ in 0..<random.next(below: 12) {
            let range = ranges[random.next(below: ranges.count)]
            let value = range.lowerBound + UInt32(random.next(below: Int(range.upperBound - range.lowerBound + 1)))
            if let scalar = Unicode.Scalar(value) { string.unicodeScalars.append(scalar) }
        }
        return string
    }
}
