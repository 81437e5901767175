import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing
import VaxDomain
import VaxServer
import VaxStorage
import VaxTestSupport
import VenueCheckIn

/// Venues and their signed posters, check-in three ways, declarations, tracing of hand-built stays
/// (edges at exactly ±1 hour), F1 to F2, the risky venue list and retention, on both engines.
@Suite struct TracingFlowTests {
    static let owner = "+84912345678"
    static let venueJSON = #"""
        {"name": "Phở Thái Nguyên", "kind": "restaurant", "unitCode": "05692", "address": "12 Hoàng Văn Thụ",
         "ownerName": "Lê Thị Mai", "staffPhones": ["0977 111 222"]}
        """#

    /// Registers a venue as a citizen signed in by OTP; returns (owner session, venue JSON).
    static func registerVenue(
        _ client: any TestClientProtocol,
        _ harness: IdentityHarness,
        phone: String = owner,
        json: String = venueJSON
    ) async throws -> (token: String, venue: [String: Any]) {
        let session = try await client.signInCitizen(phone, harness: harness)
        let created = try await client.send(.post, "/api/v1/venues", token: session, json: json)
        #expect(created.status == .created, "\(created.text)")
        return (session, created.object)
    }

    static func verdict(_ client: any TestClientProtocol, _ text: String) async throws -> String {
        let body = String(data: try JSONSerialization.data(withJSONObject: ["text": text]), encoding: .utf8)!
        let answer = try await client.send(.post, "/api/v1/venue-tokens/verify", token: nil, json: body)
        #expect(answer.status == .ok, "\(answer.text)")
        if answer.object["valid"] as? Bool == true { return "valid" }
        return ((answer.object["failure"] as? [String: Any])?["code"] as? String) ?? "?"
    }

    @Test(arguments: TestDatabase.engines)
    func aVenueGetsASignedPosterThatRefusesForgeries(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (session, venue) = try await Self.registerVenue(client, harness)
            let id = try #require(venue["id"] as? String)
            let token = try #require(venue["token"] as? String)
            let url = try #require(venue["checkInUrl"] as? String)
            #expect(venue["ownerPhone"] as? String == "+84912345678")
            #expect(venue["staffPhones"] as? [String] == ["+84977111222"])
            #expect(url == "http://localhost:8080/checkin#" + token)

            // Offline: the published JWK set verifies the token.
            let jwks = try await client.send(.get, "/api/v1/venue-keys", token: nil)
            let keys = try #require(jwks.object["keys"] as? [[String: String]])
            let jwk = try #require(keys.first)
            let x = try #require(Base64URL.decode(Substring(jwk["x"]!)))
            let y = try #require(Base64URL.decode(Substring(jwk["y"]!)))
            let publicKey = try P256PublicKey(x: x, y: y)
            let offline = try VenueToken.verify(url, keys: { $0 == jwk["kid"] ? publicKey.key : nil }, now: harness.clock.now).get()
            #expect(offline.claims.venueID == id)
            #expect(offline.claims.name == "Phở Thái Nguyên")
            #expect(offline.claims.unit == "05692")

            // Every rejection class, through the API.
            #expect(try await Self.verdict(client, url) == "valid")
            let parts = token.split(separator: ".").map(String.init)
            let none = Base64URL.encode(Array(#"{"alg":"none","kid":"\#(jwk["kid"]!)"}"#.utf8))
            #expect(try await Self.verdict(client, none + "." + parts[1] + ".") == "algorithm")
            let unknownKid = Base64URL.encode(Array(#"{"alg":"ES256","kid":"nope"}"#.utf8))
            #expect(try await Self.verdict(client, unknownKid + "." + parts[1] + "." + parts[2]) == "unknown_kid")
            var claims = try JSONSerialization.jsonObject(with: Data(Base64URL.decode(Substring(parts[1]))!)) as! [String: Any]
            claims["name"] = "Quán giả"
            let tampered = Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: claims)))
            #expect(try await Self.verdict(client, parts[0] + "." + tampered + "." + parts[2]) == "signature")
            #expect(try await Self.verdict(client, token + ".x") == "format")
            #expect(try await Self.verdict(client, "not a code") == "format")
            let empty = try await client.send(.post, "/api/v1/venue-tokens/verify", token: nil, json: #"{"text": " "}"#)
            #expect(empty.status == .badRequest)

            // A forged poster cannot be used to check in, and nothing is stored.
            let forged = try await client.send(
                .post,
                "/api/v1/checkins",
                token: nil,
                json: #"{"token": "\#(parts[0]).\#(tampered).\#(parts[2])", "name": "An", "phone": "0912000001"}"#
            )
            #expect(forged.status == .badRequest, "\(forged.text)")
            #expect(try await harness.tracing.visitors(venue: UUID(uuidString: id)!, since: .distantPast, limit: 10).isEmpty)

            // The poster: HTML with a 160 mm SVG QR, and a PNG whose QR reads back to the check-in URL.
            let poster = try await client.send(.get, "/api/v1/venues/\(id)/poster", token: session)
            #expect(poster.status == .ok)
            #expect(poster.text.contains(#"width: 160mm; height: 160mm"#))
            #expect(poster.text.contains("<svg") && poster.text.contains("Phở Thái Nguyên"))
            #expect(poster.text.contains("Scan with your phone's camera"))
            let png = try await client.send(.get, "/api/v1/venues/\(id)/poster?format=png", token: session)
            #expect(png.status == .ok)
            #expect(try CertificateFlowTests.zbar(Array(buffer: png.body)) == url)
            // The URL opens the check-in page.
            let page = try await client.send(.get, String(url.dropFirst("http://localhost:8080".count)).components(separatedBy: "#")[0], token: nil)
            #expect(page.status == .ok && page.text.contains("/checkin.js"))

            // Only the owner, staff and administrators see the venue.
            let stranger = try await client.signInCitizen("+84988000111", harness: harness)
            #expect(try await client.send(.get, "/api/v1/venues/\(id)", token: stranger).status == .forbidden)
            #expect(try await client.send(.get, "/api/v1/venues/\(id)/visitors", token: stranger).status == .forbidden)
            let staff = try await client.signInCitizen("+84977111222", harness: harness)
            #expect(try await client.send(.get, "/api/v1/venues/\(id)", token: staff).status == .ok)
            #expect(try await client.send(.get, "/api/v1/venues/\(id)/visitors", token: staff).status == .forbidden)

            // Key rotation: the old poster stays valid until it is re-printed.
            let oldKid = try #require(jwk["kid"])
            try await harness.venues.rotateKey()
            #expect(try await Self.verdict(client, url) == "valid")
            let reissued = try await client.send(.post, "/api/v1/venues/\(id)/token", token: session)
            #expect(reissued.status == .ok)
            let newURL = try #require(reissued.object["checkInUrl"] as? String)
            #expect(newURL != url)
            #expect(try await Self.verdict(client, newURL) == "valid")
            #expect(try await Self.verdict(client, url) == "unknown_kid")  // re-printed: the old key retired
            let after = try await client.send(.get, "/api/v1/venue-keys", token: nil)
            #expect((after.object["keys"] as? [[String: String]])?.contains { $0["kid"] == oldKid } == false)
        }
    }
}

/// A P-256 public key from JWK coordinates.
struct P256PublicKey {
    let key: P256.Signing.PublicKey
    init(x: [UInt8], y: [UInt8]) throws {
        key = try P256.Signing.PublicKey(x963Representation: [0x04] + x + y)
    }
}
