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
            let offline = try VenueToken.verify(
                url,
                keys: { $0 == jwk["kid"] ? publicKey.key : nil },
                now: harness.clock.now
            ).get()
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
            var claims =
                try JSONSerialization.jsonObject(with: Data(Base64URL.decode(Substring(parts[1]))!)) as! [String: Any]
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
            #expect(
                try await harness.tracing.visitors(venue: UUID(uuidString: id)!, since: .distantPast, limit: 10).isEmpty
            )

            // The poster: HTML with a 160 mm SVG QR, and a PNG whose QR reads back to the check-in URL.
            let poster = try await client.send(.get, "/api/v1/venues/\(id)/poster", token: session)
            #expect(poster.status == .ok)
            #expect(poster.text.contains(#"width: 160mm; height: 160mm"#))
            #expect(poster.text.contains("<svg") && poster.text.contains("Phở Thái Nguyên"))
            #expect(poster.text.contains("Scan with your phone's camera"))
            let png = try await client.send(.get, "/api/v1/venues/\(id)/poster?format=png", token: session)
            #expect(png.status == .ok)
            #expect(try ZBar.decode(png: Array(buffer: png.body)) == url)
            // The URL opens the check-in page.
            let page = try await client.send(
                .get,
                String(url.dropFirst("http://localhost:8080".count)).components(separatedBy: "#")[0],
                token: nil
            )
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

