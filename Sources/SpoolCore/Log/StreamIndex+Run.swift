import JSON
import LMDB

extension StreamIndex {
    /// The events of one index entry: versions `firstVersion ... lastVersion` of a stream, at
    /// seqs that grow with the version.
    ///
    /// Values: `first seq` (u64 BE) for one event; `first seq ‖ count` (u64 BE each) for
    /// consecutive seqs; `first seq ‖ count ‖ gaps` for seqs that are not, where each later
    /// seq's distance from the one before (at least 1) is an unsigned LEB128 number (format 5).
    struct Run {
        let firstVersion: UInt64
        let firstSeq: UInt64
        let count: UInt64
        /// The seqs of the run's second and later versions; empty when they follow `firstSeq`
        /// one by one.
        private let laterSeqs: [UInt64]

        /// The run of the entry at `firstVersion` with `value`; nil when the value is malformed
        /// (also when the version after its last one or any of its seqs would not fit in 64
        /// bits: a damaged entry must not make the next append's version overflow).
        init?(firstVersion: UInt64, value: [UInt8]) {
            guard firstVersion > 0, let seq = BigEndian.uint64(value, at: 0) else { return nil }
            let count = value.count == 8 ? 1 : BigEndian.uint64(value, at: 8) ?? 0
            guard count > 0, !firstVersion.addingReportingOverflow(count).overflow, !seq.addingReportingOverflow(count - 1).overflow
            else { return nil }
            self.firstVersion = firstVersion
            firstSeq = seq
            self.count = count
            switch value.count {
            case 8: laterSeqs = []
            case 16 where count > 1: laterSeqs = []
            case 17...:
                guard let seqs = Self.seqs(after: seq, count: count - 1, gaps: value[16...]) else { return nil }
                laterSeqs = seqs
            default: return nil
            }
        }

        var lastVersion: UInt64 { firstVersion + (count - 1) }
        var lastSeq: UInt64 { laterSeqs.last ?? firstSeq + (count - 1) }

        /// The seq of `version`, nil when the run does not hold it.
        func seq(ofVersion version: UInt64) -> UInt64? {
            guard version >= firstVersion && version <= lastVersion else { return nil }
            let offset = version - firstVersion
            if offset == 0 || laterSeqs.isEmpty { return firstSeq + offset }
            return laterSeqs[Int(offset) - 1]
        }

        /// The `count` seqs that `gaps` (LEB128 distances, each at least 1) lead to from
        /// `seq`; nil unless `gaps` holds exactly that many that fit in 64 bits.
        private static func seqs(after seq: UInt64, count: UInt64, gaps: ArraySlice<UInt8>) -> [UInt64]? {
            guard count <= UInt64(gaps.count) else { return nil }
            var seqs: [UInt64] = []
            seqs.reserveCapacity(Int(count))
            var last = seq
            var gap: UInt64 = 0
            var shift: UInt64 = 0
            for byte in gaps {
                guard shift < 63 || (shift == 63 && byte <= 1) else { return nil }
                gap |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 != 0 {
                    shift += 7
                    continue
                }
                let (next, overflow) = last.addingReportingOverflow(gap)
                guard gap > 0, !overflow else { return nil }
                seqs.append(next)
                last = next
                gap = 0
                shift = 0
            }
            return shift == 0 && UInt64(seqs.count) == count ? seqs : nil
        }

        /// A stream's entry as the writer builds it through one commit: the events of each of
        /// the commit's appends to the stream, in order (`add`), then `value`.
        struct Builder {
            let firstVersion: UInt64
            private let firstSeq: UInt64
            private var count: UInt64
            private var lastSeq: UInt64
            /// The LEB128 gaps once the seqs are no longer consecutive; empty until then.
            private var gaps: [UInt8] = []

            /// The most gap bytes an entry takes: with its key it stays well inside LMDB's
            /// largest node on a 4 KiB page (~2 KB), beyond which values move to pages of their own.
            static let maxGapBytes = 1024

            /// An entry for `count` events from version `firstVersion` and seq `firstSeq`.
            init(firstVersion: UInt64, firstSeq: UInt64, count: Int) {
                self.firstVersion = firstVersion
                self.firstSeq = firstSeq
                self.count = UInt64(count)
                lastSeq = firstSeq + UInt64(count - 1)
            }

            /// The entry's last version: its stream's head once the entry is put.
            var lastVersion: UInt64 { firstVersion + (count - 1) }

            /// Adds the next `count` versions, at consecutive seqs from `firstSeq` (past the
            /// entry's last); false, adding nothing, when the gaps would outgrow `maxGapBytes`.
            mutating func add(firstSeq seq: UInt64, count added: Int) -> Bool {
                let later = UInt64(added - 1)
                if gaps.isEmpty && seq == lastSeq + 1 {
                    count += UInt64(added)
                    lastSeq += UInt64(added)
                    return true
                }
                let ones = gaps.isEmpty ? Int(count - 1) : 0  // the consecutive seqs so far, as gaps of 1
                guard gaps.count + ones + Self.size(of: seq - lastSeq) + Int(later) <= Self.maxGapBytes else { return false }
                gaps.append(repeating: 1, count: ones)
                var gap = seq - lastSeq
                while gap >= 0x80 {
                    gaps.append(UInt8(truncatingIfNeeded: gap) | 0x80)
                    gap >>= 7
                }
                gaps.append(UInt8(gap))
                gaps.append(repeating: 1, count: Int(later))
                count += UInt64(added)
                lastSeq = seq + later
                return true
            }

            /// The entry's value, in the shortest of the three forms that holds it.
            var value: [UInt8] {
                var value: [UInt8] = []
                appendValue(to: &value)
                return value
            }

            /// Appends `value` to `bytes`.
            func appendValue(to bytes: inout [UInt8]) {
                BigEndian.append(firstSeq, to: &bytes)
                if count > 1 { BigEndian.append(count, to: &bytes) }
                bytes += gaps
            }

            /// The bytes of `gap` in LEB128.
            private static func size(of gap: UInt64) -> Int { max(1, (64 - gap.leadingZeroBitCount + 6) / 7) }
        }
    }
}
