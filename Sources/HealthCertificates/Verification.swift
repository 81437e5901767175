import Crypto
import Foundation
import SwiftASN1
import _CryptoExtras

/// Why a certificate is not valid: which check failed, and a sentence saying what was wrong.
public struct CertificateFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Check: String, Sendable, CaseIterable {
        /// Not a certificate text at all (no `HC1:` / `shc:/` prefix, bad Base45 or numeric encoding).
        case format
        /// The bytes do not decode (zlib, CBOR, COSE, CWT, JWS).
        case decode
        case signature
        case unknownKid = "unknown_kid"
        /// The signing certificate may not sign this kind of certificate (DCC extended key usage).
        case keyUsage = "key_usage"
        case expired
        case notYetValid = "not_yet_valid"
        case revoked
        case schema
    }

    public let check: Check
    public let detail: String

    public init(_ check: Check, _ detail: String) {
        self.check = check
        self.detail = detail
    }

    public var description: String { "\(check.rawValue): \(detail)" }
}

/// A key trusted to sign certificates, with what its X.509 certificate says about it.
public struct TrustedSigner: Sendable {
    public let kid: [UInt8]
    public let key: VerificationKey
    /// ISO 3166 alpha-2 of the signer, when known.
    public let country: String?
    /// The DER of the signing certificate, when the key came with one.
    public let certificateDER: [UInt8]?
    /// The kinds of certificate the signer may sign (from the DCC extended key usage OIDs); nil: any.
    public let allowedKinds: Set<DigitalCovidCertificate.Kind>?

    public init(
        kid: [UInt8],
        key: VerificationKey,
        country: String? = nil,
        certificateDER: [UInt8]? = nil,
        allowedKinds: Set<DigitalCovidCertificate.Kind>? = nil
    ) {
        self.kid = kid
        self.key = key
        self.country = country
        self.certificateDER = certificateDER
        self.allowedKinds = allowedKinds
    }

    /// The DCC kid of a signing certificate: the first 8 bytes of the SHA-256 of its DER.
    public static func kid(ofCertificate der: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: der).prefix(8)) }

    /// The DCC extended key usage OIDs (and the variant with an extra 0 some countries issued).
    static let extendedKeyUsages: [(ASN1ObjectIdentifier, DigitalCovidCertificate.Kind)] = [
        ([1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1], .test),
        ([1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2], .vaccination),
        ([1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3], .recovery),
        ([1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 1], .test),
        ([1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 2], .vaccination),
        ([1, 3, 6, 1, 4, 1, 0, 1847, 2021, 1, 3], .recovery),
    ]

    public struct UnusableCertificate: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// A signer from its X.509 document signing certificate (DER). The certificate is read leniently,
    /// as verifiers must: only the subject's country, the public key and the extended key usage are
    /// taken, so a certificate signed with RSASSA-PSS (DE) or one that encodes a default value
    /// explicitly (FI) is still usable.
    public init(certificateDER der: [UInt8]) throws(UnusableCertificate) {
        let parts: X509Parts
        do {
            parts = try X509Parts(der)
        } catch {
            throw UnusableCertificate(description: "not an X.509 certificate (\(error))")
        }
        if let p256 = try? P256.Signing.PublicKey(derRepresentation: parts.subjectPublicKeyInfo) {
            key = .p256(p256)
        } else if let rsa = try? _RSA.Signing.PublicKey(derRepresentation: parts.subjectPublicKeyInfo) {
            key = .rsa(rsa)
        } else {
            throw UnusableCertificate(description: "the certificate's key is neither P-256 (ES256) nor RSA (PS256)")
        }
        kid = Self.kid(ofCertificate: der)
        certificateDER = der
        country = parts.country
        let kinds = Set(parts.extendedKeyUsages.compactMap { oid in Self.extendedKeyUsages.first { $0.0 == oid }?.1 })
        allowedKinds = kinds.isEmpty ? nil : kinds
    }
}

