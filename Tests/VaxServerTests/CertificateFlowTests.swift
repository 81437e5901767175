import Foundation
import HTTPTypes
import HealthCertificates
import HummingbirdTesting
import Testing
import VaxDomain
import VaxServer
import VaxStorage
import VaxTestSupport

/// A dose becomes an EU DCC certificate through the outbox (not in the request), signed PS256 as
/// Vietnam's were; it verifies through the API and offline with the published trust list; its QR reads
/// back; a correction re-issues it and revokes the old one, which the revocation list then names.
@Suite struct CertificateFlowTests {
    @Test(arguments: TestDatabase.engines)
    func aDoseBecomesACertificateThatVerifiesAndACorrectionRevokesIt(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let signer = try await harness.certificates.rotateKeys(algorithm: .ps256)
            #expect(signer.algorithm == "PS256")
            let (day, session) = try await CampaignFlowTests.pfizerSessionTomorrowMorning(client, harness.clock)
            let appointment = try await CampaignFlowTests.walkIn(
                client,
                session: session,
                name: "Nguyễn Bảo Duy",
                cccd: "019087006666"
            )
            _ = try await client.send(
                .post,
                "/api/v1/appointments/\(appointment)/screening",
                token: CampaignFlowTests.vaccinator,
                json: CampaignFlowTests.screeningJSON()
            )
            let dose = try await client.send(
                .post,
                "/api/v1/appointments/\(appointment)/dose",
                token: CampaignFlowTests.vaccinator,
                json:
                    #"{"lotNumber": "FK-1", "lotExpiry": "\#(day.adding(days: 90))", "doseNumber": 1, "kind": "primary"}"#
            )
            #expect(dose.status == .created || dose.status == .ok, "\(dose.text)")
            let doseID = try #require(dose.object["id"] as? String)
            let personID = try #require(dose.object["personId"] as? String)
            let path = "/api/v1/people/\(personID)/certificates"

            // Not inside the request: every certificate listed was issued through the outbox. The app's own
            // issuer (every 500 ms) may take the event at any moment, so what is listed lies between the
            // issuer's deliveries counted before and after the listing (0 or 1, never more).
            let issuedBefore = try await Self.issuedDeliveries(harness)
            let listedEarly = try #require((try await client.send(.get, path).object["items"] as? [Any])?.count)
            let issuedAfter = try await Self.issuedDeliveries(harness)
            #expect(issuedBefore <= listedEarly && listedEarly <= issuedAfter && issuedAfter <= 1)
            // The app's own issuer runs every 500 ms beside this one: between them, each event once.
            let issuedHere = try await harness.certificates.processPending()
            let issuedAgain = try await harness.certificates.processPending()
            #expect(issuedHere + issuedAgain <= 1)
            #expect(issuedAgain == 0)
            let listed = try await client.send(.get, path, headers: [HTTPField.Name("X-Access-Reason")!: "in tiêm"])
            let items = try #require(listed.object["items"] as? [[String: Any]])
            #expect(items.count == 1)
            let first = try #require(items.first)
            let text = try #require(first["qrText"] as? String)
            let uvci = try #require(first["uvci"] as? String)
            #expect(text.hasPrefix("HC1:"))
            #expect(uvci.hasPrefix("URN:UVCI:01:VN:") && UVCI.hasValidCheckCharacter(uvci))
            #expect(first["doseId"] as? String == doseID)

            // The content: Vietnamese name with ICAO transliteration, Pfizer's EU codes, 12 months.
            let decoded = try HC1.decode(text)
            #expect(decoded.message.algorithm == .ps256)
            #expect(decoded.claims.issuer == "VN")
            #expect(decoded.claims.certificate.name.familyNameICAO == "NGUYEN")
            #expect(decoded.claims.certificate.name.givenNameICAO == "BAO<DUY")
            let entry = try #require(decoded.claims.certificate.vaccinations.first)
            #expect(entry.product == "EU/1/20/1528" && entry.doseNumber == 1 && entry.totalDoses == 2)
            #expect(entry.date == day.description)
            let months = decoded.claims.expiresAt.timeIntervalSince(decoded.claims.issuedAt) / 86400
            #expect((364...366).contains(months))

            // Verified by the API, and offline with the published trust list.
            let verdict = try await client.send(
                .post,
                "/api/v1/certificates/verify",
                token: nil,
                json: #"{"text": "\#(text)"}"#
            )
            #expect(verdict.object["valid"] as? Bool == true, "\(verdict.text)")
            #expect(verdict.object["holderName"] as? String == "Nguyễn Bảo Duy")
            #expect(verdict.object["content"] == nil)  // only what a verifier needs
            let trust = try await client.send(.get, "/api/v1/certificates/trust-list", token: nil)
            let (list, skipped) = try TrustListDocument.decode(Data(buffer: trust.body))
            #expect(skipped.isEmpty && list.signers.count == 1)
            let offline = HC1Verifier(trust: list, clock: { harness.clock.now })
            #expect(offline.verify(text).isValid)

            // The QR, as PNG and SVG, reads back to the same text.
            let png = try await client.send(.get, "\(path)/\(first["id"] as! String)/qr?format=png")
            #expect(png.status == .ok)
            #expect(png.headers[.contentType] == "image/png")
            #expect(try ZBar.decode(png: Array(buffer: png.body)) == text)
            let svg = try await client.send(.get, "\(path)/\(first["id"] as! String)/qr")
            #expect(svg.text.hasPrefix("<svg"))

            // A correction re-issues and revokes the old certificate; the revocation list names it.
            let corrected = try await client.send(
                .post,
                "/api/v1/doses/\(doseID)/corrections",
                token: CampaignFlowTests.vaccinator,
                json: #"{"reason": "Ghi nhầm số lô", "lotNumber": "FK-2", "lotExpiry": "\#(day.adding(days: 120))"}"#
            )
            #expect(corrected.status == .ok, "\(corrected.text)")
            #expect(try await harness.certificates.processPending() == 1)
            let after = try #require(try await client.send(.get, path).object["items"] as? [[String: Any]])
            #expect(after.count == 2)
            #expect(after.filter { $0["revoked"] as? Bool == true }.map { $0["uvci"] as? String } == [uvci])
            let revocations = try await client.send(.get, "/api/v1/certificates/revocations", token: nil)
            let hashes = revocations.object["hashes"] as? [String] ?? []
            #expect(hashes == [RevocationHash.uci(uvci).map { String(format: "%02x", $0) }.joined()])
            let old = try await client.send(
                .post,
                "/api/v1/certificates/verify",
                token: nil,
                json: #"{"text": "\#(text)"}"#
            )
            #expect((old.object["failure"] as? [String: Any])?["check"] as? String == "revoked")
            let newText = try #require(after.first { $0["revoked"] as? Bool == false }?["qrText"] as? String)
            let new = try await client.send(
                .post,
                "/api/v1/certificates/verify",
                token: nil,
                json: #"{"text": "\#(newText)"}"#
            )
            #expect(new.object["valid"] as? Bool == true)

            // Bad input: junk is a verdict, an empty text a 400; someone else's certificates are not shown.
            let junk = try await client.send(
                .post,
                "/api/v1/certificates/verify",
                token: nil,
                json: #"{"text": "hello"}"#
            )
            #expect(junk.object["valid"] as? Bool == false)
            #expect((junk.object["failure"] as? [String: Any])?["check"] as? String == "format")
            let empty = try await client.send(
                .post,
                "/api/v1/certificates/verify",
                token: nil,
                json: #"{"text": "  "}"#
            )
            #expect(empty.status == .badRequest)
            let stranger = try await client.send(.get, path, token: TestTokens.citizen)
            #expect(stranger.status == .forbidden || stranger.status == .notFound, "\(stranger.status)")
            #expect(try await harness.auditCount(action: "person.read") > 0)
        }
    }

    @Test func rotationKeepsOldSignersPublishedAndSignsWithTheNewOne() async throws {
        try await withIdentityApp(.sqlite) { client, harness in
            let first = try await harness.certificates.rotateKeys(algorithm: .es256)
            let second = try await harness.certificates.rotateKeys(algorithm: .ps256)
            let keys = try await harness.certificates.keys()
            #expect(keys.filter { $0.role == .authority }.count == 1)
            #expect(keys.first { $0.kid == first.kid }?.retiredAt != nil)
            #expect(keys.first { $0.kid == second.kid }?.retiredAt == nil)
            // Private keys are sealed, never stored in the clear.
            #expect(keys.allSatisfy { !$0.sealedPrivateKey.contains("PRIVATE KEY") })
            let trust = try await client.send(.get, "/api/v1/certificates/trust-list", token: nil)
            let kids = (try JSONSerialization.jsonObject(with: Data(buffer: trust.body)) as? [[String: Any]] ?? [])
                .compactMap { $0["kid"] as? String }
            #expect(Set(kids) == [first.kid, second.kid])
        }
    }
}

extension CertificateFlowTests {
    /// How many events the certificate issuer has marked issued.
    static func issuedDeliveries(_ harness: IdentityHarness) async throws -> Int {
        try await harness.database.read { sql in
            try await sql.raw(
                "SELECT COUNT(*) AS n FROM outbox_deliveries WHERE consumer = 'certificates' AND outcome = 'issued'"
            ).first()!.decode(column: "n", as: Int.self)
        }
    }
}
