import CCryptoBoringSSL
import Crypto
import _CryptoExtras

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The Exposure Notification cryptography (Google/Apple specification v1.2): interval numbers, temporary
/// exposure keys, rolling proximity identifiers and associated encrypted metadata.
public enum ExposureNotification {
    /// One interval is 10 minutes.
    public static let intervalSeconds: Int64 = 600
    /// A key rolls every 144 intervals (24 hours).
    public static let tekRollingPeriod: Int32 = 144
    /// Sightings match a key's intervals widened by 2 hours (12 intervals) each side, for clock drift.
    public static let driftIntervals: Int32 = 12

    /// ENIntervalNumber: the 10-minute window since the Unix epoch containing `unixSeconds`.
    public static func intervalNumber(unixSeconds: Int64) -> Int32 {
        Int32(truncatingIfNeeded: floorDivide(unixSeconds, intervalSeconds))
    }

    public static func intervalNumber(_ date: Date) -> Int32 {
        intervalNumber(unixSeconds: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// The first interval of the day-key containing `interval` (a multiple of 144).
    public static func rollingStart(of interval: Int32) -> Int32 {
        interval - ((interval % tekRollingPeriod) + tekRollingPeriod) % tekRollingPeriod
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// How the key's owner was diagnosed (the export format's ReportType).
public enum ReportType: Int32, Codable, Sendable, CaseIterable {
    case unknown = 0
    case confirmedTest = 1
    case confirmedClinicalDiagnosis = 2
    case selfReport = 3
    case recursive = 4
    case revoked = 5
}

/// A temporary exposure key, as a phone keeps it and as a diagnosis key travels in an export file.
public struct TemporaryExposureKey: Hashable, Sendable {
    /// The 16 key bytes.
    public var keyData: [UInt8]
    public var rollingStartIntervalNumber: Int32
    /// Number of intervals the key was valid for, 1...144.
    public var rollingPeriod: Int32
    public var transmissionRiskLevel: Int32?
    public var reportType: ReportType?
    public var daysSinceOnsetOfSymptoms: Int32?

    public init(
        keyData: [UInt8],
        rollingStartIntervalNumber: Int32,
        rollingPeriod: Int32 = ExposureNotification.tekRollingPeriod,
        transmissionRiskLevel: Int32? = nil,
        reportType: ReportType? = nil,
        daysSinceOnsetOfSymptoms: Int32? = nil
    ) {
        self.keyData = keyData
        self.rollingStartIntervalNumber = rollingStartIntervalNumber
        self.rollingPeriod = rollingPeriod
        self.transmissionRiskLevel = transmissionRiskLevel
        self.reportType = reportType
        self.daysSinceOnsetOfSymptoms = daysSinceOnsetOfSymptoms
    }

    /// A fresh random key for the day containing `interval`, from the system's secure generator.
    public static func generate(at interval: Int32) -> TemporaryExposureKey {
        let key = SymmetricKey(size: .bits128)
        return TemporaryExposureKey(
            keyData: key.withUnsafeBytes { Array($0) },
            rollingStartIntervalNumber: ExposureNotification.rollingStart(of: interval)
        )
    }

    /// The intervals this key was valid for.
    public var intervals: Range<Int32> {
        rollingStartIntervalNumber..<(rollingStartIntervalNumber + rollingPeriod)
    }

    /// RPIK = HKDF-SHA256(TEK, salt: none, info: "EN-RPIK", 16 bytes).
    public func rollingProximityIdentifierKey() -> SymmetricKey {
        Self.symmetricKey(Self.hkdf16(keyData, info: Self.rpikInfo))
    }

    /// AEMK = HKDF-SHA256(TEK, salt: none, info: "EN-AEMK", 16 bytes).
    public func associatedEncryptedMetadataKey() -> SymmetricKey {
        Self.symmetricKey(Self.hkdf16(keyData, info: Self.aemkInfo))
    }

    static let rpikInfo = Array("EN-RPIK".utf8) + [1]
    static let aemkInfo = Array("EN-AEMK".utf8) + [1]

    static func symmetricKey(_ words: (UInt64, UInt64)) -> SymmetricKey {
        withUnsafeBytes(of: words) { SymmetricKey(data: $0) }
    }

    /// HKDF-SHA256 with no salt and one expand block (RFC 5869; 16 ≤ 32 bytes), as the 16 bytes in memory order:
    /// PRK = HMAC(32 zero bytes, IKM), T(1) = HMAC(PRK, info ‖ 0x01), the first 16 bytes.
    ///
    /// The HMACs are written out as SHA-256 hashes on BoringSSL's stack contexts (the one swift-crypto builds
    /// on): on the matching path, one derivation per downloaded key, swift-crypto's HMAC and hash wrappers
    /// allocated a context per hash and cost more than the hashing. The Extract's key is the constant zero
    /// salt, so its two keyed blocks are hashed once ahead (`extractInner`, `extractOuter`) and each key costs
    /// six SHA-256 compressions instead of eight.
    static func hkdf16(_ inputKeyMaterial: [UInt8], info: [UInt8]) -> (UInt64, UInt64) {
        precondition(info.count <= 64)
        var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        // Extract: PRK = H((0 ⊕ opad) ‖ H((0 ⊕ ipad) ‖ IKM)).
        var context = Self.extractInner
        inputKeyMaterial.withUnsafeBytes { _ = CCryptoBoringSSL_SHA256_Update(&context, $0.baseAddress, $0.count) }
        withUnsafeMutableBytes(of: &digest) { finish(&context, into: $0) }
        context = Self.extractOuter
        withUnsafeBytes(of: digest) { _ = CCryptoBoringSSL_SHA256_Update(&context, $0.baseAddress, 32) }
        withUnsafeMutableBytes(of: &digest) { finish(&context, into: $0) }
        // Expand: T(1) = H((PRK ⊕ opad) ‖ H((PRK ⊕ ipad) ‖ info ‖ 0x01)), the 32-byte PRK padded to a block.
        var keyed: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (
            digest.0 ^ 0x3636_3636_3636_3636, digest.1 ^ 0x3636_3636_3636_3636,
            digest.2 ^ 0x3636_3636_3636_3636, digest.3 ^ 0x3636_3636_3636_3636,
            0x3636_3636_3636_3636, 0x3636_3636_3636_3636, 0x3636_3636_3636_3636, 0x3636_3636_3636_3636
        )
        _ = CCryptoBoringSSL_SHA256_Init(&context)
        withUnsafeBytes(of: keyed) { _ = CCryptoBoringSSL_SHA256_Update(&context, $0.baseAddress, 64) }
        info.withUnsafeBytes { _ = CCryptoBoringSSL_SHA256_Update(&context, $0.baseAddress, $0.count) }
        withUnsafeMutableBytes(of: &digest) { finish(&context, into: $0) }
        let flip: UInt64 = 0x3636_3636_3636_3636 ^ 0x5C5C_5C5C_5C5C_5C5C
        keyed = (
            keyed.0 ^ flip, keyed.1 ^ flip, keyed.2 ^ flip, keyed.3 ^ flip,
            keyed.4 ^ flip, keyed.5 ^ flip, keyed.6 ^ flip, keyed.7 ^ flip
        )
        _ = CCryptoBoringSSL_SHA256_Init(&context)
        withUnsafeBytes(of: keyed) { _ = CCryptoBoringSSL_SHA256_Update(&context, $0.baseAddress, 64) }
        withUnsafeBytes(of: digest) { _ = CCryptoBoringSSL_SHA256_Update(&context, $0.baseAddress, 32) }
        withUnsafeMutableBytes(of: &digest) { finish(&context, into: $0) }
        return (digest.0, digest.1)
    }

    private static func finish(_ context: inout SHA256_CTX, into digest: UnsafeMutableRawBufferPointer) {
        _ = CCryptoBoringSSL_SHA256_Final(digest.baseAddress!.assumingMemoryBound(to: UInt8.self), &context)
    }

    /// SHA-256 after the block (32 zero bytes ⊕ ipad), and after (32 zero bytes ⊕ opad): HMAC's keyed states
    /// for the zero salt.
    static let extractInner = keyedState(pad: 0x36)
    static let extractOuter = keyedState(pad: 0x5C)

    private static func keyedState(pad: UInt8) -> SHA256_CTX {
        var context = SHA256_CTX()
        _ = CCryptoBoringSSL_SHA256_Init(&context)
        [UInt8](repeating: pad, count: 64).withUnsafeBytes {
            _ = CCryptoBoringSSL_SHA256_Update(&context, $0.baseAddress, 64)
        }
        return context
    }

    /// The rolling proximity identifier broadcast during `interval`.
    public func rollingProximityIdentifier(at interval: Int32) -> RollingProximityIdentifier {
        RollingProximityIdentifier.derive(key: rollingProximityIdentifierKey(), intervals: interval..<(interval + 1))[0]
    }

    /// All identifiers of this key, one per interval of `intervals`.
    public func rollingProximityIdentifiers() -> [RollingProximityIdentifier] {
        RollingProximityIdentifier.derive(key: rollingProximityIdentifierKey(), intervals: intervals)
    }

    /// Every identifier of every key of `keys` in order, with the key's position: what matching derives, without
    /// the lookup. One cipher context and one scratch buffer serve all the keys; a key that cannot be matched
    /// (not 16 bytes, a rolling period outside 1–144) is skipped.
    public static func forEachIdentifier(
        of keys: [TemporaryExposureKey],
        _ body: (Int, RollingProximityIdentifier) -> Void
    ) {
        let cipher = BlockCipher()
        var scratch = [UInt64](repeating: 0, count: 2 * RollingProximityIdentifier.blocksPerCall)
        scratch.withUnsafeMutableBufferPointer { scratch in
            for (position, key) in keys.enumerated() where SightingIndex.isMatchable(key) {
                withUnsafeBytes(of: hkdf16(key.keyData, info: rpikInfo)) { rpik in
                    RollingProximityIdentifier.forEach(
                        key: rpik,
                        intervals: key.intervals,
                        cipher: cipher,
                        scratch: scratch
                    ) { body(position, $0) }
                }
            }
        }
    }

    /// AEM = AES-128-CTR(AEMK, IV: RPI, metadata).
    public func encryptMetadata(_ metadata: [UInt8], rpi: RollingProximityIdentifier) -> [UInt8] {
        RollingProximityIdentifier.crypt(metadata, key: associatedEncryptedMetadataKey(), rpi: rpi)
    }

    /// The metadata back from an AEM (CTR mode is its own inverse).
    public func decryptMetadata(_ aem: [UInt8], rpi: RollingProximityIdentifier) -> [UInt8] {
        RollingProximityIdentifier.crypt(aem, key: associatedEncryptedMetadataKey(), rpi: rpi)
    }
}

/// A 16-byte rolling proximity identifier, held as two words so that it hashes and compares fast.
public struct RollingProximityIdentifier: Hashable, Sendable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyBytes(from: bytes) }
        self.init(high: words.0, low: words.1)
    }

    public var bytes: [UInt8] {
        withUnsafeBytes(of: (high, low)) { Array($0) }
    }

    /// RPI_j = AES-128(RPIK, "EN-RPI" ‖ 0x000000000000 ‖ LE32(j)) for every j in `intervals`; `key` is the 16-byte
    /// RPIK (`rollingProximityIdentifierKey()`), and any other size stops the program.
    public static func derive(key: SymmetricKey, intervals: Range<Int32>) -> [RollingProximityIdentifier] {
        var result = [RollingProximityIdentifier]()
        result.reserveCapacity(intervals.count)
        forEach(key: key, intervals: intervals) { result.append($0) }
        return result
    }

    /// Calls `body` with each identifier of `intervals` in order, without collecting them.
    public static func forEach(key: SymmetricKey, intervals: Range<Int32>, _ body: (RollingProximityIdentifier) -> Void)
    {
        var scratch = [UInt64](repeating: 0, count: 2 * min(intervals.count, Self.blocksPerCall))
        let cipher = BlockCipher()
        key.withUnsafeBytes { key in
            scratch.withUnsafeMutableBufferPointer {
                forEach(key: key, intervals: intervals, cipher: cipher, scratch: $0, body)
            }
        }
    }

    /// The most blocks one call derives; a longer range (it does not occur: a key lasts 144 intervals) goes in
    /// slices.
    static let blocksPerCall = 1024

    /// `forEach` with a caller's cipher context and scratch buffer of two words per block (up to `blocksPerCall`),
    /// so that matching many keys allocates them once.
    static func forEach(
        key: UnsafeRawBufferPointer,
        intervals: Range<Int32>,
        cipher: borrowing BlockCipher,
        scratch words: UnsafeMutableBufferPointer<UInt64>,
        _ body: (RollingProximityIdentifier) -> Void
    ) {
        precondition(words.count >= 2 * min(intervals.count, Self.blocksPerCall))
        var start = intervals.lowerBound
        while start < intervals.upperBound {
            let count = Int(min(intervals.upperBound - start, Int32(Self.blocksPerCall)))
            cipher.identifiers(key: key, from: start, count: count, into: words)
            for index in 0..<count {
                body(
                    RollingProximityIdentifier(
                        high: UInt64(littleEndian: words[2 * index]),
                        low: UInt64(littleEndian: words[2 * index + 1])
                    )
                )
            }
            start += Int32(count)
        }
    }

    /// "EN-RPI" and two zero bytes, read as a little-endian word.
    static let prefixWord: UInt64 = 0x0000_4950_522D_4E45

    static func crypt(_ data: [UInt8], key: SymmetricKey, rpi: RollingProximityIdentifier) -> [UInt8] {
        let nonce = try! AES._CTR.Nonce(nonceBytes: rpi.bytes)
        return Array(try! AES._CTR.encrypt(data, using: key, nonce: nonce))
    }
}

/// AES-128 on many chosen blocks under one key schedule: BoringSSL's ECB through EVP (the library swift-crypto
/// is built on, on every platform, iOS included). On x86-64 that is the pipelined AES-NI code with eight
/// blocks in flight, about a third of the time of one block after another; elsewhere BoringSSL's block
/// function. No mode of swift-crypto's own API encrypts chosen blocks in one call: the identifiers' interval
/// number is little-endian, where CTR and GCM count big-endian.
struct BlockCipher: ~Copyable {
    let context: UnsafeMutablePointer<EVP_CIPHER_CTX>