/// The few fields of an X.509 certificate a DCC verifier needs, read without judging the rest.
struct X509Parts {
    var subjectPublicKeyInfo: [UInt8]
    var country: String?
    var extendedKeyUsages: [ASN1ObjectIdentifier] = []

    static let countryName: ASN1ObjectIdentifier = [2, 5, 4, 6]
    static let extendedKeyUsage: ASN1ObjectIdentifier = [2, 5, 29, 37]

    init(_ der: [UInt8]) throws {
        let root = try DER.parse(der)
        guard case .constructed(let certificate) = root.content, let tbs = certificate.first(where: { _ in true }),
            case .constructed(let fields) = tbs.content
        else { throw ASN1Error.invalidASN1Object(reason: "a certificate is a SEQUENCE holding a SEQUENCE") }
        var items = Array(fields)
        // An explicit [0] version comes first when present.
        if let first = items.first, first.identifier.tagClass == .contextSpecific, first.identifier.tagNumber == 0 {
            items.removeFirst()
        }
        // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, then optional fields.
        guard items.count >= 6 else { throw ASN1Error.invalidASN1Object(reason: "the TBSCertificate is too short") }
        subjectPublicKeyInfo = Array(items[5].encodedBytes)
        if case .constructed(let rdns) = items[4].content {
            for rdn in rdns {
                guard case .constructed(let attributes) = rdn.content else { continue }
                for attribute in attributes {
                    guard case .constructed(let pair) = attribute.content else { continue }
                    let values = Array(pair)
                    if values.count == 2, (try? ASN1ObjectIdentifier(derEncoded: values[0])) == Self.countryName,
                        case .primitive(let bytes) = values[1].content
                    {
                        country = String(decoding: bytes, as: UTF8.self)
                    }
                }
            }
        }
        for item in items.dropFirst(6)
        where item.identifier.tagClass == .contextSpecific && item.identifier.tagNumber == 3 {
            guard case .constructed(let wrapper) = item.content, let list = wrapper.first(where: { _ in true }),
                case .constructed(let extensions) = list.content
            else { continue }
            for ext in extensions {
                guard case .constructed(let parts) = ext.content else { continue }
                let values = Array(parts)
                guard let oid = values.first.flatMap({ try? ASN1ObjectIdentifier(derEncoded: $0) }),
                    oid == Self.extendedKeyUsage, let octets = values.last,
                    let value = try? ASN1OctetString(derEncoded: octets),
                    let usages = try? DER.parse(value.bytes), case .constructed(let oids) = usages.content
                else { continue }
                extendedKeyUsages = oids.compactMap { try? ASN1ObjectIdentifier(derEncoded: $0) }
            }
        }
    }
}

/// The signers a verifier trusts, found by kid (a kid may name more than one key; each is tried).
public struct TrustList: Sendable {
    public private(set) var signers: [TrustedSigner]

    public init(_ signers: [TrustedSigner] = []) { self.signers = signers }

    public mutating func add(_ signer: TrustedSigner) { signers.append(signer) }

    public func signers(kid: [UInt8]) -> [TrustedSigner] { signers.filter { $0.kid == kid } }
}

/// DCC revocation hashes (the revocation list specification): the first 16 bytes of a SHA-256.
public enum RevocationHash {
    /// Of the UVCI as written in the certificate.
    public static func uci(_ uvci: String) -> [UInt8] { Array(SHA256.hash(data: Array(uvci.utf8)).prefix(16)) }

    /// Of the issuing country's code followed by the UVCI.
    public static func countryCodeUCI(country: String, uvci: String) -> [UInt8] {
        Array(SHA256.hash(data: Array((country + uvci).utf8)).prefix(16))
    }

    /// Of the signature (for ECDSA, its r half only).
    public static func signature(_ signature: [UInt8], algorithm: COSEAlgorithm?) -> [UInt8] {
        let covered = algorithm == .es256 && signature.count == 64 ? Array(signature.prefix(32)) : signature
        return Array(SHA256.hash(data: covered).prefix(16))
    }
}

