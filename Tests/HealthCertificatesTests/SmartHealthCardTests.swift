import Crypto
import Foundation
import HealthCertificates
import Testing

/// SMART Health Cards: the specification's examples 00–02 (smart-on-fhir/health-cards) with the published
/// example issuer's keys, cards we issue ourselves, and each failure named.
@Suite struct SmartHealthCardTests {
    static let fixtures = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/shc")
    static let exampleIssuer = "https://spec.smarthealth.cards/examples/issuer"
    /// Examples 00 and 02 are signed with the first published key, example 01 with the second (the one with x5c).
    static let exampleKid = "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
    static let exampleKidWithCertificate = "EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw"
    /// 2024-01-01: after the examples' nbf (2023-06-22); they carry no exp.
    static let exampleClock = Date(timeIntervalSince1970: 1_704_067_200)
    static let issuer = "https://vaxtrace.example/shc"
    static let issued = Date(timeIntervalSince1970: 1_700_000_000.75)

    static func text(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func qrTexts(example: Int) throws -> [String] {
        let count = example == 2 ? 3 : 1
        return try (0..<count).map { try text("example-0\(example)-f-qr-code-numeric-value-\($0).txt") }
    }

    static func exampleKeys() throws -> JWKS {
        try JWKS(json: Data(contentsOf: fixtures.appendingPathComponent("issuer-jwks.json")))
    }

    static func exampleVerifier(at clock: Date = exampleClock) throws -> SmartHealthCardVerifier {
        SmartHealthCardVerifier(keys: try exampleKeys(), clock: { clock })
    }

    static func doses() -> [SmartHealthCard.Immunization] {
        [
            .init(cvx: "208", date: "2021-06-01", lotNumber: "EW0182", performer: "Trạm Y tế Bến Nghé"),
            .init(cvx: "208", date: "2021-06-22", lotNumber: "EW0199", performer: "Trạm Y tế Bến Nghé"),
            .init(cvx: "229", date: "2022-10-03", lotNumber: "GH9711", performer: "Bệnh viện Chợ Rẫy"),
        ]
    }

    static func issue(
        key: P256.Signing.PrivateKey,
        issuedAt: Date = issued,
        expiresAt: Date? = nil,
        doses: [SmartHealthCard.Immunization] = doses()
    ) throws -> String {
        try SmartHealthCard.issue(
            vaccinations: doses,
            familyName: "Nguyễn",
            givenNames: ["Thị", "Lan"],
            birthDate: "1985-04-12",
            issuer: issuer,
            issuedAt: issuedAt,
            expiresAt: expiresAt,
            key: key
        )
    }

    static func verifier(for key: P256.Signing.PrivateKey, at clock: Date = issued) -> SmartHealthCardVerifier {
        SmartHealthCardVerifier(keys: JWKS([.init(key.publicKey)]), clock: { clock })
    }

    static func decode64URL(_ text: some StringProtocol) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    static func encode64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A JWS over any header and payload bytes, signed with `key`: to show the checks after the signature.
    static func signedJWS(header: String, payload: [UInt8], key: P256.Signing.PrivateKey) throws -> String {
        let input = encode64URL(Data(header.utf8)) + "." + encode64URL(Data(payload))
        let signature = try key.signature(for: Data(input.utf8)).rawRepresentation
        return input + "." + encode64URL(signature)
    }

    /// The text with the character at `offset` replaced by another of the base64url alphabet.
    static func flipping(_ text: String, at offset: Int) -> String {
        var characters = Array(text)
        characters[offset] = characters[offset] == "A" ? "B" : "A"
        return String(characters)
    }

    // MARK: The specification's examples

    @Test(arguments: [0, 1, 2]) func exampleVerifiesWithThePublishedKeys(example: Int) throws {
        let chunks = try Self.qrTexts(example: example)
        let jws = try Self.text("example-0\(example)-d-jws.txt")
        #expect(try SmartHealthCard.jws(fromQR: chunks) == jws)
        // Our encoder makes the very QR texts of the example (example 02: three balanced chunks).
        #expect(SmartHealthCard.qrChunks(jws) == chunks)

        let verifier = try Self.exampleVerifier()
        let result = verifier.verify(chunks.joined(separator: "\n"))
        #expect(result.failure == nil, "\(result.failure.map(String.init(describing:)) ?? "")")
        #expect(result.format == .smartHealthCard)
        #expect(result.algorithm == "ES256")
        #expect(result.issuer == Self.exampleIssuer)
        let kid = example == 1 ? Self.exampleKidWithCertificate : Self.exampleKid
        #expect(result.kid.map { Self.encode64URL(Data($0)) } == kid)
        let nbf = try #require(result.issuedAt).timeIntervalSince1970
        #expect(abs(nbf - 1_687_450_764.656) < 0.01)
        #expect(result.expiresAt == nil)
        let payload = try JSONDecoder().decode(
            JSONValue.self,
            from: Data(Self.text("example-0\(example)-c-jws-payload-minified.json").utf8)
        )
        #expect(result.content == payload["vc"]?["credentialSubject"])
        if example == 2 {
            // A lab report bundle: no Patient resource, so no holder.
            #expect(result.holderName == nil)
            #expect(result.dateOfBirth == nil)
        } else {
            #expect(result.holderName == "Anyperson John B.")
            #expect(result.dateOfBirth == "1951-01-20")
        }

        // The bare JWS verifies too.
        #expect(verifier.verify(jws).isValid)
    }

    @Test func multiChunkExampleInAnyOrder() throws {
        let chunks = try Self.qrTexts(example: 2)
        let verifier = try Self.exampleVerifier()
        for order in [[2, 0, 1], [1, 2, 0], [2, 1, 0]] {
            let shuffled = order.map { chunks[$0] }
            let result = verifier.verify(shuffled.joined(separator: order[0] == 1 ? " " : "\r\n"))
            #expect(result.isValid, "\(order): \(result.failure.map(String.init(describing:)) ?? "")")
            #expect(try SmartHealthCard.jws(fromQR: shuffled) == Self.text("example-02-d-jws.txt"))
        }
        var random = chunks
        random.shuffle()
        #expect(verifier.verify(random.joined(separator: "\n")).isValid)
    }

    @Test func exampleBeforeItsNotBeforeIsNotYetValid() throws {
        let verifier = try Self.exampleVerifier(at: Date(timeIntervalSince1970: 1_687_450_000))
        let result = verifier.verify(try Self.qrTexts(example: 0)[0])
        #expect(result.failure?.check == .notYetValid)
        // What the card claims is still shown.
        #expect(result.holderName == "Anyperson John B.")
    }

    @Test func publishedKidsAreTheKeysThumbprints() throws {
        let keys = try Self.exampleKeys()
        #expect(keys.keys.count == 2)
        for key in keys.keys {
            #expect(key.kid == JWKS.thumbprint(of: key.publicKey))
        }
        #expect(keys.keys(kid: Self.exampleKid).count == 1)
        #expect(keys.keys(kid: Self.exampleKidWithCertificate).count == 1)
        #expect(keys.keys(kid: "nope").isEmpty)
    }

    @Test func theVerifierOnlyTrustsTheIssuersItIsGiven() throws {
        let keys = try Self.exampleKeys()
        let text = try Self.qrTexts(example: 0)[0]
        let clock = Self.exampleClock
        let trusting = SmartHealthCardVerifier(keys: keys, trustedIssuers: [Self.exampleIssuer], clock: { clock })
        #expect(trusting.verify(text).isValid)
        let other = SmartHealthCardVerifier(keys: keys, trustedIssuers: [Self.issuer], clock: { clock })
        #expect(other.verify(text).failure?.check == .unknownKid)
        // Keys read from one issuer's URL do not sign for another.
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("issuer-jwks.json"))
        let bound = SmartHealthCardVerifier(keys: try JWKS(json: data, issuer: Self.issuer), clock: { clock })
        #expect(bound.verify(text).failure?.check == .unknownKid)
        let right = SmartHealthCardVerifier(keys: try JWKS(json: data, issuer: Self.exampleIssuer), clock: { clock })
        #expect(right.verify(text).isValid)
    }

