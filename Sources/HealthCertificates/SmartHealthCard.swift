import Crypto
import Foundation

/// SMART Health Cards (https://spec.smarthealth.cards): a FHIR Bundle inside a verifiable credential, as
/// JWT claims that are minified, raw-DEFLATE compressed and signed with ES256 as a compact JWS, then shown
/// as one or more `shc:/` QR codes in numeric mode.
public enum SmartHealthCard {
    public static let prefix = "shc:/"
    /// Longer texts are not cards: even a dozen chunks of 1,191 characters take under 30,000 digits.
    public static let maxLength = 64 * 1024
    /// The largest payload we inflate (the JSON of a card fits a few QR codes), against decompression bombs.
    public static let maxPayload = 64 * 1024
    /// The longest JWS the specification puts into a single QR code (version 22 at error correction L).
    public static let maxSingleQRLength = 1195

    static let healthCardType = "https://smarthealth.cards#health-card"
    static let immunizationType = "https://smarthealth.cards#immunization"
    static let cvxSystem = "http://hl7.org/fhir/sid/cvx"
    static let fhirVersion = "4.0.1"

    /// One dose, as the FHIR Immunization resource of a card records it.
    public struct Immunization: Sendable, Equatable {
        /// The CDC CVX code of the vaccine (e.g. "207", Moderna COVID-19).
        public var cvx: String
        /// The day of the dose, "YYYY-MM-DD".
        public var date: String
        public var lotNumber: String?
        /// Who gave the dose, as shown to a verifier (the performer's actor display).
        public var performer: String?

        public init(cvx: String, date: String, lotNumber: String? = nil, performer: String? = nil) {
            self.cvx = cvx
            self.date = date
            self.lotNumber = lotNumber
            self.performer = performer
        }
    }

    // MARK: Issuing

    /// Signs an immunization card and returns its compact JWS (`header.payload.signature`).
    ///
    /// The header is `{"alg":"ES256","zip":"DEF","kid":…}` with the kid the RFC 7638 thumbprint of the key, as
    /// the specification requires, so a verifier finds the key in the issuer's `/.well-known/jwks.json`. The
    /// payload is the minified JSON claims (`iss`, `nbf` in whole seconds, `exp` when given, `vc`), raw-DEFLATE
    /// compressed. The input is checked first (a `.schema` failure): at least one dose, CVX codes of digits,
    /// full dates for doses, a FHIR date for the birth date, and an https issuer URL without a trailing `/`.
    ///
    /// - Parameters:
    ///   - issuer: the issuer's base URL; its keys are published at `issuer + "/.well-known/jwks.json"`.
    ///   - issuedAt: becomes `nbf`, rounded down to the second so a card verifies the moment it is issued.
    ///   - expiresAt: becomes `exp`; cards normally do not expire (a visitor's pass might).
    public static func issue(
        vaccinations: [Immunization],
        familyName: String,
        givenNames: [String],
        birthDate: String,
        issuer: String,
        issuedAt: Date,
        expiresAt: Date? = nil,
        key: P256.Signing.PrivateKey
    ) throws -> String {
        try checkInput(vaccinations: vaccinations, familyName: familyName, birthDate: birthDate, issuer: issuer)
        var name: [String: JSONValue] = ["family": .string(familyName)]
        if !givenNames.isEmpty { name["given"] = .array(givenNames.map(JSONValue.string)) }
        let patient: JSONValue = .object([
            "resourceType": .string("Patient"),
            "name": .array([.object(name)]),
            "birthDate": .string(birthDate),
        ])
        var entries: [JSONValue] = [.object(["fullUrl": .string("resource:0"), "resource": patient])]
        for (index, dose) in vaccinations.enumerated() {
            var immunization: [String: JSONValue] = [
                "resourceType": .string("Immunization"),
                "status": .string("completed"),
                "vaccineCode": .object([
                    "coding": .array([.object(["system": .string(cvxSystem), "code": .string(dose.cvx)])])
                ]),
                "patient": .object(["reference": .string("resource:0")]),
                "occurrenceDateTime": .string(dose.date),
            ]
            if let lot = dose.lotNumber { immunization["lotNumber"] = .string(lot) }
            if let performer = dose.performer {
                immunization["performer"] = .array([.object(["actor": .object(["display": .string(performer)])])])
            }
            entries.append(.object(["fullUrl": .string("resource:\(index + 1)"), "resource": .object(immunization)]))
        }
        var claims: [String: JSONValue] = [
            "iss": .string(issuer),
            "nbf": .number(issuedAt.timeIntervalSince1970.rounded(.down)),
            "vc": .object([
                "type": .array([.string(healthCardType), .string(immunizationType)]),
                "credentialSubject": .object([
                    "fhirVersion": .string(fhirVersion),
                    "fhirBundle": .object([
                        "resourceType": .string("Bundle"),
                        "type": .string("collection"),
                        "entry": .array(entries),
                    ]),
                ]),
            ]),
        ]
        if let expiresAt { claims["exp"] = .number(expiresAt.timeIntervalSince1970.rounded(.down)) }
        return try sign(payload: [UInt8](JSONValue.object(claims).encoded()), key: key)
    }

