import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing
import VaxDomain
import VaxServer
import VaxStorage
import VaxTestSupport

@Suite struct RegistryAPITests {
    @Test(arguments: TestDatabase.engines)
    func readinessAndRequestIDs(engine: DatabaseEngine) async throws {
        try await withApp(engine) { client, _ in
            let ready = try await client.send(.get, "/readyz", token: nil)
            #expect(ready.status == .ok)
            #expect(ready.object["status"] as? String == "ready")
            #expect(ready.object["database"] as? String == engine.rawValue)
            #expect(ready.headers[HTTPField.Name("X-Request-Id")!]?.isEmpty == false)
            let echoed = try await client.send(
                .get,
                "/healthz",
                token: nil,
                headers: [HTTPField.Name("X-Request-Id")!: "abcdef-123456"]
            )
            #expect(echoed.headers[HTTPField.Name("X-Request-Id")!] == "abcdef-123456")
            // Security headers on successes and errors alike; API answers are never cached.
            let failure = try await client.send(.get, "/api/v1/people/not-a-uuid")
            for response in [ready, failure] {
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(response.headers[.strictTransportSecurity] == nil)
            }
            #expect(failure.headers[.cacheControl] == "no-store")
        }
    }

    @Test(arguments: TestDatabase.engines)
    func registerFindAndRefuseTheDuplicate(engine: DatabaseEngine) async throws {
        try await withApp(engine) { client, _ in
            let created = try await client.send(.post, "/api/v1/people", json: personJSON())
            #expect(created.status == .created)
            let id = try #require(created.object["id"] as? String)
            #expect(created.object["phone"] as? String == "+84912345678")
            #expect(created.object["dateOfBirth"] as? String == "1987-03-15")

            let byName = try await client.send(.post, "/api/v1/people/search", json: #"{"name": "nguyen van binh"}"#)
            #expect(byName.status == .ok)
            #expect((byName.object["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])

            let byID = try await client.send(
                .post,
                "/api/v1/people/search",
                json: #"{"nationalId": "019 087 001 234"}"#
            )
            #expect((byID.object["items"] as? [[String: Any]])?.first?["fullName"] as? String == "Nguyễn Văn Bình")

            let byPhone = try await client.send(.post, "/api/v1/people/search", json: #"{"phone": "+84912345678"}"#)
            #expect((byPhone.object["items"] as? [[String: Any]])?.count == 1)

            let duplicate = try await client.send(
                .post,
                "/api/v1/people",
                json: personJSON(name: "Nguyen Van Binh", phone: "0987654321")
            )
            #expect(duplicate.status == .conflict)
            #expect((duplicate.object["error"] as? [String: Any])?["existingId"] as? String == id)

            let read = try await client.send(.get, "/api/v1/people/\(id)", token: TestTokens.vaccinator)
            #expect(read.status == .ok)
            #expect((read.object["nationalId"] as? [String: Any])?["number"] as? String == "019087001234")
        }
    }

    @Test(arguments: TestDatabase.engines)
    func badInputNamesTheFieldAndWritesNothing(engine: DatabaseEngine) async throws {
        try await withApp(engine) { client, _ in
            let cases: [(String, HTTPResponse.Status, String?)] = [
                (#"{"fullName": "#, .badRequest, nil),
                (
                    personJSON().replacingOccurrences(of: #""sex": "male""#, with: #""sex": "unknown""#), .badRequest,
                    "sex"
                ),
                (
                    personJSON().replacingOccurrences(of: #""fullName": "Nguyễn Văn Bình""#, with: #""fullName": 42"#),
                    .badRequest, "fullName"
                ),
                (
                    personJSON().replacingOccurrences(
                        of: #""priorityGroups": [8]"#,
                        with: #""priorityGroups": ["eight"]"#
                    ), .badRequest, "priorityGroups[0]"
                ),
                (
                    #"{"fullName": "A", "sex": "male", "address": {"provinceCode": "19", "communeCode": "05692"}, "priorityGroups": [8]}"#,
                    .badRequest, "dateOfBirth"
                ),
                (personJSON(birth: "31/02/1987"), .badRequest, "dateOfBirth"),
                (personJSON(birth: "2099-01-01"), .badRequest, "dateOfBirth"),
                (personJSON(cccd: "019088001234"), .badRequest, "nationalId.number"),
                (personJSON(cccd: "12345"), .badRequest, "nationalId.number"),
                (personJSON(phone: "12345"), .badRequest, "phone"),
                (personJSON(commune: "99999"), .badRequest, "address.communeCode"),
                (personJSON(commune: "00004"), .badRequest, "address.communeCode"),
                (personJSON(extraAddress: #", "districtCode": "169""#), .badRequest, "address.districtCode"),
                (personJSON(extraAddress: #", "validOn": "2021-08-01""#), .badRequest, "address.districtCode"),
                (personJSON(extraAddress: #", "validOn": "1999-01-01""#), .badRequest, "address.validOn"),
                (personJSON(name: #"Nguy\u0000ễn Văn Bình"#), .badRequest, "fullName"),
                (personJSON(name: String(repeating: "a\u{0308}\u{0301}", count: 55)), .badRequest, "fullName"),
                (
                    personJSON().replacingOccurrences(
                        of: #""priorityGroups": [8]"#,
                        with: #""priorityGroups": [\#((1...5000).map(String.init).joined(separator: ","))]"#
                    ), .badRequest, "priorityGroups"
                ),
            ]
            for (body, status, field) in cases {
                let response = try await client.send(.post, "/api/v1/people", json: body)
                #expect(response.status == status, "\(body)")
                #expect(response.errorField == field, "\(body): \(response.text)")
                #expect(response.errorCode != nil)
            }
            let tooLarge = try await client.send(
                .post,
                "/api/v1/people",
                json: String(repeating: " ", count: 70_000) + personJSON()
            )
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorCode == "body_too_large")

            let notAUUID = try await client.send(.get, "/api/v1/people/not-a-uuid")
            #expect(notAUUID.status == .badRequest && notAUUID.errorField == "personId")
            let twoModes = try await client.send(
                .post,
                "/api/v1/people/search",
                json: #"{"name": "a", "phone": "0912345678"}"#
            )
            #expect(twoModes.status == .badRequest)
            let badLimit = try await client.send(.post, "/api/v1/people/search", json: #"{"name": "a", "limit": 5000}"#)
            #expect(badLimit.status == .badRequest && badLimit.errorField == "limit")
            let badScheme = try await client.send(.get, "/api/v1/units/provinces?scheme=2030", token: nil)
            #expect(badScheme.status == .badRequest && badScheme.errorField == "scheme")
            // Odd query strings (an empty name, a lone "=") are answered, not crashed on.
            for query in ["=", "&=&", "=5&limit=x", "limit", "=x"] {
                let odd = try await client.send(.get, "/api/v1/duplicate-reviews?\(query)")
                #expect(odd.status.code < 500, "\(query): \(odd.status)")
            }
            let badLimitParameter = try await client.send(.get, "/api/v1/duplicate-reviews?limit=abc")
            #expect(badLimitParameter.status == .badRequest && badLimitParameter.errorField == "limit")
            let missing = try await client.send(.get, "/api/v1/people/\(UUIDv7.make().uuidString)")
            #expect(missing.status == .notFound)

            let everyone = try await client.send(.post, "/api/v1/people/search", json: #"{"communeCode": "05692"}"#)
            #expect((everyone.object["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aDistrictAddressIsValidOnA2021Date(engine: DatabaseEngine) async throws {
        try await withApp(engine) { client, _ in
            // Xã Văn Lăng (05665) was in Huyện Đồng Hỷ (169) until the 2025 reorganisation.
            let old = try await client.send(
                .post,
                "/api/v1/people",
                json: personJSON(commune: "05665", extraAddress: #", "districtCode": "169", "validOn": "2021-08-01""#)
            )
            #expect(old.status == .created, "\(old.text)")
            #expect((old.object["address"] as? [String: Any])?["scheme"] as? String == "2021")
        }
    }

    @Test(arguments: TestDatabase.engines)
    func rolesAreEnforced(engine: DatabaseEngine) async throws {
        try await withApp(engine) { client, _ in
            #expect(
                try await client.send(.post, "/api/v1/people", token: nil, json: personJSON()).status == .unauthorized
            )
            #expect(
                try await client.send(.post, "/api/v1/people", token: "wrong-token-0123456789", json: personJSON())
                    .status == .unauthorized
            )
            let forbidden = try await client.send(
                .post,
                "/api/v1/people",
                token: TestTokens.venueOwner,
                json: personJSON()
            )
            #expect(forbidden.status == .forbidden && forbidden.errorCode == "not_permitted")
            #expect(
                try await client.send(.post, "/api/v1/people", token: TestTokens.citizen, json: personJSON()).status
                    == .forbidden
            )
            #expect(
                try await client.send(.get, "/api/v1/duplicate-reviews", token: TestTokens.vaccinator).status
                    == .forbidden
            )
            #expect(try await client.send(.get, "/api/v1/units/provinces", token: nil).status == .ok)
            #expect(
                try await client.send(.post, "/api/v1/people", token: TestTokens.vaccinator, json: personJSON()).status
                    == .created
            )
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aCitizenSeesOnlyTheirOwnFamily(engine: DatabaseEngine) async throws {
        try await TestDatabase.withEmptyDatabaseURL(engine, file: true) { url in
            // The citizen's own record exists before the app starts (as after a sign-up).
            let vault = try NationalIDVault(base64Key: testPersonIDKey)
            try await VaxDatabase.withDatabase(try DatabaseLocation(url: url), logger: TestDatabase.logger) {
                database in
                try await MigrationRunner().migrate(database, logger: TestDatabase.logger)
                try await ReferenceDataImporter(provinces: ["19"]).importAll(into: database)
                var me = SyntheticPeople(communes: [("19", "05692")]).person(7)
                me.id = Person.ID(citizenPersonID)!
                try await SQLPersonRepository(database: database, vault: vault).insertBatch([me])
            }
            let app = try await buildApplication(reader: testReader(url: url))
            try await app.test(.router) { client in
                #expect(
                    try await client.send(.get, "/api/v1/people/\(citizenPersonID)", token: TestTokens.citizen).status
                        == .ok
                )
                let child = try await client.send(
                    .post,
                    "/api/v1/people/\(citizenPersonID)/dependants",
                    token: TestTokens.citizen,
                    json: #"""
                        {"relationship": "child", "person": {"fullName": "Nguyễn Minh An", "dateOfBirth": "2019-06-01",
                         "sex": "female", "address": {"provinceCode": "19", "communeCode": "05692"}, "priorityGroups": [16]}}
                        """#
                )
                #expect(child.status == .created, "\(child.text)")
                let childID = try #require(child.object["id"] as? String)
                #expect(
                    try await client.send(.get, "/api/v1/people/\(childID)", token: TestTokens.citizen).status == .ok
                )
                let family = try await client.send(
                    .get,
                    "/api/v1/people/\(citizenPersonID)/dependants",
                    token: TestTokens.citizen
                )
                #expect((family.object["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [childID])

                let stranger = try await client.send(
                    .post,
                    "/api/v1/people",
                    json: personJSON(birth: "1990-01-01", cccd: "019090001234")
                )
                let strangerID = try #require(stranger.object["id"] as? String)
                #expect(
                    try await client.send(.get, "/api/v1/people/\(strangerID)", token: TestTokens.citizen).status
                        == .forbidden
                )
                let notMine = try await client.send(
                    .post,
                    "/api/v1/people/\(strangerID)/dependants",
                    token: TestTokens.citizen,
                    json:
                        #"{"relationship": "child", "person": {"fullName": "X Y", "dateOfBirth": "2019-06-01", "sex": "male", "address": {"provinceCode": "19", "communeCode": "05692"}, "priorityGroups": [16]}}"#
                )
                #expect(notMine.status == .forbidden)
                let badChild = try await client.send(
                    .post,
                    "/api/v1/people/\(citizenPersonID)/dependants",
                    token: TestTokens.citizen,
                    json:
                        #"{"relationship": "child", "person": {"fullName": "X Y", "dateOfBirth": "2019-06-41", "sex": "male", "address": {"provinceCode": "19", "communeCode": "05692"}, "priorityGroups": [16]}}"#
                )
                #expect(badChild.errorField == "person.dateOfBirth")
            }
        }
    }

    @Test(arguments: TestDatabase.engines)
    func staffReadsAreAudited(engine: DatabaseEngine) async throws {
        try await withApp(engine, file: true) { client, url in
            let created = try await client.send(
                .post,
                "/api/v1/people",
                token: TestTokens.vaccinator,
                json: personJSON()
            )
            let id = try #require(created.object["id"] as? String)
            let read = try await client.send(
                .get,
                "/api/v1/people/\(id)",
                token: TestTokens.vaccinator,
                headers: [HTTPField.Name("X-Access-Reason")!: "check-in at the vaccination table"]
            )
            let requestID = read.headers[HTTPField.Name("X-Request-Id")!]
            _ = try await client.send(
                .post,
                "/api/v1/people/search",
                token: TestTokens.vaccinator,
                json: #"{"name": "nguyen"}"#
            )
            // A page of one out of two: only the person returned is audited.
            _ = try await client.send(
                .post,
                "/api/v1/people",
                token: TestTokens.vaccinator,
                json: personJSON(name: "Nguyễn Văn Cường", cccd: "019087005555")
            )
            let last = try await client.send(
                .post,
                "/api/v1/people/search",
                token: TestTokens.vaccinator,
                json: #"{"name": "nguyen van c", "limit": 1}"#
            )
            #expect(last.object["nextOffset"] == nil)
            let firstOfTwo = try await client.send(
                .post,
                "/api/v1/people/search",
                token: TestTokens.vaccinator,
                json: #"{"name": "nguyen van", "limit": 1}"#
            )
            #expect(firstOfTwo.object["nextOffset"] as? Int == 1)
            let (trail, searches, chain) = try await VaxDatabase.withDatabase(
                try DatabaseLocation(url: url),
                logger: TestDatabase.logger
            ) { database in
                try await AuditChain.flush(database)
                let searches = try await database.read { sql in
                    try await sql.raw("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'person.search'")
                        .first(decodingColumn: "n", as: Int.self)
                }
                return (
                    try await SQLAuditRepository(database: database).entries(about: Person.ID(id)!), searches,
                    try await AuditChain.verify(database)
                )
            }
            // create, read, search (1 row), create, search (1 row), search (1 row of 2)
            #expect(searches == 3)
            #expect(chain == .intact(entries: 6))
            #expect(trail.map(\.action) == ["person.create", "person.read", "person.search", "person.search"])
            #expect(trail[1].reason == "check-in at the vaccination table")
            #expect(trail[1].actorRole == "vaccinator" && trail[1].actorScope == "unit/19")
            #expect(trail[1].requestID == requestID)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func mergeFromTheReviewQueue(engine: DatabaseEngine) async throws {
        try await withApp(engine) { client, _ in
            // An elderly father was registered by his son as a dependant, with the son's phone; later he
            // registers at the site himself, with his CCCD and the same phone.
            let son = try await client.send(
                .post,
                "/api/v1/people",
                json: personJSON(name: "Nguyễn Văn Cường", birth: "1975-01-01", cccd: "019075001111")
            )
            let sonID = try #require(son.object["id"] as? String)
            let first = try await client.send(
                .post,
                "/api/v1/people/\(sonID)/dependants",
                json: #"""
                    {"relationship": "parent", "person": {"fullName": "Nguyễn Văn Bình", "dateOfBirth": "1950-03-15",
                     "sex": "male", "phone": "0912345678", "address": {"provinceCode": "19", "communeCode": "05692"},
                     "priorityGroups": [9]}}
                    """#
            )
            #expect(first.status == .created, "\(first.text)")
            let second = try await client.send(
                .post,
                "/api/v1/people",
                json: personJSON(name: "NGUYEN VAN BINH", birth: "15/03/1950", cccd: "019050001234")
            )
            let firstID = try #require(first.object["id"] as? String)
            let secondID = try #require(second.object["id"] as? String)
            #expect(second.object["possibleDuplicates"] as? [String] == [firstID])
            let queue = try await client.send(.get, "/api/v1/duplicate-reviews")
            #expect((queue.object["items"] as? [[String: Any]])?.first?["candidateId"] as? String == firstID)
            // A reason may be long (up to 500 characters), unlike the X-Access-Reason header (200).
            let longReason = "same person: checked the CCCD at the desk; " + String(repeating: "x", count: 300)
            let noReason = try await client.send(
                .post,
                "/api/v1/people/\(firstID)/merge",
                json: #"{"duplicateId": "\#(secondID)", "reason": ""}"#
            )
            #expect(noReason.errorField == "reason")
            let merged = try await client.send(
                .post,
                "/api/v1/people/\(firstID)/merge",
                json: #"{"duplicateId": "\#(secondID)", "reason": "\#(longReason)"}"#
            )
            #expect(merged.status == .ok, "\(merged.text)")
            #expect((merged.object["nationalId"] as? [String: Any])?["number"] as? String == "019050001234")
            #expect(merged.object["priorityGroups"] as? [Int] == [8, 9])
            let again = try await client.send(
                .post,
                "/api/v1/people/\(firstID)/merge",
                json: #"{"duplicateId": "\#(secondID)", "reason": "again"}"#
            )
            #expect(again.status == .conflict)
        }
    }
}