    // MARK: Cards we issue

    @Test func issuedCardVerifiesAndRoundTripsThroughQRChunks() throws {
        let key = P256.Signing.PrivateKey()
        let jws = try Self.issue(key: key)
        let parts = jws.split(separator: ".")
        #expect(parts.count == 3)
        let header = try #require(Self.decode64URL(parts[0]))
        let kid = JWKS.thumbprint(of: key.publicKey)
        #expect(String(decoding: header, as: UTF8.self) == #"{"alg":"ES256","zip":"DEF","kid":"\#(kid)"}"#)
        #expect(try #require(Self.decode64URL(parts[2])).count == 64)
        let compressed = try #require(Self.decode64URL(parts[1]))
        let json = try Deflate.decompress([UInt8](compressed), .raw)
        // Minified (sorted keys, no line breaks).
        #expect(String(decoding: json, as: UTF8.self).hasPrefix(#"{"iss":"https://vaxtrace.example/shc","nbf":"#))
        #expect(!json.contains(UInt8(ascii: "\n")))
        let payload = try JSONDecoder().decode(JSONValue.self, from: Data(json))
        #expect(payload["iss"] == .string(Self.issuer))
        #expect(payload["nbf"] == .number(1_700_000_000))
        #expect(payload["exp"] == nil)
        let types: [JSONValue] = [
            .string("https://smarthealth.cards#health-card"), .string("https://smarthealth.cards#immunization"),
        ]
        #expect(payload["vc"]?["type"] == .array(types))
        let subject = try #require(payload["vc"]?["credentialSubject"])
        #expect(subject["fhirVersion"] == .string("4.0.1"))
        let bundle = try #require(subject["fhirBundle"])
        #expect(bundle["type"] == .string("collection"))
        let entries = try #require(bundle["entry"]?.array)
        #expect(entries.count == 4)
        #expect(entries[0]["fullUrl"] == .string("resource:0"))
        let dose = try #require(entries[3]["resource"])
        #expect(dose["resourceType"] == .string("Immunization"))
        #expect(dose["status"] == .string("completed"))
        #expect(dose["patient"]?["reference"] == .string("resource:0"))
        #expect(dose["occurrenceDateTime"] == .string("2022-10-03"))
        #expect(dose["lotNumber"] == .string("GH9711"))
        #expect(dose["performer"]?.array?.first?["actor"]?["display"] == .string("Bệnh viện Chợ Rẫy"))
        let coding = dose["vaccineCode"]?["coding"]?.array?.first
        #expect(coding?["system"] == .string("http://hl7.org/fhir/sid/cvx"))
        #expect(coding?["code"] == .string("229"))

        let verifier = Self.verifier(for: key)
        let result = verifier.verify(jws)
        #expect(result.isValid, "\(result.failure.map(String.init(describing:)) ?? "")")
        #expect(result.holderName == "Nguyễn Thị Lan")
        #expect(result.dateOfBirth == "1985-04-12")
        #expect(result.issuer == Self.issuer)
        #expect(result.issuedAt == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(result.content == subject)

        // One QR code by default; several balanced ones when forced.
        let single = SmartHealthCard.qrChunks(jws)
        #expect(single.count == 1 && single[0].hasPrefix("shc:/") && !single[0].dropFirst(5).contains("/"))
        #expect(verifier.verify(single[0]).isValid)
        let chunks = SmartHealthCard.qrChunks(jws, maxChunkLength: 300)
        #expect(chunks.count == (jws.count + 295) / 296)
        #expect(chunks.count >= 3)
        let lengths = chunks.map { $0.split(separator: "/").last!.count / 2 }
        #expect(lengths.reduce(0, +) == jws.count)
        #expect(lengths.max()! - lengths.min()! <= 1 && lengths.max()! <= 296)
        for (index, chunk) in chunks.enumerated() {
            #expect(chunk.hasPrefix("shc:/\(index + 1)/\(chunks.count)/"))
        }
        #expect(try SmartHealthCard.jws(fromQR: chunks.reversed()) == jws)
        #expect(verifier.verify(chunks.shuffled().joined(separator: "\n")).isValid)
    }

