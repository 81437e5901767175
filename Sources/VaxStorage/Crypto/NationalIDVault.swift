import Crypto
import Foundation
import SQLKit
import VaxDomain

/// Seals national ID numbers (AES-256-GCM) and makes their keyed hash (HMAC-SHA256) for look-up.
///
/// Both keys are derived with HKDF from one 32-byte master key (`PERSON_ID_KEY`), so rotating the
/// master key derives both. (Changing the key needs a re-encryption of the registry, which is not
/// built yet; `checkMatches` refuses a different key.) The hash covers the number only, not the document type: a 12-digit
/// CMND and the CCCD that replaced it carry the same number and are the same person.
public struct NationalIDVault: Sendable {
    private let sealingKey: SymmetricKey
    private let hashingKey: SymmetricKey
    private let signingKeysKey: SymmetricKey

    /// A vault from the master key.
    public init(masterKey: SymmetricKey) throws(NationalIDVaultError) {
        guard masterKey.bitCount == 256 else { throw .badKey("the key must be 32 bytes") }
        sealingKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: masterKey,
            info: Data("vaxtrace national-id aes-gcm v1".utf8),
            outputByteCount: 32
        )
        hashingKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: masterKey,
            info: Data("vaxtrace national-id hmac v1".utf8),
            outputByteCount: 32
        )
        signingKeysKey = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: masterKey,
            info: Data("vaxtrace signing-keys aes-gcm v1".utf8),
            outputByteCount: 32
        )
    }

    /// A certificate signing private key (PKCS#8 DER) sealed for storage, base64 of nonce ‖ ciphertext ‖ tag,
    /// under its own key derived from the same master key.
    public func sealSigningKey(_ pkcs8: [UInt8]) throws -> String {
        let box = try AES.GCM.seal(pkcs8, using: signingKeysKey)
        guard let combined = box.combined else { throw NationalIDVaultError.badKey("AES-GCM gave no output") }
        return combined.base64EncodedString()
    }

    /// The PKCS#8 DER inside a sealed signing key; throws when it was sealed with another key or altered.
    public func openSigningKey(_ sealed: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: sealed) else { throw NationalIDVaultError.corrupt }
        return [UInt8](try AES.GCM.open(try AES.GCM.SealedBox(combined: data), using: signingKeysKey))
    }

    /// A vault from the base64 text of the master key, as configuration holds it.
    public init(base64Key: String) throws(NationalIDVaultError) {
        guard let data = Data(base64Encoded: base64Key.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw .badKey("the key is not base64")
        }
        try self.init(masterKey: SymmetricKey(data: data))
    }

    /// A new random master key, base64 (for `make run`'s development key).
    public static func generateBase64Key() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// The keyed hash of a number: HMAC-SHA256 truncated to 128 bits (RFC 2104 §5), 32 hex digits.
    /// 128 bits keep collisions out of reach for any population while halving the unique index.
    public func lookupHash(of number: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(number.utf8), using: hashingKey)
        return Hex.encode(mac.prefix(16))
    }

    /// A 32-byte key for one purpose (a MAC key, say), derived from the hashing key so it changes with the
    /// master key and with nothing else.
    public func purposeKey(_ purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: hashingKey,
            info: Data("vaxtrace purpose \(purpose)".utf8),
            outputByteCount: 32
        )
    }

    /// A fingerprint of the key (an HMAC of a fixed text): equal for the same key, reveals nothing of it.
    public var fingerprint: String { lookupHash(of: "vaxtrace key fingerprint v1") }

    /// Records the key's fingerprint in an empty database, or checks it against the recorded one, so a
    /// server never starts with a key other than the one the data was sealed with.
    public func checkMatches(_ database: VaxDatabase) async throws {
        let fingerprint = self.fingerprint
        let recorded = try await database.write { sql in
            if let existing = try await sql.select().column("fingerprint").from("key_fingerprints")
                .where("purpose", .equal, "national-id").first(decodingColumn: "fingerprint", as: String.self)
            {
                return existing
            }
            try await sql.insert(into: "key_fingerprints").columns("purpose", "fingerprint")
                .values(SQLBind("national-id"), SQLBind(fingerprint)).run()
            return fingerprint
        }
        guard recorded == fingerprint else {
            throw NationalIDVaultError.badKey(
                "this is not the key the registry's national ID numbers were sealed with; use that key"
            )
        }
    }

    /// The number sealed with a random nonce, base64 of nonce ‖ ciphertext ‖ tag.
    public func seal(_ number: String) throws -> String {
        let box = try AES.GCM.seal(Data(number.utf8), using: sealingKey)
        guard let combined = box.combined else { throw NationalIDVaultError.badKey("AES-GCM gave no output") }
        return combined.base64EncodedString()
    }

    /// The number inside a sealed value; throws when it was sealed with another key or altered.
    public func open(_ sealed: String) throws -> String {
        guard let data = Data(base64Encoded: sealed) else { throw NationalIDVaultError.corrupt }
        let box = try AES.GCM.SealedBox(combined: data)
        let plain = try AES.GCM.open(box, using: sealingKey)
        guard let text = String(data: plain, encoding: .utf8) else { throw NationalIDVaultError.corrupt }
        return text
    }
}

/// A vault that cannot work.
public enum NationalIDVaultError: Error, CustomStringConvertible {
    /// The configured key is unusable.
    case badKey(String)
    /// A stored value is not a sealed box.
    case corrupt

    public var description: String {
        switch self {
        case .badKey(let reason): "PERSON_ID_KEY: \(reason)"
        case .corrupt: "a sealed national ID is corrupt"
        }
    }
}
