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
    /// RFC 5869: no salt means a salt of 32 zero bytes.
    static let emptySalt = SymmetricKey(data: [UInt8](repeating: 0, count: 32))

    /// HKDF-SHA256 with one expand block (16 ≤ 32 bytes): T(1) = HMAC(PRK, info ‖ 0x01), PRK = HMAC(salt, IKM).
    /// Written out because the generic HKDF costs more than the hashing itself on the matching path.
    static func hkdf16(_ inputKeyMaterial: [UInt8], info: [UInt8]) -> SymmetricKey {
        let prk = HMAC<SHA256>.authenticationCode(for: inputKeyMaterial, using: emptySalt)
        let okm = HMAC<SHA256>.authenticationCode(for: info, using: SymmetricKey(data: prk))
        return okm.withUnsafeBytes { SymmetricKey(data: UnsafeRawBufferPointer(rebasing: $0[0..<16])) }
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
        let count = intervals.count
        guard count > 0, count <= 1024 else {
            // Longer ranges than a day or two do not occur; do them in slices.
            var start = intervals.lowerBound
            while start < intervals.upperBound {
                let end = min(intervals.upperBound, start + 144)
                forEach(key: key, intervals: start..<end, body)
                start = end
            }
            return
        }
        var ivBytes = paddedTemplate(count: 1)
        setInterval(&ivBytes, block: 0, intervals.lowerBound)
        // The ciphertext is PD_1 … PD_{n-1} and a zero block, so the last output is AES(PD_{n-1}) itself.
        var ciphertext = paddedTemplate(count: count)
        for index in 1..<max(count, 1) {
            setInterval(&ciphertext, block: index - 1, intervals.lowerBound &+ Int32(index))
        }
        for offset in (16 * (count - 1))..<(16 * count) { ciphertext[offset] = 0 }
        // The IV and the key are 16 bytes, so these cannot fail.
        let iv = try! AES._CFB.IV(ivBytes: ivBytes)
        let plain = try! AES._CFB.decrypt(ciphertext, using: key, iv: iv)
        plain.withUnsafeBytes { plainBytes in
            ciphertext.withUnsafeBytes { cipherBytes in
                for offset in stride(from: 0, to: 16 * count, by: 16) {
                    let p0 = plainBytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    let p1 = plainBytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
                    let c0 = cipherBytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                    let c1 = cipherBytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
                    body(RollingProximityIdentifier(high: p0 ^ c0, low: p1 ^ c1))
                }
            }
        }
    }

    /// `count` padded-data blocks "EN-RPI" ‖ 0x000000000000 ‖ (interval to be set), from a cached day's worth.
    @usableFromInline
    static func paddedTemplate(count: Int) -> [UInt8] {
        count <= 144 ? Array(dayTemplate[0..<(16 * count)]) : (0..<count).flatMap { _ in dayTemplate[0..<16] }
    }

    @usableFromInline
    static let dayTemplate: [UInt8] = (0..<144).flatMap { _ in
        [0x45, 0x4E, 0x2D, 0x52, 0x50, 0x49] + [UInt8](repeating: 0, count: 10)
    }

    /// Writes ENIN little-endian into bytes 12–15 of block `block`.
    @usableFromInline @inline(__always)
    static func setInterval(_ buffer: inout [UInt8], block: Int, _ interval: Int32) {
        buffer.withUnsafeMutableBytes {
            $0.storeBytes(of: UInt32(bitPattern: interval).littleEndian, toByteOffset: 16 * block + 12, as: UInt32.self)
        }
    }

    static func crypt(_ data: [UInt8], key: SymmetricKey, rpi: RollingProximityIdentifier) -> [UInt8] {
        let nonce = try! AES._CTR.Nonce(nonceBytes: rpi.bytes)
        return Array(try! AES._CTR.encrypt(data, using: key, nonce: nonce))
    }
}