    @Test func publishedJWKSOfOurKeyVerifiesOurCards() throws {
        let key = P256.Signing.PrivateKey()
        let published = JWKS([.init(key.publicKey)]).json(pretty: true)
        let jwk = try #require(try JSONDecoder().decode(JSONValue.self, from: published)["keys"]?.array?.first)
        #expect(jwk["kty"] == .string("EC") && jwk["crv"] == .string("P-256"))
        #expect(jwk["use"] == .string("sig") && jwk["alg"] == .string("ES256"))
        #expect(jwk["kid"] == .string(JWKS.thumbprint(of: key.publicKey)))
        #expect(jwk["d"] == nil)
        let raw = key.publicKey.rawRepresentation
        #expect(jwk["x"] == .string(Self.encode64URL(raw.prefix(32))))
        #expect(jwk["y"] == .string(Self.encode64URL(raw.suffix(32))))

        let keys = try JWKS(json: published)
        let clock = Self.issued
        let result = SmartHealthCardVerifier(keys: keys, clock: { clock }).verify(try Self.issue(key: key))
        #expect(result.isValid)
    }

    @Test func keySetsSkipPrivateAndForeignKeys() throws {
        let key = P256.Signing.PrivateKey()
        let raw = key.publicKey.rawRepresentation
        let json = """
            {"keys":[
              {"kty":"EC","crv":"P-256",
               "x":"\(Self.encode64URL(raw.prefix(32)))","y":"\(Self.encode64URL(raw.suffix(32)))",
               "d":"\(Self.encode64URL(key.rawRepresentation))","use":"sig","alg":"ES256"},
              {"kty":"EC","crv":"P-384","kid":"p384","x":"AAAA","y":"AAAA"},
              {"kty":"RSA","kid":"rsa","n":"AQAB","e":"AQAB"},
              {"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"AAAA","y":"AAAA"},
              {"kty":"EC","crv":"P-256","kid":"broken","x":"not base64url!","y":"AAAA"}
            ]}
            """
        let keys = try JWKS(json: Data(json.utf8))
        #expect(keys.keys.count == 1)
        // No kid in the entry: the thumbprint stands in.
        #expect(keys.keys.first?.kid == JWKS.thumbprint(of: key.publicKey))
        #expect(String(decoding: keys.json(), as: UTF8.self).contains("\"d\"") == false)
        let clock = Self.issued
        #expect(SmartHealthCardVerifier(keys: keys, clock: { clock }).verify(try Self.issue(key: key)).isValid)
        #expect(throws: JWKS.InvalidKeySet.self) { try JWKS(json: Data("[]".utf8)) }
    }