extension TracingFlowTests {
    /// A visitor without an account checks in at a venue by its token; returns (check-in id, check-out code).
    static func visit(
        _ client: any TestClientProtocol,
        token: String,
        name: String,
        phone: String,
        declaration: String? = nil
    ) async throws -> (id: String, code: String, merged: Bool) {
        let extra = declaration.map { #", "declaration": \#($0)"# } ?? ""
        let answer = try await client.send(
            .post,
            "/api/v1/checkins",
            token: nil,
            json: #"{"token": "\#(token)", "name": "\#(name)", "phone": "\#(phone)"\#(extra)}"#
        )
        #expect(answer.status == .created, "\(answer.text)")
        return (
            answer.object["id"] as? String ?? "", answer.object["checkoutCode"] as? String ?? "",
            answer.object["merged"] as? Bool ?? false
        )
    }

    static func leave(_ client: any TestClientProtocol, _ visit: (id: String, code: String, merged: Bool)) async throws
    {
        let answer = try await client.send(
            .post,
            "/api/v1/checkins/\(visit.id)/checkout",
            token: nil,
            json: #"{"checkoutCode": "\#(visit.code)"}"#
        )
        #expect(answer.status == .ok, "\(answer.text)")
    }

    static func count(_ harness: IdentityHarness, _ table: String, _ column: String, before: Date) async throws -> Int {
        try await harness.database.read { sql in
            try await sql.raw(
                "SELECT COUNT(*) AS n FROM \(ident: table) WHERE \(ident: column) < \(bind: before.millisecondsSince1970)"
            ).first()!.decode(column: "n", as: Int.self)
        }
    }

    static func countAll(_ harness: IdentityHarness, _ table: String) async throws -> Int {
        try await harness.database.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()!.decode(column: "n", as: Int.self)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func checkInThreeWaysTraceExactlyTheOverlappingStaysAndForgetAfter21Days(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let clock = harness.clock
            // Partitions for the coming days exist before anyone checks in (on PostgreSQL).
            let retention = TracingRetention(
                store: harness.tracing,
                database: harness.database,
                migrations: MigrationRunner(),
                settings: TracingSettings(),
                clock: clock.wallClock
            )
            _ = try await retention.runOnce()
            if engine == .postgres { #expect(try await harness.tracing.partitions().count == 3) }

            let (session, venue) = try await Self.registerVenue(client, harness)
            let venueID = try #require(venue["id"] as? String)
            let token = try #require(venue["token"] as? String)
            let (_, other) = try await Self.registerVenue(
                client,
                harness,
                phone: "+84912000999",
                json: Self.venueJSON.replacingOccurrences(of: "Phở Thái Nguyên", with: "Chợ Đồng Quang")
            )
            let otherToken = try #require(other["token"] as? String)
            let otherID = try #require(other["id"] as? String)

            // A registered person who checks in with one tap (signed in by OTP with the record's phone).
            let created = try await client.send(
                .post,
                "/api/v1/people",
                json: personJSON(name: "Hoàng Văn An", phone: "0912 111 001")
            )
            #expect(created.status == .created, "\(created.text)")
            let anID = try #require(created.object["id"] as? String)
            let an = try await client.signInCitizen("+84912111001", harness: harness)

            let minute: TimeInterval = 60
            let start = clock.now
            func at(_ minutes: Double) {
                clock.advance(
                    by: start.addingTimeInterval(130 * minute + minutes * minute).timeIntervalSince(clock.now)
                )
            }
            // T0 is 130 minutes after the start; each step moves the clock forward to T0 + minutes.
            at(-130)
            let e = try await Self.visit(client, token: token, name: "Excluded Early", phone: "0912000005")
            at(-120)
            let d = try await Self.visit(client, token: token, name: "Edge Before", phone: "0912000004")
            clock.advance(by: 60 * minute - 1)  // T0 − 60 min − 1 s
            try await Self.leave(client, e)
            clock.advance(by: 1)  // T0 − 60 min exactly
            try await Self.leave(client, d)
            at(0)
            let f0 = try await Self.visit(client, token: token, name: "Ca Bệnh", phone: "0912000000")
            at(10)
            let tap = try await client.send(.post, "/api/v1/checkins", token: an, json: #"{"token": "\#(token)"}"#)
            #expect(tap.status == .created, "\(tap.text)")
            #expect(tap.object["checkoutCode"] == nil)  // a citizen checks out with their session
            let anVisit = try #require(tap.object["id"] as? String)
            let g = try await Self.visit(client, token: otherToken, name: "Other Venue", phone: "0912000007")
            at(12)
            let again = try await client.send(.post, "/api/v1/checkins", token: an, json: #"{"token": "\#(token)"}"#)
            #expect(again.object["merged"] as? Bool == true)
            #expect(again.object["id"] as? String == anVisit)
            at(20)
            let out = try await client.send(.post, "/api/v1/checkins/\(anVisit)/checkout", token: an, json: "{}")
            #expect(out.status == .ok, "\(out.text)")
            #expect(
                try await client.send(.post, "/api/v1/checkins/\(anVisit)/checkout", token: nil, json: "{}").status
                    == .forbidden
            )
            at(30)
            try await Self.leave(client, f0)
            at(40)
            let anAtOther = try await client.send(
                .post,
                "/api/v1/checkins",
                token: an,
                json: #"{"token": "\#(otherToken)"}"#
            )
            #expect(anAtOther.status == .created)
            at(45)
            // Staff scan a 1405 QR (with a phone in the extras) and a CCCD QR at the other venue.
            let ownerOfOther = try await client.signInCitizen("+84912000999", harness: harness)
            let scan1405 = try await client.send(
                .post,
                "/api/v1/venues/\(otherID)/checkins",
                token: ownerOfOther,
                json: #"{"code": "001093029317|TRAN VAN HAI|1987-01-18|0|162979388586171100|<1<0912000008<0123232422"}"#
            )
            #expect(scan1405.status == .created, "\(scan1405.text)")
            at(50)
            _ = try await client.send(
                .post,
                "/api/v1/checkins/\(try #require(anAtOther.object["id"] as? String))/checkout",
                token: an,
                json: "{}"
            )
            at(60)
            let scanCCCD = try await client.send(
                .post,
                "/api/v1/venues/\(venueID)/checkins",
                token: session,
                json: #"{"code": "019087009999|012345678|Đỗ Thị Hoa|01011990|Nữ|Tổ 5, Thái Nguyên|01012021"}"#
            )
            #expect(scanCCCD.status == .created, "\(scanCCCD.text)")  // stays T0+60…T0+120: overlaps
            at(90)
            let b = try await Self.visit(client, token: token, name: "Edge After", phone: "0912000002")
            clock.advance(by: 1)
            let c = try await Self.visit(client, token: token, name: "Excluded Late", phone: "0912000003")
            // Staff declare on behalf of someone without a phone, with a declaration that flags the commune.
            let onBehalf = try await client.send(
                .post,
                "/api/v1/venues/\(otherID)/checkins",
                token: ownerOfOther,
                json: #"{"name": "Bà Lan", "declaration": {"symptoms": ["cough"], "domesticMovement": []}}"#
            )
            #expect(onBehalf.status == .created, "\(onBehalf.text)")
            #expect((onBehalf.object["declaration"] as? [String: Any])?["flagged"] as? Bool == true)
            _ = (b, c)

            // Bad input: a malformed personal QR, a missing phone, a check-in at an unknown venue.
            let bad = try await client.send(
                .post,
                "/api/v1/venues/\(venueID)/checkins",
                token: session,
                json: #"{"code": "hello"}"#
            )
            #expect(bad.status == .badRequest || bad.status == .unprocessableContent, "\(bad.text)")
            let noPhone = try await client.send(
                .post,
                "/api/v1/checkins",
                token: nil,
                json: #"{"token": "\#(token)", "name": "X"}"#
            )
            #expect(noPhone.status == .badRequest && noPhone.errorField == "phone")

            // The owner's visitor list: this venue only.
            let visitors = try await client.send(.get, "/api/v1/venues/\(venueID)/visitors?limit=200", token: session)
            let names = Set(((visitors.object["items"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
            #expect(
                names == [
                    "Excluded Early", "Edge Before", "Ca Bệnh", "Hoàng Văn An", "Đỗ Thị Hoa", "Edge After",
                    "Excluded Late",
                ]
            )

            // The case: onset today, recorded at T0 + 100 min.
            at(100)
            let recorded = try await client.send(
                .post,
                "/api/v1/tracing/cases",
                token: TestTokens.tracer,
                json:
                    #"{"phone": "0912000000", "name": "Ca Bệnh", "unitCode": "05692", "onsetDate": "\#(LocalDate(at: clock.now))"}"#
            )
            #expect(recorded.status == .created, "\(recorded.text)")
            let caseID = try #require((recorded.object["case"] as? [String: Any])?["id"] as? String)
            let contacts = try #require(recorded.object["contacts"] as? [[String: Any]])
            // Exactly: An (10 min inside), Hoa (CCCD scan, 30 min inside the widened stay), and both
            // edges at exactly ±1 hour (0 min); not 1 s beyond, not the other venue.
            #expect(
                contacts.compactMap { $0["name"] as? String } == [
                    "Đỗ Thị Hoa", "Hoàng Văn An", "Edge Before", "Edge After",
                ]
            )
            #expect(contacts.compactMap { $0["overlapMinutes"] as? Double } == [30, 10, 0, 0])
            #expect(contacts.allSatisfy { $0["venueName"] as? String == "Phở Thái Nguyên" })
            #expect(recorded.object["warningsQueuedMs"] as? Double ?? -1 >= 0)
            _ = g
            // Warned by SMS (the outbox) and in the health book.
            for phone in ["+84912000004", "+84912000002", "+84912111001"] {
                let sms = try #require(try await harness.store.outbox(recipient: phone, limit: 1).first)
                #expect(sms.purpose == "exposure_warning")
                #expect(sms.body.lowercased().contains("pho thai nguyen"))
            }
            #expect(
                try await harness.store.outbox(recipient: "+84912000003", limit: 1).first?.purpose != "exposure_warning"
            )
            let book = try await client.send(.get, "/api/v1/me/exposure-warnings", token: an)
            #expect((book.object["items"] as? [[String: Any]])?.first?["venueName"] as? String == "Phở Thái Nguyên")
            // Audited: the case, and each registered person found.
            #expect(try await harness.auditCount(action: "tracing.case.record") == 1)
            let audited = try await harness.audit.entries(about: try #require(Person.ID(anID)))
            #expect(audited.contains { $0.action == "tracing.contact.find" && $0.actorRole == "tracer" })

            // F1: An, quarantined for 14 days; An's contacts are F2 candidates (the case excluded).
            let anContact = try #require(contacts.first { $0["name"] as? String == "Hoàng Văn An" }?["id"] as? String)
            let quarantine = LocalDate(at: clock.now).adding(days: 14)
            let f1 = try await client.send(
                .post,
                "/api/v1/tracing/cases/\(caseID)/contacts/\(anContact)/f1",
                token: TestTokens.tracer,
                json: #"{"quarantineUntil": "\#(quarantine)"}"#
            )
            #expect(f1.status == .created, "\(f1.text)")
            #expect((f1.object["case"] as? [String: Any])?["level"] as? String == "F1")
            let f2 = (f1.object["contacts"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(Set(f2) == ["Other Venue", "TRAN VAN HAI", "Bà Lan", "Đỗ Thị Hoa"], "\(f2)")
            let twice = try await client.send(
                .post,
                "/api/v1/tracing/cases/\(caseID)/contacts/\(anContact)/f1",
                token: TestTokens.tracer,
                json: #"{"quarantineUntil": "\#(quarantine)"}"#
            )
            #expect(twice.status == .conflict)
            let reread = try await client.send(.get, "/api/v1/tracing/cases/\(caseID)", token: TestTokens.tracer)
            let statuses = (reread.object["contacts"] as? [[String: Any]] ?? []).compactMap { $0["status"] as? String }
            #expect(statuses.sorted() == ["candidate", "candidate", "candidate", "f1"])
            #expect(
                try await client.send(.get, "/api/v1/tracing/cases/\(caseID)", token: TestTokens.vaccinator).status
                    == .forbidden
            )

            // The signed risky venue list names the venue's hash, never a person.
            let risky = try await client.send(.get, "/api/v1/tracing/risky-venues", token: nil)
            #expect(risky.status == .ok)
            let keys = try await client.send(.get, "/api/v1/venue-keys", token: nil)
            let jwk = try #require((keys.object["keys"] as? [[String: String]])?.first)
            let publicKey = try P256PublicKey(
                x: Base64URL.decode(Substring(jwk["x"]!))!,
                y: Base64URL.decode(Substring(jwk["y"]!))!
            )
            let list = try RiskyVenueList.verify(risky.text, keys: { _ in publicKey.key }).get()
            #expect(list.windows.map(\.venue) == [RiskyVenueList.hash(venueID: venueID)])
            #expect(!risky.text.contains("0912000000"))

            // Retention: a newer visit a day later survives; everything older than 21 days goes.
            at(24 * 60 + 180)
            _ = try await Self.visit(
                client,
                token: token,
                name: "Newer",
                phone: "0912000010",
                declaration: #"{"symptoms": [], "domesticMovement": []}"#
            )
            let newerCount = 1
            at(21 * 24 * 60 + 24 * 60 + 120)  // the cutoff is T0 + 1 day + 2 h
            let cutoff = clock.now.addingTimeInterval(-21 * 86_400)
            #expect(try await Self.count(harness, "checkins", "arrived_at", before: cutoff) > 0)
            let purged = try await retention.runOnce()
            if engine == .postgres { #expect(purged.partitionsDropped >= 1, "\(purged)") }
            #expect(purged.contacts == 8, "\(purged)")
            for (table, column) in [
                ("checkins", "arrived_at"), ("health_declarations", "created_at"), ("tracing_contacts", "created_at"),
            ] {
                #expect(try await Self.count(harness, table, column, before: cutoff) == 0, "\(table)")
            }
            // The warnings' events go too; other events (a citizen's first sign-in, for the dashboards)
            // are not tracing data.
            let warnings = try await harness.database.read { sql in
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM outbox_events WHERE kind = 'exposure.warning' AND created_at < \(bind: cutoff.millisecondsSince1970)"
                ).first()!.decode(column: "n", as: Int.self)
            }
            #expect(warnings == 0)
            // Nor is anything left pending for a consumer about a warning that is gone.
            let orphans = try await harness.database.read { sql in
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM outbox_pending p WHERE NOT EXISTS (SELECT 1 FROM outbox_events e WHERE e.id = p.event_id)"
                ).first()!.decode(column: "n", as: Int.self)
            }
            #expect(orphans == 0)
            #expect(try await Self.countAll(harness, "checkins") == newerCount)
            #expect(try await Self.countAll(harness, "health_declarations") == 1)
        }
    }
}

extension TracingFlowTests {
    @Test(arguments: TestDatabase.engines)
    func concurrentScansAreStoredOnceEachThroughGroupCommit(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (_, venue) = try await Self.registerVenue(client, harness)
            let token = try #require(venue["token"] as? String)
            // 60 visitors, each scanning twice at the same moment.
            let answers = try await withThrowingTaskGroup(of: (id: String, merged: Bool).self) { group in
                for index in 0..<60 {
                    for _ in 0..<2 {
                        group.addTask {
                            let visit = try await Self.visit(
                                client,
                                token: token,
                                name: "Khách \(index)",
                                phone: "0912" + String(100_000 + index)
                            )
                            return (visit.id, visit.merged)
                        }
                    }
                }
                var all: [(id: String, merged: Bool)] = []
                for try await answer in group { all.append(answer) }
                return all
            }
            #expect(answers.count == 120)
            #expect(Set(answers.map(\.id)).count == 60)
            #expect(answers.filter(\.merged).count == 60)
            #expect(try await Self.countAll(harness, "checkins") == 60)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func declarationsAreFullFirstThenUpdatesAndFlagTheCommune(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let created = try await client.send(.post, "/api/v1/people", json: personJSON(phone: "0912 222 333"))
            #expect(created.status == .created)
            let citizen = try await client.signInCitizen("+84912222333", harness: harness)
            // The first one must be full.
            let partial = try await client.send(
                .post,
                "/api/v1/declarations",
                token: citizen,
                json: #"{"symptoms": []}"#
            )
            #expect(partial.status == .badRequest && partial.errorField == "domesticMovement", "\(partial.text)")
            let badSymptom = try await client.send(
                .post,
                "/api/v1/declarations",
                token: citizen,
                json: #"{"symptoms": ["sneezing"], "domesticMovement": []}"#
            )
            #expect(badSymptom.status == .badRequest, "\(badSymptom.text)")
            let future = try await client.send(
                .post,
                "/api/v1/declarations",
                token: citizen,
                json: #"{"domesticMovement": [{"from": "Hà Nội", "to": "Thái Nguyên", "date": "2099-01-01"}]}"#
            )
            #expect(future.status == .badRequest && future.errorField == "domesticMovement[0].date")
            let full = try await client.send(
                .post,
                "/api/v1/declarations",
                token: citizen,
                json: #"""
                    {"symptoms": [], "domesticMovement": [{"from": "Hà Nội", "to": "Thái Nguyên", "date": "\#(LocalDate(at: harness.clock.now))", "vehicle": "xe khách"}],
                     "entry": {"gate": "Nội Bài", "departureCountry": "Hàn Quốc", "date": "\#(LocalDate(at: harness.clock.now))", "testResult": "negative"}}
                    """#
            )
            #expect(full.status == .created, "\(full.text)")
            #expect(full.object["kind"] as? String == "full")
            #expect(full.object["flagged"] as? Bool == false)
            // Later: an update with symptoms, flagged to the person's commune.
            let update = try await client.send(
                .post,
                "/api/v1/declarations",
                token: citizen,
                json: #"{"symptoms": ["fever", "cough"], "contactWithConfirmedCase": true}"#
            )
            #expect(update.status == .created, "\(update.text)")
            #expect(update.object["kind"] as? String == "update")
            #expect(update.object["flagged"] as? Bool == true)
            let notified = try await harness.database.read { sql in
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM notifications WHERE kind = 'declaration.flagged' AND role = 'commune_official' AND unit_code = '05692'"
                ).first()!.decode(column: "n", as: Int.self)
            }
            #expect(notified == 1)
            // Only citizens declare for themselves; staff declare through a venue check-in.
            #expect(try await client.send(.post, "/api/v1/declarations", json: "{}").status == .forbidden)

            // Staff scanning a registered person's CCCD QR is a staff read of that person: audited.
            let (session, venue) = try await Self.registerVenue(client, harness)
            let scanned = try await client.send(
                .post,
                "/api/v1/venues/\(try #require(venue["id"] as? String))/checkins",
                token: session,
                json: #"{"code": "019087001234|012345678|Nguyễn Văn Bình|15031987|Nam|Tổ 3, Thái Nguyên|01012021"}"#
            )
            #expect(scanned.status == .created, "\(scanned.text)")
            #expect(try await harness.auditCount(action: "checkin.scan") == 1)
        }
    }
}

extension TracingFlowTests {
    @Test func oneRunawayPhoneIsRateLimited() async throws {
        try await withIdentityApp(.sqlite, extra: ["checkin.per.hour": 2]) { client, harness in
            let (_, venue) = try await Self.registerVenue(client, harness)
            let token = try #require(venue["token"] as? String)
            for minute in 0..<2 {
                harness.clock.advance(by: Double(minute) * 900)
                _ = try await Self.visit(client, token: token, name: "Khách", phone: "0912000111")
            }
            harness.clock.advance(by: 900)
            let third = try await client.send(
                .post,
                "/api/v1/checkins",
                token: nil,
                json: #"{"token": "\#(token)", "name": "Khách", "phone": "0912000111"}"#
            )
            #expect(third.status == .tooManyRequests, "\(third.text)")
            #expect(third.headers[.retryAfter] != nil)
            // Another phone is not held back, and nothing was stored for the refused scan.
            _ = try await Self.visit(client, token: token, name: "Khách khác", phone: "0912000222")
            #expect(try await Self.countAll(harness, "checkins") == 3)
        }
    }
}
