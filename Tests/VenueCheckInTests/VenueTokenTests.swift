import Crypto
import Foundation
import Testing
import VenueCheckIn

/// The NHS COVID-19 apps' signed venue QR vectors (iOS and Android, 29 cases) through our JWS
/// verifier, then our own tokens against the same classes of bad input.
@Suite struct VenueTokenTests {
    struct Vectors: Decodable {
        struct Case: Decodable {
            var platform: String
            var test: String
            var payload: String
            var expected: String
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var python_result: String
        }

        // swift-format-ignore: AlwaysUseLowerCamelCase
        var test_public_key_pem_kid_3: String
        var cases: [Case]
    }

    static let vectors: Vectors = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/nhs_uk_venue_qr_vectors.json")
        return try! JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }()

    @Test func theNHSVenueQRVectorsAreAcceptedAndRejectedAsTheAppsDid() throws {
        let key = try P256.Signing.PublicKey(pemRepresentation: Self.vectors.test_public_key_pem_kid_3)
        let keys: (String) -> P256.Signing.PublicKey? = { $0 == "3" ? key : nil }
        #expect(Self.vectors.cases.count == 29)
        var accepted = 0
        for vector in Self.vectors.cases {
            let result = UKVenueQR.decode(vector.payload, keys: keys)
            switch (vector.expected, result) {
            case ("accept", .success(let venue)):
                #expect(venue.id == "4WT59M5Y", "\(vector.test)")
                accepted += 1
            case ("reject", .failure(let failure)):
                // The Python reference names the reason; ours must be the same class.
                let expected = vector.python_result.split(separator: "(").first.map(String.init) ?? ""
                #expect("\(failure)" == expected, "\(vector.platform) \(vector.test): \(failure) vs \(expected)")
            default:
                Issue.record("\(vector.platform) \(vector.test): expected \(vector.expected), got \(result)")
            }
        }
        #expect(accepted == 6)
    }

    static let signing = P256.Signing.PrivateKey()
    static let claims = VenueClaims(
        venueID: "0190a0b0-0000-7000-8000-000000000001",
        name: "Phở Hà Nội",
        unit: "05818",
        type: "restaurant",
        issuedAt: 1_780_000_000
    )
    static func keys(_ kid: String) -> P256.Signing.PublicKey? { kid == "k1" ? signing.publicKey : nil }
    static let now = Date(timeIntervalSince1970: 1_780_000_100)

    @Test func ourTokenVerifiesFromTheURLOrBare() throws {
        let token = try VenueToken.issue(Self.claims, kid: "k1", key: Self.signing)
        let url = VenueToken.url(base: "https://vaxtrace.example.vn/", token: token)
        #expect(url.hasPrefix("https://vaxtrace.example.vn/checkin#ey"))
        for text in [url, token, " \(token)\n"] {
            let verified = try VenueToken.verify(text, keys: Self.keys, now: Self.now).get()
            #expect(verified.claims == Self.claims)
            #expect(verified.kid == "k1")
        }
    }

    @Test func ourTokenRefusesTheSameClassesOfBadInput() throws {
        let token = try VenueToken.issue(Self.claims, kid: "k1", key: Self.signing)
        let parts = token.split(separator: ".").map(String.init)
        func verdict(_ text: String) -> String {
            switch VenueToken.verify(text, keys: Self.keys, now: Self.now) {
            case .success: "accept"
            case .failure(let failure): failure.code
            }
        }
        let none = Base64URL.encode(Array(#"{"alg":"none","kid":"k1","typ":"JWT"}"#.utf8))
        #expect(verdict(none + "." + parts[1] + ".") == "algorithm")
        #expect(verdict(none + "." + parts[1] + "." + parts[2]) == "algorithm")
        let hs = Base64URL.encode(Array(#"{"alg":"HS256","kid":"k1"}"#.utf8))
        #expect(verdict(hs + "." + parts[1] + "." + parts[2]) == "algorithm")
        let other = try VenueToken.issue(Self.claims, kid: "k9", key: P256.Signing.PrivateKey())
        #expect(verdict(other) == "unknown_kid")
        // A different key under our kid: a forgery.
        #expect(verdict(try VenueToken.issue(Self.claims, kid: "k1", key: P256.Signing.PrivateKey())) == "signature")
        var tampered = Self.claims
        tampered.name = "Quán khác"
        let tamperedPayload = Base64URL.encode(Array(try JSONEncoder().encode(tampered)))
        #expect(verdict(parts[0] + "." + tamperedPayload + "." + parts[2]) == "signature")
        #expect(verdict(token + ".extra") == "format")
        #expect(verdict(parts[0] + "." + parts[1]) == "format")
        #expect(verdict(parts[0] + "." + parts[1] + ".") == "signature")
        #expect(verdict("$§fg§") == "format")
        #expect(verdict("") == "format")
        #expect(verdict(String(repeating: "a", count: 5000)) == "format")
        var future = Self.claims
        future.issuedAt = 1_780_001_000
        #expect(verdict(try VenueToken.issue(future, kid: "k1", key: Self.signing)) == "not_yet_valid")
        let notVenue = try CompactJWS.sign(payload: Array(#"{"id":"x"}"#.utf8), kid: "k1", key: Self.signing)
        #expect(verdict(notVenue) == "claims")
    }

    @Test func staysOverlapWithEdgesIncluded() {
        let t0 = Date(timeIntervalSince1970: 1_780_000_000)
        let f0 = Stay(start: t0, end: t0.addingTimeInterval(1800)).widened(by: 3600)
        // Arrives exactly one hour after the case left: a zero-length instant, counted.
        let edge = Stay(start: t0.addingTimeInterval(1800 + 3600), end: t0.addingTimeInterval(9000))
        #expect(f0.overlap(with: edge)?.duration == 0)
        let after = Stay(start: t0.addingTimeInterval(1800 + 3601), end: t0.addingTimeInterval(9000))
        #expect(f0.overlap(with: after) == nil)
        let before = Stay(start: t0.addingTimeInterval(-7200), end: t0.addingTimeInterval(-3600))
        #expect(f0.overlap(with: before)?.duration == 0)
        let inside = Stay(start: t0.addingTimeInterval(600), end: t0.addingTimeInterval(1200))
        #expect(f0.overlap(with: inside)?.duration == 600)
    }

    @Test func theRiskyVenueListIsSignedAndMatchedOnThePhone() throws {
        let venue = "0190a0b0-0000-7000-8000-000000000001"
        let list = RiskyVenueList(
            generatedAt: 1_780_000_000,
            windows: [.init(venue: RiskyVenueList.hash(venueID: venue), start: 1_779_990_000, end: 1_779_997_200)]
        )
        let signed = try list.signed(kid: "k1", key: Self.signing)
        let read = try RiskyVenueList.verify(signed, keys: Self.keys).get()
        #expect(read == list)
        #expect(!signed.contains(venue))  // no venue id, no personal data
        let t = { (s: Double) in Date(timeIntervalSince1970: s) }
        #expect(read.matches([(venue, Stay(start: t(1_779_996_000), end: t(1_779_999_000)))]).count == 1)
        #expect(read.matches([(venue, Stay(start: t(1_779_997_201), end: t(1_779_999_000)))]).isEmpty)
        #expect(read.matches([("other", Stay(start: t(1_779_996_000), end: t(1_779_999_000)))]).isEmpty)
        let forged = try list.signed(kid: "k1", key: P256.Signing.PrivateKey())
        #expect(RiskyVenueList.verify(forged, keys: Self.keys) == .failure(.signature))
    }
}