/// What a verifier says about one certificate text.
public struct VerificationResult: Sendable {
    public enum Format: String, Sendable {
        case hc1 = "HC1"
        case smartHealthCard = "SHC"
    }

    public var format: Format?
    /// Nil when the certificate is valid.
    public var failure: CertificateFailure?
    public var kid: [UInt8]?
    public var algorithm: String?
    public var issuer: String?
    public var issuedAt: Date?
    public var expiresAt: Date?
    /// The holder's name as printed (family then given name) and date of birth: what a verifier shows.
    public var holderName: String?
    public var dateOfBirth: String?
    /// The decoded content (the hcert payload, or the SMART Health Card's credential subject), made
    /// from the payload only when asked for (most verifications never show it).
    public var content: JSONValue? {
        get { storedContent ?? payload.map(JSONValue.init) }
        set { storedContent = newValue }
    }
    var storedContent: JSONValue?
    var payload: CBOR?

    public var isValid: Bool { failure == nil }

    public init(format: Format?, failure: CertificateFailure?) {
        self.format = format
        self.failure = failure
    }
}

/// Checks HC1 (EU DCC) certificates against a trust list, a revocation list and a clock.
public struct HC1Verifier: Sendable {
    public var trust: TrustList
    /// Revoked DCC revocation hashes (UCI, country code + UCI, or signature).
    public var revoked: Set<[UInt8]>
    public var clock: @Sendable () -> Date

    public init(trust: TrustList, revoked: Set<[UInt8]> = [], clock: @escaping @Sendable () -> Date = { Date() }) {
        self.trust = trust
        self.revoked = revoked
        self.clock = clock
    }

    public func verify(_ text: String) -> VerificationResult {
        var result = VerificationResult(format: .hc1, failure: nil)
        let decoded: HC1.Decoded
        do {
            decoded = try HC1.decode(text)
        } catch {
            result.failure = error
            return result
        }
        let message = decoded.message
        let claims = decoded.claims
        result.kid = message.kid
        result.algorithm = message.algorithm?.name ?? message.algorithmLabel.map { "COSE \($0)" }
        result.issuer = claims.issuer
        result.issuedAt = claims.issuedAt
        result.expiresAt = claims.expiresAt
        let name = claims.certificate.name
        result.holderName = [name.familyName ?? name.familyNameICAO, name.givenName ?? name.givenNameICAO]
            .compactMap { $0 }.joined(separator: " ")
        result.dateOfBirth = claims.certificate.dateOfBirth
        result.payload = claims.payload
        result.failure = check(message: message, claims: claims)
        return result
    }

    func check(message: COSESign1, claims: CertificateClaims) -> CertificateFailure? {
        guard let algorithm = message.algorithm else {
            return CertificateFailure(
                .signature,
                "the algorithm \(message.algorithmLabel.map(String.init) ?? "(none)") is not ES256 (-7) or PS256 (-37)"
            )
        }
        guard let kid = message.kid, !kid.isEmpty else {
            return CertificateFailure(.unknownKid, "the message names no kid")
        }
        let candidates = trust.signers(kid: kid)
        guard !candidates.isEmpty else {
            return CertificateFailure(.unknownKid, "no trusted signing key has kid \(Data(kid).base64EncodedString())")
        }
        guard let signer = candidates.first(where: { message.isSignatureValid(with: $0.key) }) else {
            return CertificateFailure(
                .signature,
                "the \(algorithm.name) signature does not verify with the key of that kid"
            )
        }
        let kinds = claims.kinds
        if let allowed = signer.allowedKinds, let kind = kinds.first(where: { !allowed.contains($0) }) {
            return CertificateFailure(.keyUsage, "the signing certificate may not sign \(kind) certificates")
        }
        if let problem = DCCSchema.v1_3_3.violation(of: claims.payload, mode: .accepting) {
            return CertificateFailure(.schema, problem)
        }
        // CWT times are whole seconds: compare in whole seconds, so a certificate checked in the second
        // it was issued is not "not yet valid" by a rounding error.
        let now = Date(timeIntervalSince1970: clock().timeIntervalSince1970.rounded(.down))
        if now < claims.issuedAt {
            return CertificateFailure(.notYetValid, "issued at \(claims.issuedAt), after the validation time \(now)")
        }
        // Valid through the exp second itself, as the reference verifiers and the DK and ES vectors have it.
        if now > claims.expiresAt {
            return CertificateFailure(.expired, "expired at \(claims.expiresAt)")
        }
        guard !revoked.isEmpty else { return nil }
        for ci in claims.certificateIDs {
            let country = claims.issuer ?? ""
            if revoked.contains(RevocationHash.uci(ci))
                || revoked.contains(RevocationHash.countryCodeUCI(country: country, uvci: ci))
            {
                return CertificateFailure(.revoked, "the certificate \(ci) is revoked")
            }
        }
        if revoked.contains(RevocationHash.signature(message.signature, algorithm: algorithm)) {
            return CertificateFailure(.revoked, "the certificate's signature is revoked")
        }
        return nil
    }
}