    @Test func expiredCard() throws {
        let key = P256.Signing.PrivateKey()
        let expiry = Self.issued.addingTimeInterval(86400)
        let jws = try Self.issue(key: key, expiresAt: expiry)
        let valid = Self.verifier(for: key, at: expiry.addingTimeInterval(-60)).verify(jws)
        #expect(valid.isValid)
        #expect(valid.expiresAt == Date(timeIntervalSince1970: expiry.timeIntervalSince1970.rounded(.down)))
        #expect(Self.verifier(for: key, at: expiry.addingTimeInterval(60)).verify(jws).failure?.check == .expired)
    }

    @Test func cardFromTheFutureIsNotYetValid() throws {
        let key = P256.Signing.PrivateKey()
        let jws = try Self.issue(key: key, issuedAt: Self.issued.addingTimeInterval(3600))
        let result = Self.verifier(for: key).verify(jws)
        #expect(result.failure?.check == .notYetValid)
    }

    @Test func issuingChecksItsInput() throws {
        let key = P256.Signing.PrivateKey()
        let bad: [[SmartHealthCard.Immunization]] = [
            [],
            [.init(cvx: "", date: "2021-06-01")],
            [.init(cvx: "COVID", date: "2021-06-01")],
            [.init(cvx: "208", date: "2021-6-1")],
            [.init(cvx: "208", date: "2021-13-01")],
            [.init(cvx: "208", date: "2021-06")],
        ]
        for doses in bad {
            #expect(throws: CertificateFailure.self) { try Self.issue(key: key, doses: doses) }
        }
        for issuer in ["http://vaxtrace.example", "https://vaxtrace.example/", "vaxtrace"] {
            #expect(throws: CertificateFailure.self) {
                try SmartHealthCard.issue(
                    vaccinations: Self.doses(),
                    familyName: "Nguyễn",
                    givenNames: [],
                    birthDate: "1985",
                    issuer: issuer,
                    issuedAt: Self.issued,
                    key: key
                )
            }
        }
        // A birth year alone is a FHIR date; no given name is allowed.
        let jws = try SmartHealthCard.issue(
            vaccinations: [.init(cvx: "208", date: "2021-06-01")],
            familyName: "Nguyễn",
            givenNames: [],
            birthDate: "1985",
            issuer: Self.issuer,
            issuedAt: Self.issued,
            key: key
        )
        let result = Self.verifier(for: key).verify(jws)
        #expect(result.isValid)
        #expect(result.holderName == "Nguyễn")
        #expect(result.dateOfBirth == "1985")
    }

    // MARK: Failures

    @Test func flippedSignatureCharacterFailsTheSignature() throws {
        let key = P256.Signing.PrivateKey()
        let jws = try Self.issue(key: key)
        let signatureStart = jws.count - 86
        let verifier = Self.verifier(for: key)
        for offset in [signatureStart, signatureStart + 40, jws.count - 2] {
            let result = verifier.verify(Self.flipping(jws, at: offset))
            #expect(result.failure?.check == .signature, "offset \(offset)")
        }
        // The last character carries 4 unused bits: a non-canonical spelling is refused, not ignored.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let last = try #require(alphabet.firstIndex(of: jws.last!))
        #expect(last & 0b1111 == 0)
        let sibling = alphabet[last | 0b0101]
        #expect(verifier.verify(String(jws.dropLast()) + String(sibling)).failure?.check == .signature)

        // The published example, flipped in its signature and in its payload.
        let example = try Self.text("example-00-d-jws.txt")
        let exampleVerifier = try Self.exampleVerifier()
        let payloadEnd = example.lastIndex(of: ".")!.utf16Offset(in: example)
        #expect(exampleVerifier.verify(Self.flipping(example, at: example.count - 20)).failure?.check == .signature)
        #expect(exampleVerifier.verify(Self.flipping(example, at: payloadEnd - 30)).failure?.check == .signature)
        // Through the QR encoding as well.
        let qr = SmartHealthCard.qrChunks(Self.flipping(example, at: example.count - 20))
        #expect(exampleVerifier.verify(qr.joined()).failure?.check == .signature)
    }

    @Test func otherAlgorithmsAreRefused() throws {
        let key = P256.Signing.PrivateKey()
        let parts = try Self.issue(key: key).split(separator: ".").map(String.init)
        let kid = JWKS.thumbprint(of: key.publicKey)
        for alg in ["none", "HS256", "ES384"] {
            let header = #"{"alg":"\#(alg)","zip":"DEF","kid":"\#(kid)"}"#
            let forged = [Self.encode64URL(Data(header.utf8)), parts[1], parts[2]].joined(separator: ".")
            #expect(Self.verifier(for: key).verify(forged).failure?.check == .signature)
        }
        let unzipped = #"{"alg":"ES256","kid":"\#(kid)"}"#
        let forged = [Self.encode64URL(Data(unzipped.utf8)), parts[1], parts[2]].joined(separator: ".")
        #expect(Self.verifier(for: key).verify(forged).failure?.check == .decode)
    }

    @Test func unknownKid() throws {
        // Our own key against the example issuer's keys.
        let ours = try Self.issue(key: P256.Signing.PrivateKey())
        let result = try Self.exampleVerifier(at: Self.issued).verify(ours)
        #expect(result.failure?.check == .unknownKid)
        // What the card claims is still shown, so the operator sees which issuer's keys are missing.
        #expect(result.issuer == Self.issuer)
        // The example against a fresh key.
        let example = try Self.qrTexts(example: 1)[0]
        let fresh = Self.verifier(for: P256.Signing.PrivateKey(), at: Self.exampleClock)
        #expect(fresh.verify(example).failure?.check == .unknownKid)
        // A key listed under the example's kid that is not its key fails the signature instead.
        let impostor = JWKS([.init(P256.Signing.PrivateKey().publicKey, kid: Self.exampleKidWithCertificate)])
        let clock = Self.exampleClock
        #expect(SmartHealthCardVerifier(keys: impostor, clock: { clock }).verify(example).failure?.check == .signature)
    }

    @Test func badNumericDataIsAFormatFailure() throws {
        let chunks = try Self.qrTexts(example: 2)
        let single = try Self.qrTexts(example: 0)[0]
        func renumber(_ chunk: String, _ from: String, _ to: String) -> String {
            chunk.replacingOccurrences(of: "shc:/\(from)/", with: "shc:/\(to)/")
        }
        let bad: [(String, [String])] = [
            ("odd length", [String(single.dropLast())]),
            ("pair above 77", ["shc:/78" + String(single.dropFirst(7))]),
            ("pair 99", [String(single.dropLast(2)) + "99"]),
            ("not a digit", [String(single.prefix(9)) + "x" + String(single.dropFirst(10))]),
            ("no digits", ["shc:/"]),
            ("no prefix", [String(single.dropFirst(5))]),
            ("other scheme", ["HC1:" + single.dropFirst(5)]),
            ("missing chunk", [chunks[0], chunks[2]]),
            ("missing chunks", [chunks[1]]),
            ("index above total", [chunks[0], chunks[1], renumber(chunks[2], "3/3", "4/3")]),
            ("index zero", [renumber(chunks[0], "1/3", "0/3"), chunks[1], chunks[2]]),
            ("leading zero", [renumber(chunks[0], "1/3", "01/3"), chunks[1], chunks[2]]),
            ("totals disagree", [chunks[0], chunks[1], renumber(chunks[2], "3/3", "3/4")]),
            ("repeated index", [chunks[0], chunks[1], renumber(chunks[1], "2/3", "2/3/00")]),
            ("unnumbered among several", [single, chunks[0]]),
            ("too many slashes", ["shc:/1/1/1/" + single.dropFirst(5)]),
            ("nothing", []),
        ]
        for (name, texts) in bad {
            #expect(throws: CertificateFailure.self, "\(name)") { try SmartHealthCard.jws(fromQR: texts) }
            do {
                _ = try SmartHealthCard.jws(fromQR: texts)
            } catch {
                #expect(error.check == .format, "\(name): \(error)")
            }
        }
        let verifier = try Self.exampleVerifier()
        #expect(verifier.verify(String(single.dropLast())).failure?.check == .format)
        #expect(verifier.verify([chunks[2], chunks[0]].joined(separator: "\n")).failure?.check == .format)
        #expect(verifier.verify("hello world").failure?.check == .format)
        #expect(verifier.verify("").failure?.check == .format)
        #expect(verifier.verify(String(repeating: "0", count: 70_000)).failure?.check == .format)

        // A chunk scanned twice is harmless; the missing chunk is named.
        let jws = try Self.text("example-02-d-jws.txt")
        #expect(try SmartHealthCard.jws(fromQR: [chunks[0], chunks[1], chunks[1], chunks[2]]) == jws)
        do {
            _ = try SmartHealthCard.jws(fromQR: [chunks[0], chunks[2]])
        } catch {
            #expect(error.detail == "chunk 2 of 3 is missing")
        }
    }

    @Test func aBrokenJWSOrPayloadIsADecodeOrSchemaFailure() throws {
        let key = P256.Signing.PrivateKey()
        let parts = try Self.issue(key: key).split(separator: ".").map(String.init)
        let verifier = Self.verifier(for: key)
        #expect(verifier.verify("a.b.c").failure?.check == .decode)
        #expect(verifier.verify("!!." + parts[1] + "." + parts[2]).failure?.check == .decode)
        #expect(verifier.verify(parts[0] + "." + parts[1] + ".%%").failure?.check == .signature)

        // Properly signed, but the payload is wrong: reported after the signature check.
        let header = #"{"alg":"ES256","zip":"DEF","kid":"\#(JWKS.thumbprint(of: key.publicKey))"}"#
        func check(_ payload: [UInt8]) throws -> CertificateFailure.Check? {
            verifier.verify(try Self.signedJWS(header: header, payload: payload, key: key)).failure?.check
        }
        let claims =
            #"{"iss":"https://vaxtrace.example/shc","nbf":1700000000,"vc":{"type":"#
            + #"["https://smarthealth.cards#health-card"],"#
            + #""credentialSubject":{"fhirBundle":{"resourceType":"Bundle"}}}}"#
        #expect(try check(Deflate.compress(Array(claims.utf8), .raw)) == nil)
        // zlib-wrapped, or not compressed at all.
        #expect(try check(Deflate.compress(Array(claims.utf8), .zlib)) == .decode)
        #expect(try check(Array(claims.utf8)) == .decode)
        // Not JSON, or no nbf.
        #expect(try check(Deflate.compress(Array("not json".utf8), .raw)) == .decode)
        let noNBF = claims.replacingOccurrences(of: #""nbf":1700000000,"#, with: "")
        #expect(try check(Deflate.compress(Array(noNBF.utf8), .raw)) == .decode)
        // Not a health card, or no FHIR bundle.
        let untyped = claims.replacingOccurrences(of: "#health-card", with: "#other")
        #expect(try check(Deflate.compress(Array(untyped.utf8), .raw)) == .schema)
        let unbundled = claims.replacingOccurrences(of: "fhirBundle", with: "bundle")
        #expect(try check(Deflate.compress(Array(unbundled.utf8), .raw)) == .schema)
        // A decompression bomb: 1 MiB of spaces after the claims inflates past the bound.
        let bomb = Array(claims.utf8) + [UInt8](repeating: 0x20, count: 1 << 20)
        #expect(try check(Deflate.compress(bomb, .raw)) == .decode)
    }
}
