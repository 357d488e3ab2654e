import Crypto
import LMDB
import XCTest

/// libcrypto's SHA-256 as Spool calls it, against the standard's vectors and swift-crypto.
final class SHA256HasherTests: XCTestCase {
    private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// FIPS 180-2's examples: the empty message, "abc" and the two-block message.
    func testTheStandardsVectors() {
        XCTAssertEqual(hex(SHA256Hasher.hash([])), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(hex(SHA256Hasher.hash(Array("abc".utf8))), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            hex(SHA256Hasher.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// Any message cut into any pieces gives swift-crypto's digest, as bytes and as words; the
    /// pieces go in as slices and as ranges of the message, in turn.
    func testPiecesOfRandomMessagesMatchSwiftCrypto() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let message = (0..<Int.random(in: 0...700, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var cuts = (0..<Int.random(in: 0...4, using: &generator)).map { _ in Int.random(in: 0...message.count, using: &generator) }
            cuts = [0] + cuts.sorted() + [message.count]
            var hasher = SHA256Hasher()
            for (index, (start, end)) in zip(cuts, cuts.dropFirst()).enumerated() {
                if index.isMultiple(of: 2) { hasher.update(message[start..<end]) } else { hasher.update(message, in: start..<end) }
            }
            var copy = hasher  // the state is a value: the copy finishes on its own
            let words = copy.finalizeWords()
            let expected = Array(Crypto.SHA256.hash(data: message))
            XCTAssertEqual(hasher.finalize(), expected, "\(message.count) bytes cut at \(cuts)")
            let wordBytes = (0..<4).flatMap { index in
                (0..<8).map { UInt8(truncatingIfNeeded: words[index] >> (56 - 8 * UInt64($0))) }
            }
            XCTAssertEqual(wordBytes, expected, "as words")
        }
    }
}
