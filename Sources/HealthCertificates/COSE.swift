import Crypto
import Foundation
import _CryptoExtras

/// The two signature algorithms of the EU DCC (COSE algorithm identifiers, RFC 9053 / RFC 8230).
public enum COSEAlgorithm: Int64, Sendable, CaseIterable {
    /// ECDSA on P-256 with SHA-256; the signature is the raw r‖s (64 bytes).
    case es256 = -7
    /// RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt.
    case ps256 = -37

    public var name: String { self == .es256 ? "ES256" : "PS256" }
}

/// A key that signs certificates.
public enum SigningKey: Sendable {
    case p256(P256.Signing.PrivateKey)
    case rsa(_RSA.Signing.PrivateKey)

    public var algorithm: COSEAlgorithm { if case .p256 = self { .es256 } else { .ps256 } }

    public var publicKey: VerificationKey {
        switch self {
        case .p256(let key): .p256(key.publicKey)
        case .rsa(let key): .rsa(key.publicKey)
        }
    }

    func sign(_ message: [UInt8]) throws -> [UInt8] {
        switch self {
        case .p256(let key): Array(try key.signature(for: message).rawRepresentation)
        case .rsa(let key): Array(try key.signature(for: message, padding: .PSS).rawRepresentation)
        }
    }
}

/// A key that checks signatures.
public enum VerificationKey: Sendable {
    case p256(P256.Signing.PublicKey)
    case rsa(_RSA.Signing.PublicKey)

    /// Whether `signature` is `algorithm`'s signature of `message` by this key. A key of the other
    /// kind, or a signature of the wrong length, is simply not valid.
    public func isValid(_ signature: [UInt8], of message: [UInt8], algorithm: COSEAlgorithm) -> Bool {
        switch (self, algorithm) {
        case (.p256(let key), .es256):
            guard signature.count == 64, let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else {
                return false
            }
            return key.isValidSignature(sig, for: message)
        case (.rsa(let key), .ps256):
            guard signature.count == key.keySizeInBits / 8 else { return false }
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: message,
                padding: .PSS
            )
        default:
            return false
        }
    }
}

/// Why bytes are not a COSE_Sign1 message.
public struct COSEError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "COSE: \(reason)" }
}

/// A COSE_Sign1 message (RFC 9052 §4.2): one signer, the payload attached.
public struct COSESign1: Sendable, Equatable {
    /// The protected header exactly as received: the signature covers these bytes, not a re-encoding.
    public var protectedBytes: [UInt8]
    public var protected: CBOR
    public var unprotected: CBOR
    public var payload: [UInt8]
    public var signature: [UInt8]

    static let headerAlgorithm: Int64 = 1
    static let headerKid: Int64 = 4
    static let tagSign1: UInt64 = 18
    static let tagCWT: UInt64 = 61

    /// Decodes a message that is untagged, tagged 18, or tagged 61 around 18.
    public static func decode(_ bytes: [UInt8]) throws(COSEError) -> COSESign1 {
        let item: CBOR
        do {
            item = try CBOR.decode(bytes)
        } catch {
            throw COSEError(reason: "not CBOR (\(error.reason) at byte \(error.offset))")
        }
        var body = item
        if case .tagged(tagCWT, let inner) = body { body = inner }
        if case .tagged(tagSign1, let inner) = body { body = inner }
        guard case .array(let parts) = body else {
            if case .tagged(let tag, _) = body { throw COSEError(reason: "tag \(tag) is not COSE_Sign1 (18)") }
            throw COSEError(reason: "a COSE_Sign1 message is an array of four items")
        }
        guard parts.count == 4, case .bytes(let protectedBytes) = parts[0], case .map = parts[1],
            case .bytes(let payload) = parts[2], case .bytes(let signature) = parts[3]
        else {
            throw COSEError(
                reason: "a COSE_Sign1 message is [protected bytes, unprotected map, payload bytes, signature bytes]"
            )
        }
        let protected: CBOR
        if protectedBytes.isEmpty {
            protected = .map([])
        } else {
            do {
                protected = try CBOR.decode(protectedBytes, limits: .init(maxDepth: 4, maxItems: 64))
            } catch {
                throw COSEError(reason: "the protected header is not CBOR (\(error.reason))")
            }
            guard case .map = protected else { throw COSEError(reason: "the protected header is not a map") }
        }
        return COSESign1(
            protectedBytes: protectedBytes,
            protected: protected,
            unprotected: parts[1],
            payload: payload,
            signature: signature
        )
    }

    /// The algorithm label, from the protected header (where RFC 9052 wants it), else the unprotected one.
    public var algorithmLabel: Int64? {
        (protected[Self.headerAlgorithm] ?? unprotected[Self.headerAlgorithm])?.int
    }

    public var algorithm: COSEAlgorithm? { algorithmLabel.flatMap(COSEAlgorithm.init(rawValue:)) }

    /// The key identifier: the protected header's when present (a forged unprotected one cannot override
    /// it), else the unprotected one's.
    public var kid: [UInt8]? {
        (protected[Self.headerKid] ?? unprotected[Self.headerKid])?.bytes
    }

    /// The Sig_structure the signature covers: ["Signature1", protected, external_aad (empty), payload].
    public var toBeSigned: [UInt8] {
        CBOR.array([.text("Signature1"), .bytes(protectedBytes), .bytes([]), .bytes(payload)]).encoded()
    }

    public func isSignatureValid(with key: VerificationKey) -> Bool {
        guard let algorithm else { return false }
        return key.isValid(signature, of: toBeSigned, algorithm: algorithm)
    }

    /// Signs `payload` with the algorithm and kid in the protected header (as the DCC specification asks).
    public static func sign(payload: [UInt8], key: SigningKey, kid: [UInt8]) throws -> COSESign1 {
        let protected = CBOR.map([
            .init(.int(headerAlgorithm), .int(key.algorithm.rawValue)),
            .init(.int(headerKid), .bytes(kid)),
        ])
        var message = COSESign1(
            protectedBytes: protected.encoded(),
            protected: protected,
            unprotected: .map([]),
            payload: payload,
            signature: []
        )
        message.signature = try key.sign(message.toBeSigned)
        return message
    }

    /// The message as CBOR tagged 18.
    public func encoded() -> [UInt8] {
        CBOR.tagged(
            Self.tagSign1,
            .array([.bytes(protectedBytes), unprotected, .bytes(payload), .bytes(signature)])
        ).encoded()
    }
}
