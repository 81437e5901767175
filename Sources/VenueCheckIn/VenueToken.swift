import Crypto
import Foundation

/// What a venue poster's signed token says: a compact JWS (ES256, kid) whose payload is these claims.
/// Any app holding the published venue keys checks offline that a poster is genuine.
public struct VenueClaims: Sendable, Equatable, Codable {
    /// The venue's id.
    public var venueID: String
    /// The venue's name as printed.
    public var name: String
    /// The commune (or ward) code it is in.
    public var unit: String
    /// Its kind (restaurant, market, office, …).
    public var type: String
    /// When the token was made, in whole seconds since 1970.
    public var issuedAt: Int64

    enum CodingKeys: String, CodingKey {
        case venueID = "vid"
        case name
        case unit
        case type = "vt"
        case issuedAt = "iat"
    }

    /// Claims.
    public init(venueID: String, name: String, unit: String, type: String, issuedAt: Int64) {
        self.venueID = venueID
        self.name = name
        self.unit = unit
        self.type = type
        self.issuedAt = issuedAt
    }
}

/// Why a venue token was refused.
public enum VenueTokenFailure: Error, Equatable, Sendable {
    /// The signature layer refused it.
    case jws(JWSFailure)
    /// Signed, but the claims are not a venue's.
    case claims(String)
    /// Issued after the given time (a poster from the future is a forgery or a broken clock).
    case notYetValid

    /// A short code.
    public var code: String {
        switch self {
        case .jws(let failure): failure.code
        case .claims: "claims"
        case .notYetValid: "not_yet_valid"
        }
    }

    /// A sentence for people.
    public var message: String {
        switch self {
        case .jws(let failure): failure.message
        case .claims(let detail): "The code is signed but is not a venue's: \(detail)."
        case .notYetValid: "The code was made in the future."
        }
    }
}

/// Making and reading venue tokens.
public enum VenueToken {
    /// The path of the check-in page; the token follows in the fragment, so it never reaches a log.
    public static let checkInPath = "/checkin"

    /// Signs `claims` under `kid`.
    public static func issue(_ claims: VenueClaims, kid: String, key: P256.Signing.PrivateKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try CompactJWS.sign(payload: Array(try encoder.encode(claims)), kid: kid, key: key)
    }

    /// The URL printed in the QR: `BASE/checkin#TOKEN`.
    public static func url(base: String, token: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        return base + checkInPath + "#" + token
    }

    /// The token inside a scanned text: the fragment of a check-in URL, or the bare token.
    ///
    /// Read byte by byte (UTF-8): the separators are ASCII, and the character-level search showed in the
    /// check-in profile.
    public static func token(in text: String) -> Substring {
        let trimmed = trimmed(text)
        let bytes = trimmed.utf8
        guard let hash = bytes.firstIndex(of: UInt8(ascii: "#")) else { return trimmed }
        let path = checkInPath.utf8
        let before = bytes[..<hash]
        guard before.count >= path.count, before.suffix(path.count).elementsEqual(path) else { return trimmed }
        return trimmed[bytes.index(after: hash)...]
    }

    /// `text` without leading and trailing white space (by hand: Foundation's trimming showed in the
    /// check-in profile); text that starts and ends with a printable ASCII character is returned as it is.
    public static func trimmed(_ text: String) -> Substring {
        if let first = text.utf8.first, let last = text.utf8.last, (0x21..<0x7F).contains(first),
            (0x21..<0x7F).contains(last)
        {
            return Substring(text)
        }
        var trimmed = Substring(text)
        while let first = trimmed.unicodeScalars.first, first.properties.isWhitespace { trimmed.removeFirst() }
        while let last = trimmed.unicodeScalars.last, last.properties.isWhitespace { trimmed.removeLast() }
        return trimmed
    }

    /// Verifies a scanned text (URL or token) against `keys`; `now` refuses tokens from the future
    /// (five minutes of clock drift allowed).
    public static func verify(
        _ text: String,
        keys: (String) -> P256.Signing.PublicKey?,
        now: Date
    ) -> Result<(kid: String, claims: VenueClaims), VenueTokenFailure> {
        switch CompactJWS.verify(token(in: text), keys: keys) {
        case .failure(let failure):
            return .failure(.jws(failure))
        case .success(let jws):
            guard let claims = try? JSONDecoder().decode(VenueClaims.self, from: Data(jws.payload)) else {
                return .failure(.claims("the payload lacks vid, name, unit, vt or iat"))
            }
            guard !claims.venueID.isEmpty, !claims.name.isEmpty else {
                return .failure(.claims("an empty venue id or name"))
            }
            guard Double(claims.issuedAt) <= now.timeIntervalSince1970 + 300 else { return .failure(.notYetValid) }
            return .success((jws.kid, claims))
        }
    }
}

/// The signed UK venue QR (`UKC19TRACING:<version>:<JWS>`), read with the same JWS checks as ours: the
/// external test vectors of the NHS COVID-19 apps prove that our verifier refuses what theirs refused.
public enum UKVenueQR {
    /// Why a UK venue QR was refused, named as the NHS decoders name it.
    public enum Failure: Error, Equatable, Sendable {
        case invalidPrefix
        case invalidFormat
        case invalidVersionNumber
        case invalidKey
        case invalidSignature
    }

    /// The venue claims the UK app reads.
    public struct Venue: Sendable, Equatable, Decodable {
        public var id: String
        public var opn: String
        public var pc: String?
    }

    /// Decodes and verifies a UK venue QR.
    public static func decode(_ text: String, keys: (String) -> P256.Signing.PublicKey?) -> Result<Venue, Failure> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(.invalidFormat) }
        guard parts[0] == "UKC19TRACING" else { return .failure(.invalidPrefix) }
        guard let version = Int(parts[1]), version >= 1 else { return .failure(.invalidVersionNumber) }
        switch CompactJWS.verify(parts[2], keys: keys) {
        case .failure(.format): return .failure(.invalidFormat)
        case .failure(.unknownKey): return .failure(.invalidKey)
        case .failure(.algorithm), .failure(.signature): return .failure(.invalidSignature)
        case .success(let jws):
            guard let venue = try? JSONDecoder().decode(Venue.self, from: Data(jws.payload)) else {
                return .failure(.invalidFormat)
            }
            return .success(venue)
        }
    }
}
