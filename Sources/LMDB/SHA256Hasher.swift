import CLibCrypto

/// SHA-256 through OpenSSL's libcrypto, its state held by value: a hash allocates nothing and
/// takes the CPU's SHA instructions where there are some. swift-crypto's `SHA256` gives the same
/// digests but allocated and cleared a context per hash, which cost a record's seal three to
/// four times its hashing. It lives here because this is the module that touches pointers.
public struct SHA256Hasher {
    private var context = SHA256_CTX()

    public init() { SHA256_Init(&context) }

    public mutating func update(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBytes { buffer in _ = SHA256_Update(&context, buffer.baseAddress, buffer.count) }
    }

    public mutating func update(_ bytes: [UInt8]) { update(bytes[...]) }

    /// Adds `bytes[range]`, read where it lies: slicing the array counted a reference to it up
    /// and down (the writer seals each record with four such reads).
    public mutating func update(_ bytes: [UInt8], in range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range must lie within bytes")
        bytes.withUnsafeBytes { buffer in _ = SHA256_Update(&context, buffer.baseAddress.map { $0 + range.lowerBound }, range.count) }
    }

    /// The digest as four words, each of 8 digest bytes read big-endian. Nothing may be added after it.
    public mutating func finalizeWords() -> SIMD4<UInt64> {
        var words = SIMD4<UInt64>.zero
        withUnsafeMutableBytes(of: &words) { buffer in
            _ = SHA256_Final(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), &context)
        }
        return SIMD4(UInt64(bigEndian: words[0]), UInt64(bigEndian: words[1]), UInt64(bigEndian: words[2]), UInt64(bigEndian: words[3]))
    }

    /// The digest's 32 bytes. Nothing may be added after it.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        digest.withUnsafeMutableBufferPointer { buffer in _ = SHA256_Final(buffer.baseAddress, &context) }
        return digest
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    public static func hash(_ bytes: [UInt8]) -> [UInt8] { hash(bytes[...]) }
}
