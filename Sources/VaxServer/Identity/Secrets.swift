import Crypto
import Foundation
import VaxStorage

/// Random secrets and how they are compared: tokens are random 256-bit values, stored only as SHA-256
/// digests, compared in constant time.
enum Secrets {
    /// A token: `prefix` + 43 characters of base64url (32 random bytes).
    static func token(prefix: String) -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return prefix
            + bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The hex SHA-256 digest of a token, as stored.
    static func digest(_ secret: String) -> String {
        Hex.encode(SHA256.hash(data: Data(secret.utf8)))
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEquals(_ left: String, _ right: String) -> Bool {
        let a = Array(left.utf8)
        let b = Array(right.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// Six uniformly random digits.
    static func sixDigitCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = Int.random(in: 0..<1_000_000, using: &generator)
        let digits = String(value)
        return String(repeating: "0", count: 6 - digits.count) + digits
    }

    /// Characters of recovery codes and TOTP secrets: base32 without look-alikes' confusion (RFC 4648).
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")

    /// A recovery code: three groups of four (60 bits), e.g. `k7fq-2mxa-pd4e`.
    static func recoveryCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let groups = (0..<3).map { _ in String((0..<4).map { _ in alphabet.randomElement(using: &generator)! }) }
        return groups.joined(separator: "-")
    }

    /// A TOTP secret: 32 random base32 characters (160 bits). HummingbirdOTP keys the HMAC with the
    /// secret's UTF-8 bytes and base32-encodes those bytes into the enrolment URI.
    static func totpSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet.randomElement(using: &generator)!.uppercased().first! })
    }
}