/// The `HC1:` pipeline: CWT -> COSE_Sign1 -> zlib -> Base45 -> "HC1:".
public enum HC1 {
    public static let prefix = "HC1:"
    /// Longer texts are not certificates (a QR code holds at most 4,296 alphanumeric characters).
    public static let maxLength = 8 * 1024

    public struct Decoded: Sendable {
        public var message: COSESign1
        public var claims: CertificateClaims
    }

    /// Checks the payload strictly against schema 1.3.0, signs the claims and returns the QR text.
    public static func issue(_ claims: CertificateClaims, key: SigningKey, kid: [UInt8]) throws -> String {
        if let problem = DCCSchema.v1_3_0.violation(of: claims.payload, mode: .issuing) {
            throw CertificateFailure(.schema, problem)
        }
        let message = try COSESign1.sign(payload: claims.cbor.encoded(), key: key, kid: kid)
        return prefix + Base45.encode(Deflate.compress(message.encoded()))
    }

    /// Removes the context identifier; nil when the text is not an HC1 text.
    public static func unprefix(_ text: String) -> Substring? {
        // ASCII white space around a pasted or scanned text is ignored (Foundation's trimming costs more
        // than the rest of the decoding).
        let utf8 = text.utf8
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let first = utf8.firstIndex(where: { !isSpace($0) }), let last = utf8.lastIndex(where: { !isSpace($0) })
        else { return nil }
        let trimmed = text[first...last]
        guard trimmed.hasPrefix(prefix) else { return nil }
        return trimmed.dropFirst(prefix.count)
    }

    /// Decodes without checking the signature, validity or schema.
    public static func decode(_ text: String) throws(CertificateFailure) -> Decoded {
        guard text.utf8.count <= maxLength else {
            throw CertificateFailure(.format, "longer than \(maxLength) characters")
        }
        guard let body = unprefix(text) else {
            throw CertificateFailure(.format, "an EU DCC text starts with \"HC1:\"")
        }
        let compressed: [UInt8]
        do {
            compressed = try Base45.decode(body)
        } catch {
            throw CertificateFailure(.format, error.description)
        }
        let cose: [UInt8]
        do {
            cose = try Deflate.decompress(compressed)
        } catch {
            throw CertificateFailure(.decode, error.description)
        }
        let message: COSESign1
        do {
            message = try COSESign1.decode(cose)
        } catch {
            throw CertificateFailure(.decode, error.description)
        }
        let payload: CBOR
        do {
            payload = try CBOR.decode(message.payload)
        } catch {
            throw CertificateFailure(.decode, "the CWT is not CBOR (\(error.reason) at byte \(error.offset))")
        }
        do {
            return Decoded(message: message, claims: try CertificateClaims(cbor: payload))
        } catch let failure {
            throw failure.check == .decode ? failure : CertificateFailure(.schema, failure.detail)
        }
    }
}