    init() {
        context = CCryptoBoringSSL_EVP_CIPHER_CTX_new()
        precondition(
            CCryptoBoringSSL_EVP_EncryptInit_ex(context, CCryptoBoringSSL_EVP_aes_128_ecb(), nil, nil, nil) == 1
        )
    }

    deinit { CCryptoBoringSSL_EVP_CIPHER_CTX_free(context) }

    /// Writes the identifiers of the `count` intervals from `start` under `key` (16 bytes) into `words`, two
    /// little-endian words each.
    func identifiers(
        key: UnsafeRawBufferPointer,
        from start: Int32,
        count: Int,
        into words: UnsafeMutableBufferPointer<UInt64>
    ) {
        precondition(key.count == 16 && count >= 0 && words.count >= 2 * count)
        // Padded data as two little-endian words (both platforms GAEN runs on are little-endian):
        // "EN-RPI" and two zero bytes, then four zero bytes and ENIN.
        let prefix = RollingProximityIdentifier.prefixWord.littleEndian
        for index in 0..<count {
            words[2 * index] = prefix
            words[2 * index + 1] = (UInt64(UInt32(bitPattern: start &+ Int32(index))) << 32).littleEndian
        }
        let bytes = UnsafeMutableRawBufferPointer(words)
        let blocks = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        let keyed = CCryptoBoringSSL_EVP_EncryptInit_ex(
            context,
            nil,
            nil,
            key.baseAddress!.assumingMemoryBound(to: UInt8.self),
            nil
        )
        let encrypted = CCryptoBoringSSL_EVP_EncryptUpdate(context, blocks, &written, blocks, Int32(16 * count))
        precondition(keyed == 1 && encrypted == 1 && written == Int32(16 * count))
    }
}
