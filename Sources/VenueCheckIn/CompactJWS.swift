import Crypto
import Foundation

/// Why a compact JWS was refused. The classes are the ones the signed UK venue QR decoders reject.
public enum JWSFailure: Error, Equatable, Sendable {
    /// Not three base64url segments (missing or extra segments, bad characters, bad JSON header).
    case format(String)
    /// The header names another algorithm than ES256 (`none` included).
    case algorithm(String)
    /// No key with the header's kid.
    case unknownKey(String)
    /// The signature is missing, has the wrong length or does not verify.
    case signature

    /// A short code for answers and logs.
    public var code: String {
        switch self {
        case .format: "format"
        case .algorithm: "algorithm"
        case .unknownKey: "unknown_kid"
        case .signature: "signature"
        }
    }

    /// A sentence for people.
    public var message: String {
        switch self {
        case .format(let detail): "Not a signed code: \(detail)."
        case .algorithm(let alg): "The code is signed with \(alg), not ES256."
        case .unknownKey(let kid): "The code's key \(kid) is not one of ours."
        case .signature: "The code's signature is missing or does not match: it was changed or forged."
        }
    }
}

/// A JWS in compact serialisation (RFC 7515 §7.1) signed ES256 (RFC 7518 §3.4: raw r‖s).
public struct CompactJWS: Sendable, Equatable {
    /// The decoded protected header.
    public let kid: String
    /// The decoded payload bytes.
    public let payload: [UInt8]

    /// Longest text accepted, so nobody makes us base64-decode megabytes.
    public static let maxLength = 4096

    /// Signs `payload` with `key` under `kid`.
    public static func sign(payload: [UInt8], kid: String, key: P256.Signing.PrivateKey) throws -> String {
        let header = try JSONSerialization.data(
            withJSONObject: ["alg": "ES256", "typ": "JWT", "kid": kid],
            options: [.sortedKeys]
        )
        let signingInput = Base64URL.encode(Array(header)) + "." + Base64URL.encode(payload)
        let signature = try key.signature(for: Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(Array(signature.rawRepresentation))
    }

    /// Checks `text`'s shape, algorithm, key and signature; `keys` maps a kid to its public key.
    public static func verify(
        _ text: Substring,
        keys: (String) -> P256.Signing.PublicKey?
    ) -> Result<CompactJWS, JWSFailure> {
        guard text.utf8.count <= maxLength else { return .failure(.format("longer than \(maxLength) characters")) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .failure(.format("\(parts.count) segments where a JWS has 3"))
        }
        guard let headerBytes = Base64URL.decode(parts[0]), !parts[0].isEmpty else {
            return .failure(.format("the header is not base64url"))
        }
        guard let payload = Base64URL.decode(parts[1]), !parts[1].isEmpty else {
            return .failure(.format("the payload is not base64url"))
        }
        guard
            let header = try? JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any]
        else { return .failure(.format("the header is not a JSON object")) }
        guard let alg = header["alg"] as? String, alg == "ES256" else {
            return .failure(.algorithm((header["alg"] as? String) ?? "no algorithm"))
        }
        if let crit = header["crit"], !((crit as? [Any])?.isEmpty ?? false) {
            return .failure(.format("the header has critical extensions we do not know"))
        }
        guard let kid = header["kid"] as? String, !kid.isEmpty else { return .failure(.unknownKey("(none)")) }
        guard let key = keys(kid) else { return .failure(.unknownKey(kid)) }
        guard let signatureBytes = Base64URL.decode(parts[2]), signatureBytes.count == 64,
            let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureBytes)
        else { return .failure(.signature) }
        let signingInput = text[text.startIndex..<parts[1].endIndex]
        guard key.isValidSignature(signature, for: Array(signingInput.utf8)) else { return .failure(.signature) }
        return .success(CompactJWS(kid: kid, payload: payload))
    }
}

/// Base64url without padding (RFC 4648 §5), as JOSE uses it.
public enum Base64URL {
    /// Encodes without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes base64url without padding; `nil` for any other character or a bad length.
    public static func decode(_ text: Substring) -> [UInt8]? {
        var standard = ""
        standard.reserveCapacity(text.utf8.count + 3)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9": standard.unicodeScalars.append(scalar)
            case "-": standard.append("+")
            case "_": standard.append("/")
            default: return nil
            }
        }
        switch standard.utf8.count % 4 {
        case 1: return nil
        case 2: standard += "=="
        case 3: standard += "="
        default: break
        }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
