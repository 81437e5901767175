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
    public func rollingProximityIdentifierKey() -> SymmetricKey { Self.hkdf16(keyData, info: Self.rpikInfo) }

    /// AEMK = HKDF-SHA256(TEK, salt: none, info: "EN-AEMK", 16 bytes).
    public func associatedEncryptedMetadataKey() -> SymmetricKey { Self.hkdf16(keyData, info: Self.aemkInfo) }

    static let rpikInfo = Array("EN-RPIK".utf8) + [1]
    static let aemkInfo = Array("EN-AEMK".utf8) + [1]

    /// HKDF-SHA256 with no salt and one expand block (RFC 5869; 16 ≤ 32 bytes):
    /// PRK = HMAC(32 zero bytes, IKM), T(1) = HMAC(PRK, info ‖ 0x01), the first 16 bytes.
    ///
    /// The HMACs are written out as SHA-256 hashes: on the matching path (one derivation per downloaded key)
    /// the generic HMAC wrapper cost more than the hashing itself. The Extract's key is the constant zero
    /// salt, so its two keyed blocks are hashed once ahead (`extractInner`, `extractOuter`) and each key costs
    /// six SHA-256 compressions instead of eight.
    static func hkdf16(_ inputKeyMaterial: [UInt8], info: [UInt8]) -> SymmetricKey {
        // Extract: PRK = H((0 ⊕ opad) ‖ H((0 ⊕ ipad) ‖ IKM)).
        var extractInner = Self.extractInner
        inputKeyMaterial.withUnsafeBytes { extractInner.update(bufferPointer: $0) }
        var extractOuter = Self.extractOuter
        extractInner.finalize().withUnsafeBytes { extractOuter.update(bufferPointer: $0) }
        let prk = extractOuter.finalize()
        // Expand: T(1) = H((PRK ⊕ opad) ‖ H((PRK ⊕ ipad) ‖ info ‖ 0x01)), the 32-byte PRK padded to a block;
        // each hash is one update over a stack buffer of the keyed block and what follows it.
        precondition(info.count <= 64)
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { words in
            let buffer = UnsafeMutableRawBufferPointer(words)
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            prk.withUnsafeBytes { buffer.copyMemory(from: $0) }
            for index in 0..<8 { words[index] ^= 0x3636_3636_3636_3636 }
            info.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[64...]).copyMemory(from: $0) }
            var inner = SHA256()
            inner.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<(64 + info.count)]))
            let innerDigest = inner.finalize()
            for index in 0..<8 { words[index] ^= 0x3636_3636_3636_3636 ^ 0x5C5C_5C5C_5C5C_5C5C }
            innerDigest.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[64...]).copyMemory(from: $0) }
            var outer = SHA256()
            outer.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<96]))
            return outer.finalize().withUnsafeBytes { SymmetricKey(data: UnsafeRawBufferPointer(rebasing: $0[0..<16])) }
        }
    }

    /// SHA-256 after the block (32 zero bytes ⊕ ipad), and after (32 zero bytes ⊕ opad): HMAC's keyed states
    /// for the zero salt.
    static let extractInner = keyedState(pad: 0x36)
    static let extractOuter = keyedState(pad: 0x5C)

    private static func keyedState(pad: UInt8) -> SHA256 {
        var hash = SHA256()
        [UInt8](repeating: pad, count: 64).withUnsafeBytes { hash.update(bufferPointer: $0) }
        return hash
    }

    /// The rolling proximity identifier broadcast during `interval`.
    public func rollingProximityIdentifier(at interval: Int32) -> RollingProximityIdentifier {
        RollingProximityIdentifier.derive(key: rollingProximityIdentifierKey(), intervals: interval..<(interval + 1))[0]
    }

    /// All identifiers of this key, one per interval of `intervals`.
    public func rollingProximityIdentifiers() -> [RollingProximityIdentifier] {
        RollingProximityIdentifier.derive(key: rollingProximityIdentifierKey(), intervals: intervals)
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

    /// RPI_j = AES-128(RPIK, "EN-RPI" ‖ 0x000000000000 ‖ LE32(j)) for every j in `intervals`.
    ///
    /// One call to BoringSSL's CFB-128 decryption does the whole range with one key schedule: decrypting
    /// the blocks PD_1…PD_n under the IV PD_0 yields P_i = PD_i ⊕ AES(PD_{i-1}), so AES(PD_{i-1}) = P_i ⊕ PD_i.
    public static func derive(key: SymmetricKey, intervals: Range<Int32>) -> [RollingProximityIdentifier] {
        var result = [RollingProximityIdentifier]()
        result.reserveCapacity(intervals.count)
        forEach(key: key, intervals: intervals) { result.append($0) }
        return result
    }

    /// Calls `body` with each identifier of `intervals` in order, without collecting them.
    @inlinable
    public static func forEach(key: SymmetricKey, intervals: Range<Int32>, _ body: (RollingProximityIdentifier) -> Void)
    {
        var scratch = [UInt64](repeating: 0, count: 2 * min(intervals.count, Self.blocksPerCall))
        scratch.withUnsafeMutableBufferPointer { forEach(key: key, intervals: intervals, scratch: $0, body) }
    }

    /// The most blocks one CFB call derives; a longer range (it does not occur: a key lasts 144 intervals)
    /// goes in slices.
    @usableFromInline
    static let blocksPerCall = 1024

    /// `forEach` with a caller's scratch buffer of two words per block (up to `blocksPerCall`), so that matching many keys
    /// allocates it once.
    @inlinable
    static func forEach(
        key: SymmetricKey,
        intervals: Range<Int32>,
        scratch words: UnsafeMutableBufferPointer<UInt64>,
        _ body: (RollingProximityIdentifier) -> Void
    ) {
        precondition(words.count >= 2 * min(intervals.count, Self.blocksPerCall))
        let count = intervals.count
        guard count > 0 else { return }
        guard count <= Self.blocksPerCall else {
            var start = intervals.lowerBound
            while start < intervals.upperBound {
                let end = min(intervals.upperBound, start + 144)
                forEach(key: key, intervals: start..<end, scratch: words, body)
                start = end
            }
            return
        }
        // Padded data as two little-endian words (both platforms GAEN runs on are little-endian):
        // "EN-RPI" and two zero bytes, then four zero bytes and ENIN.
        let prefix = Self.prefixWord
        func second(_ interval: Int32) -> UInt64 { UInt64(UInt32(bitPattern: interval)) << 32 }
        let start = intervals.lowerBound
        let iv = withUnsafeBytes(of: (prefix.littleEndian, second(start).littleEndian)) {
            try! AES._CFB.IV(ivBytes: $0)
        }
        // The ciphertext is PD_1 … PD_{n-1} and a zero block, so the last output is AES(PD_{n-1}) itself.
        for index in 0..<(count - 1) {
            words[2 * index] = prefix.littleEndian
            words[2 * index + 1] = second(start &+ Int32(index + 1)).littleEndian
        }
        words[2 * count - 2] = 0
        words[2 * count - 1] = 0
        // The key is 16 bytes, so this cannot fail.
        let ciphertext = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(words)[0..<(16 * count)])
        let plain = try! AES._CFB.decrypt(ciphertext, using: key, iv: iv)
        plain.withUnsafeBytes { plainBytes in
            for index in 0..<count {
                let offset = 16 * index
                let p0 = plainBytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                let p1 = plainBytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
                body(
                    RollingProximityIdentifier(
                        high: UInt64(littleEndian: p0 ^ words[2 * index]),
                        low: UInt64(littleEndian: p1 ^ words[2 * index + 1])
                    )
                )
            }
        }
    }

    /// "EN-RPI" and two zero bytes, read as a little-endian word.
    @usableFromInline
    static let prefixWord: UInt64 = 0x0000_4950_522D_4E45

    static func crypt(_ data: [UInt8], key: SymmetricKey, rpi: RollingProximityIdentifier) -> [UInt8] {
        let nonce = try! AES._CTR.Nonce(nonceBytes: rpi.bytes)
        return Array(try! AES._CTR.encrypt(data, using: key, nonce: nonce))
    }
}