    /// Signs minified JSON claims as a card's compact JWS (compressing them first).
    static func sign(payload: [UInt8], key: P256.Signing.PrivateKey) throws -> String {
        let kid = JWKS.thumbprint(of: key.publicKey)
        // Written out rather than encoded so the members keep the specification's order.
        let header = #"{"alg":"ES256","zip":"DEF","kid":"\#(kid)"}"#
        let signingInput =
            base64URLEncode(Array(header.utf8)) + "." + base64URLEncode(Deflate.compress(payload, .raw))
        let signature = try SigningKey.p256(key).sign(Array(signingInput.utf8))
        return signingInput + "." + base64URLEncode(signature)
    }

    static func checkInput(
        vaccinations: [Immunization],
        familyName: String,
        birthDate: String,
        issuer: String
    ) throws(CertificateFailure) {
        func fail(_ detail: String) -> CertificateFailure { CertificateFailure(.schema, detail) }
        guard !vaccinations.isEmpty else { throw fail("an immunization card records at least one dose") }
        for dose in vaccinations {
            guard !dose.cvx.isEmpty, dose.cvx.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw fail("the CVX code \"\(dose.cvx)\" is not a number")
            }
            guard isFHIRDate(dose.date, fullOnly: true) else {
                throw fail("the dose date \"\(dose.date)\" is not YYYY-MM-DD")
            }
        }
        guard !familyName.isEmpty else { throw fail("the family name is empty") }
        guard isFHIRDate(birthDate, fullOnly: false) else {
            throw fail("the birth date \"\(birthDate)\" is not YYYY-MM-DD, YYYY-MM or YYYY")
        }
        guard let url = URL(string: issuer), url.scheme == "https", url.host?.isEmpty == false,
            !issuer.hasSuffix("/")
        else {
            throw fail("the issuer \"\(issuer)\" is not an https URL without a trailing /")
        }
    }

    /// "YYYY-MM-DD", or also "YYYY-MM" and "YYYY" unless `fullOnly` (FHIR `date`).
    static func isFHIRDate(_ text: String, fullOnly: Bool) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (fullOnly ? 3...3 : 1...3).contains(parts.count) else { return false }
        let widths = [4, 2, 2]
        for (index, part) in parts.enumerated() {
            guard part.utf8.count == widths[index], part.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
                return false
            }
        }
        if parts.count >= 2, let month = Int(parts[1]), !(1...12).contains(month) { return false }
        if parts.count == 3, let day = Int(parts[2]), !(1...31).contains(day) { return false }
        return true
    }

    // MARK: QR codes

    /// The `shc:/` texts of the QR codes that show `jws`: each character c becomes the two digits of
    /// c − 45 (numeric mode holds 20% more than byte mode). A JWS longer than `maxChunkLength` is split, as
    /// the specification asks, into the fewest balanced chunks of at most `maxChunkLength − 4` characters
    /// (1,191 by default, leaving room for the ordinal), each written `shc:/C/N/digits`.
    ///
    /// `jws` must be a compact JWS (base64url and dots), such as `issue` returns: any other character is a
    /// programming error and traps.
    public static func qrChunks(_ jws: String, maxChunkLength: Int = maxSingleQRLength) -> [String] {
        let characters = Array(jws.unicodeScalars)
        guard characters.count > maxChunkLength else { return [prefix + numeric(characters[...])] }
        let chunkLimit = max(1, maxChunkLength - 4)
        let count = (characters.count + chunkLimit - 1) / chunkLimit
        let base = characters.count / count
        let longer = characters.count % count
        var chunks: [String] = []
        var start = 0
        for index in 0..<count {
            let end = start + base + (index < longer ? 1 : 0)
            chunks.append("\(prefix)\(index + 1)/\(count)/" + numeric(characters[start..<end]))
            start = end
        }
        return chunks
    }

    static func numeric(_ characters: ArraySlice<Unicode.Scalar>) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(characters.count * 2)
        for character in characters {
            let value = Int(character.value) - 45
            precondition((0...99).contains(value), "\(character) cannot appear in a compact JWS")
            digits.append(0x30 + UInt8(value / 10))
            digits.append(0x30 + UInt8(value % 10))
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// The JWS from the texts of a card's QR codes, in any order (a wallet may scan them so). One code
    /// is `shc:/digits` (or `shc:/1/1/digits`); several are each `shc:/C/N/digits` with the same N.
    /// Every digit pair must be at most 77 (`z`); a missing, repeated or out-of-range chunk is a
    /// `.format` failure that says which.
    public static func jws(fromQR chunks: [String]) throws(CertificateFailure) -> String {
        func fail(_ detail: String) -> CertificateFailure { CertificateFailure(.format, detail) }
        guard !chunks.isEmpty else { throw fail("no QR text") }
        guard chunks.reduce(0, { $0 + $1.utf8.count }) <= maxLength else {
            throw fail("longer than \(maxLength) characters")
        }
        var bodies: [Int: Substring] = [:]
        var total: Int?
        for chunk in chunks {
            let text = chunk.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let body = unprefix(text) else {
                throw fail("a SMART Health Card QR text starts with \"\(prefix)\"")
            }
            let fields = body.split(separator: "/", omittingEmptySubsequences: false)
            let index: Int
            let count: Int
            switch fields.count {
            case 1:
                guard chunks.count == 1 else {
                    throw fail("a card in \(chunks.count) QR codes numbers each one \(prefix)C/N/")
                }
                (index, count) = (1, 1)
            case 3:
                guard let c = decimal(fields[0]), let n = decimal(fields[1]), c >= 1, c <= n else {
                    throw fail("\"\(fields[0])/\(fields[1])\" is not a chunk number C/N with 1 ≤ C ≤ N")
                }
                (index, count) = (c, n)
            default:
                throw fail("a QR text is \(prefix)digits or \(prefix)C/N/digits")
            }
            if let total, total != count { throw fail("the chunks disagree on their number (\(total) and \(count))") }
            total = count
            let digits = fields[fields.count - 1]
            if let earlier = bodies[index], earlier != digits {
                throw fail("two different chunks are numbered \(index)")
            }
            bodies[index] = digits
        }
        let count = total ?? 1
        // Every index is in 1...count, so the set is whole when it has count of them.
        guard bodies.count == count else {
            let missing = (1...count).lazy.filter { bodies[$0] == nil }.prefix(5).map(String.init)
            let list = missing.joined(separator: ", ") + (count - bodies.count > 5 ? ", …" : "")
            let absent = count - bodies.count
            throw fail(absent == 1 ? "chunk \(list) of \(count) is missing" : "chunks \(list) of \(count) are missing")
        }
        var jws = ""
        for index in 1...count {
            jws += try characters(fromNumeric: bodies[index]!, chunk: count > 1 ? index : nil)
        }
        return jws
    }

    static func characters(fromNumeric digits: Substring, chunk: Int?) throws(CertificateFailure) -> String {
        let place = chunk.map { "chunk \($0): " } ?? ""
        let bytes = Array(digits.utf8)
        guard !bytes.isEmpty else { throw CertificateFailure(.format, "\(place)no digits") }
        guard bytes.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw CertificateFailure(.format, "\(place)the numeric data holds a character that is not a digit")
        }
        guard bytes.count % 2 == 0 else {
            throw CertificateFailure(.format, "\(place)an odd number of digits (\(bytes.count)); each character is two")
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2)
        for offset in stride(from: 0, to: bytes.count, by: 2) {
            let value = (bytes[offset] - 0x30) * 10 + (bytes[offset + 1] - 0x30)
            guard value <= 77 else {
                throw CertificateFailure(
                    .format,
                    "\(place)the digit pair \(value) at digit \(offset) is above 77 (\"z\", the highest JWS character)"
                )
            }
            out.append(value + 45)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A positive decimal written with digits only (no sign, no leading zero).
    static func decimal(_ text: Substring) -> Int? {
        guard let first = text.utf8.first, first != 0x30, text.utf8.count <= 9,
            text.utf8.allSatisfy({ (0x30...0x39).contains($0) })
        else { return nil }
        return Int(text)
    }

    /// The part after `shc:/` (the scheme read case-insensitively, as URI schemes are); nil without it.
    static func unprefix(_ text: String) -> Substring? {
        guard text.utf8.count >= prefix.utf8.count, text.prefix(prefix.count).lowercased() == prefix else {
            return nil
        }
        return text.dropFirst(prefix.count)
    }

    /// The JWS of a card text: `shc:/` QR texts separated by whitespace or newlines, or a bare compact JWS.
    static func jws(fromText text: String) throws(CertificateFailure) -> String {
        guard text.utf8.count <= maxLength else {
            throw CertificateFailure(.format, "longer than \(maxLength) characters")
        }
        let tokens = text.split(whereSeparator: \.isWhitespace).map(String.init)
        if let first = tokens.first, unprefix(first) != nil { return try jws(fromQR: tokens) }
        guard tokens.count == 1, tokens[0].split(separator: ".", omittingEmptySubsequences: false).count == 3 else {
            throw CertificateFailure(.format, "a SMART Health Card text starts with \"\(prefix)\" or is a compact JWS")
        }
        return tokens[0]
    }

    // MARK: Decoding

    /// The parts of a compact JWS: the header decoded, the payload and signature still base64url.
    struct JWS {
        var header: JSONValue
        var payload: Substring
        var signature: Substring
        /// What the signature covers: the ASCII of `header.payload` as received.
        var signingInput: [UInt8]

        init(_ text: String) throws(CertificateFailure) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3 else {
                throw CertificateFailure(.decode, "a compact JWS has three parts separated by dots")
            }
            guard let headerBytes = base64URLDecode(parts[0]),
                let header = try? JSONDecoder().decode(JSONValue.self, from: Data(headerBytes)),
                case .object = header
            else {
                throw CertificateFailure(.decode, "the JWS header is not base64url of a JSON object")
            }
            self.header = header
            payload = parts[1]
            signature = parts[2]
            signingInput = Array(text.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        }
    }

    /// The claims of a card's payload that a verifier checks.
    struct Claims {
        var issuer: String
        var notBefore: Date
        var expires: Date?
        var credentialSubject: JSONValue

        /// From the base64url payload of a card's JWS: inflated (raw DEFLATE, bounded) and parsed.
        init(payload: Substring) throws(CertificateFailure) {
            func fail(_ detail: String) -> CertificateFailure { CertificateFailure(.decode, detail) }
            guard let compressed = base64URLDecode(payload) else { throw fail("the JWS payload is not base64url") }
            let json: [UInt8]
            do {
                json = try Deflate.decompress(compressed, .raw, maxOutput: maxPayload)
            } catch {
                throw fail("the payload does not inflate as raw DEFLATE (\(error.reason))")
            }
            guard let claims = try? JSONDecoder().decode(JSONValue.self, from: Data(json)), case .object = claims else {
                throw fail("the payload is not a JSON object")
            }
            guard let issuer = claims["iss"]?.string else { throw fail("the iss claim is missing") }
            guard case .number(let nbf)? = claims["nbf"] else { throw fail("the nbf claim is missing") }
            self.issuer = issuer
            notBefore = Date(timeIntervalSince1970: nbf)
            switch claims["exp"] {
            case nil, .null?: expires = nil
            case .number(let exp)?: expires = Date(timeIntervalSince1970: exp)
            default: throw fail("the exp claim is not a number")
            }
            guard let types = claims["vc"]?["type"]?.array, types.contains(.string(healthCardType)) else {
                throw CertificateFailure(.schema, "vc.type does not hold \(healthCardType)")
            }
            guard let subject = claims["vc"]?["credentialSubject"], case .object? = subject["fhirBundle"] else {
                throw CertificateFailure(.schema, "vc.credentialSubject.fhirBundle is missing")
            }
            credentialSubject = subject
        }

        /// The first Patient of the bundle: its first name (family then given names) and birth date.
        var patient: (name: String?, birthDate: String?)? {
            let entries = credentialSubject["fhirBundle"]?["entry"]?.array ?? []
            guard
                let patient = entries.lazy.compactMap({ $0["resource"] })
                    .first(where: { $0["resourceType"] == .string("Patient") })
            else { return nil }
            var name: String?
            if let first = patient["name"]?.array?.first {
                let parts = [first["family"]?.string] + (first["given"]?.array ?? []).map(\.string)
                let joined = parts.compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
                name = joined.isEmpty ? first["text"]?.string : joined
            }
            return (name, patient["birthDate"]?.string)
        }
    }
}

// MARK: - Keys

/// A JSON Web Key Set of SMART Health Card signing keys: an issuer publishes its public keys at
/// `<iss>/.well-known/jwks.json`, and a verifier finds the key of a card by the kid of its JWS header.
public struct JWKS: Sendable {
    /// A P-256 public key and the kid that names it.
    public struct Key: Sendable {
        /// Normally the RFC 7638 thumbprint of the key, as the specification requires.
        public var kid: String
        public var publicKey: P256.Signing.PublicKey
        /// The `iss` the key signs for, when the set was read from that issuer's URL: a verifier then
        /// refuses a card whose `iss` is another issuer's (a set may merge several issuers' keys).
        public var issuer: String?

        /// The kid defaults to the key's RFC 7638 thumbprint.
        public init(_ publicKey: P256.Signing.PublicKey, kid: String? = nil, issuer: String? = nil) {
            self.publicKey = publicKey
            self.kid = kid ?? JWKS.thumbprint(of: publicKey)
            self.issuer = issuer
        }

        /// The public JWK to publish: kty, kid, use, alg, crv, x, y (never the private `d`).
        public var jwk: JSONValue {
            let point = JWKS.coordinates(of: publicKey)
            return .object([
                "kty": .string("EC"),
                "kid": .string(kid),
                "use": .string("sig"),
                "alg": .string("ES256"),
                "crv": .string("P-256"),
                "x": .string(point.x),
                "y": .string(point.y),
            ])
        }
    }

    /// Why bytes are not a JSON Web Key Set.
    public struct InvalidKeySet: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    public var keys: [Key]

    public init(_ keys: [Key] = []) { self.keys = keys }

    /// Reads a `jwks.json`. Only signing keys on P-256 are kept (`kty` EC, `crv` P-256, with `use` sig and
    /// `alg` ES256 when given): other keys are skipped, as are entries whose point does not decode, and
    /// a private `d` is ignored. A key without a kid gets its thumbprint.
    ///
    /// - Parameter issuer: the `iss` whose URL the set came from, binding its keys to that issuer.
    public init(json: Data, issuer: String? = nil) throws(InvalidKeySet) {
        guard let set = try? JSONDecoder().decode(JSONValue.self, from: json), let entries = set["keys"]?.array else {
            throw InvalidKeySet(description: "a JWK set is a JSON object with a \"keys\" array")
        }
        keys = entries.compactMap { entry in
            guard entry["kty"]?.string == "EC", entry["crv"]?.string == "P-256",
                entry["use"].map({ $0 == .string("sig") }) ?? true,
                entry["alg"].map({ $0 == .string("ES256") }) ?? true,
                let x = entry["x"]?.string.flatMap({ base64URLDecode($0) }), x.count == 32,
                let y = entry["y"]?.string.flatMap({ base64URLDecode($0) }), y.count == 32,
                let key = try? P256.Signing.PublicKey(rawRepresentation: x + y)
            else { return nil }
            return Key(key, kid: entry["kid"]?.string, issuer: issuer)
        }
    }

    /// The keys a kid names (several entries may hold the same key with different certificates).
    public func keys(kid: String) -> [Key] { keys.filter { $0.kid == kid } }

    /// The set as JSON, to publish at `/.well-known/jwks.json`.
    public func json(pretty: Bool = false) -> Data {
        JSONValue.object(["keys": .array(keys.map(\.jwk))]).encoded(pretty: pretty)
    }

    /// The RFC 7638 JWK thumbprint of a P-256 key, base64url: the SHA-256 of the required members in
    /// lexicographic order without whitespace. SMART Health Cards use it as the kid.
    public static func thumbprint(of key: P256.Signing.PublicKey) -> String {
        let point = coordinates(of: key)
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(point.x)","y":"\#(point.y)"}"#
        return base64URLEncode(SHA256.hash(data: Array(canonical.utf8)))
    }

    static func coordinates(of key: P256.Signing.PublicKey) -> (x: String, y: String) {
        let raw = [UInt8](key.rawRepresentation)
        return (base64URLEncode(raw.prefix(32)), base64URLEncode(raw.suffix(32)))
    }
}

// MARK: - Verifying

/// Checks SMART Health Cards against the keys of trusted issuers and a clock.
public struct SmartHealthCardVerifier: Sendable {
    public var keys: JWKS
    /// The `iss` values accepted; nil accepts any issuer that signed with a key of `keys`.
    public var trustedIssuers: Set<String>?
    public var clock: @Sendable () -> Date

    public init(keys: JWKS, trustedIssuers: Set<String>? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.keys = keys
        self.trustedIssuers = trustedIssuers
        self.clock = clock
    }

    /// Verifies a card text: one or more `shc:/` QR texts (in any order, separated by whitespace or
    /// newlines) or a bare compact JWS. The checks, in the order their failure is reported: the QR
    /// encoding (`.format`), the JWS and its header (`.decode`; `alg` ES256 else `.signature`, `zip` DEF),
    /// the kid (`.unknownKid`), the signature (`.signature`), the payload (`.decode`, `.schema`), the
    /// issuer (`.unknownKid` when not trusted or not the key's), `nbf` (`.notYetValid`) and `exp` (`.expired`).
    ///
    /// Whenever the payload decodes, the result shows what the card claims (issuer, times, holder,
    /// credential subject) even when a check fails, as `HC1Verifier` does: for the operator to see, not to
    /// trust.
    public func verify(_ text: String) -> VerificationResult {
        var result = VerificationResult(format: .smartHealthCard, failure: nil)
        do {
            try check(text, into: &result)
        } catch {
            result.failure = error
        }
        return result
    }

    func check(_ text: String, into result: inout VerificationResult) throws(CertificateFailure) {
        let jws = try SmartHealthCard.JWS(SmartHealthCard.jws(fromText: text))
        let algorithm = jws.header["alg"]?.string
        result.algorithm = algorithm
        let kid = jws.header["kid"]?.string
        result.kid = kid.map { base64URLDecode($0) ?? Array($0.utf8) }

        // Decoded ahead of the checks only to show it; its failure is reported after the signature's.
        var claims: SmartHealthCard.Claims?
        var claimsFailure: CertificateFailure?
        if jws.header["zip"]?.string == "DEF" {
            do {
                claims = try SmartHealthCard.Claims(payload: jws.payload)
            } catch {
                claimsFailure = error
            }
        }
        if let claims {
            result.issuer = claims.issuer
            result.issuedAt = claims.notBefore
            result.expiresAt = claims.expires
            result.holderName = claims.patient?.name
            result.dateOfBirth = claims.patient?.birthDate
            result.content = claims.credentialSubject
        }

        guard algorithm == "ES256" else {
            throw CertificateFailure(.signature, "the JWS algorithm \(algorithm ?? "(none)") is not ES256")
        }
        guard let zip = jws.header["zip"]?.string, zip == "DEF" else {
            throw CertificateFailure(.decode, "the JWS header has no \"zip\":\"DEF\" (a raw DEFLATE payload)")
        }
        guard let kid, !kid.isEmpty else { throw CertificateFailure(.unknownKid, "the JWS header names no kid") }
        let candidates = keys.keys(kid: kid)
        guard !candidates.isEmpty else { throw CertificateFailure(.unknownKid, "no trusted key has kid \(kid)") }
        guard let signature = base64URLDecode(jws.signature), signature.count == 64 else {
            throw CertificateFailure(.signature, "the signature is not base64url of 64 bytes (ES256 r‖s)")
        }
        guard
            let signer = candidates.first(where: {
                VerificationKey.p256($0.publicKey).isValid(signature, of: jws.signingInput, algorithm: .es256)
            })
        else {
            throw CertificateFailure(.signature, "the ES256 signature does not verify with the key of kid \(kid)")
        }
        if let claimsFailure { throw claimsFailure }
        guard let claims else { throw CertificateFailure(.decode, "the payload does not decode") }

        if let bound = signer.issuer, bound != claims.issuer {
            throw CertificateFailure(.unknownKid, "the key \(kid) is \(bound)'s, not the issuer's \(claims.issuer)")
        }
        if let trustedIssuers, !trustedIssuers.contains(claims.issuer) {
            throw CertificateFailure(.unknownKid, "the issuer \(claims.issuer) is not trusted")
        }
        let now = clock()
        if now < claims.notBefore {
            throw CertificateFailure(.notYetValid, "valid from \(claims.notBefore), after the validation time \(now)")
        }
        if let expires = claims.expires, now > expires {
            throw CertificateFailure(.expired, "expired at \(expires)")
        }
    }
}

// MARK: - Base64url

/// Base64url without padding (RFC 4648 §5), as JWS and JWK use it.
func base64URLEncode(_ bytes: some Sequence<UInt8>) -> String {
    var text = Data(bytes).base64EncodedString()
    while text.hasSuffix("=") { text.removeLast() }
    return String(text.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
}

/// Strict base64url: the alphabet only, no padding, and canonical (unused trailing bits zero), so
/// each text has exactly one decoding. Nil otherwise.
func base64URLDecode(_ text: some StringProtocol) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count % 4 != 1,
        utf8.allSatisfy({ c in
            (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) || c == 0x2D
                || c == 0x5F
        })
    else { return nil }
    var base64 = utf8.map { $0 == 0x2D ? 0x2B : $0 == 0x5F ? 0x2F : $0 }
    base64.append(contentsOf: [UInt8](repeating: 0x3D, count: (4 - utf8.count % 4) % 4))
    guard let data = Data(base64Encoded: Data(base64)) else { return nil }
    let bytes = [UInt8](data)
    guard base64URLEncode(bytes).utf8.elementsEqual(utf8) else { return nil }
    return bytes
}
