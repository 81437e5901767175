import Crypto
import ExposureNotification
import ExposureNotificationArchive
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing
import VaxDomain
import VaxServer
import VaxStorage
import VaxTestSupport

/// The key server end to end over HTTP on both engines: a tracer's code → token → certificate → upload →
/// export built → downloaded → a phone that heard the case gets a high risk, one that did not gets none.
@Suite struct ExposureNotificationFlowTests {
    static func json(_ object: Any) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: object), encoding: .utf8)!
    }

    static func keysJSON(_ keys: [TemporaryExposureKey]) -> [[String: Any]] {
        keys.map {
            [
                "key": Data($0.keyData).base64EncodedString(), "rollingStartNumber": Int($0.rollingStartIntervalNumber),
                "rollingPeriod": Int($0.rollingPeriod), "transmissionRisk": Int($0.transmissionRiskLevel ?? 0),
            ]
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aCaseUploadsAndOnlyThePhoneThatHeardItIsWarned(engine: DatabaseEngine) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("en-exports-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try await withIdentityApp(
            engine,
            extra: ["en.export.dir": .init(.string(folder.path), isSecret: false), "en.export.min.keys": 20]
        ) {
            client,
            harness in
            var settings = KeyServerSettings()
            settings.exportDirectory = folder.path
            settings.minimumKeysPerFile = 20
            let server = KeyServer(
                database: harness.database,
                vault: harness.vault,
                settings: settings,
                clock: harness.clock.wallClock
            )
            let signer = try await server.rotateSigningKey()  // as `vaxtrace keys rotate-exports` does
            #expect(signer.keyID == "452" && signer.version == "v1")

            // The case's phone: keys of the last three whole days. The contact's phone heard yesterday's key
            // for an hour (12 scans, 5 minutes apart, 50 dB); the other phone heard only strangers.
            // The story runs from 10:00 UTC, so that "a day later" (26 hours on) is the day after tomorrow's
            // early morning whatever the hour the suite runs at (at 23:00 it would be two days later).
            let secondOfDay = Int(harness.clock.now.timeIntervalSince1970) % 86_400
            harness.clock.advance(by: TimeInterval((86_400 + 36_000 - secondOfDay) % 86_400))
            let now = harness.clock.now
            let today = ExposureNotification.rollingStart(of: ExposureNotification.intervalNumber(now))
            let caseKeys = (1...3).map { day in
                var key = TemporaryExposureKey.generate(at: today - Int32(day) * 144)
                key.transmissionRiskLevel = 0
                return key
            }
            let yesterday = caseKeys[0]
            let contactSightings = (0..<12).map { index in
                let seconds = Int64(yesterday.rollingStartIntervalNumber + 60) * 600 + Int64(index) * 300
                let interval = ExposureNotification.intervalNumber(unixSeconds: seconds)
                return Sighting(
                    rpi: yesterday.rollingProximityIdentifier(at: interval),
                    unixSeconds: seconds,
                    attenuation: 50
                )
            }
            let stranger = TemporaryExposureKey.generate(at: today - 144)
            let otherSightings = (0..<12).map { index in
                let seconds = Int64(stranger.rollingStartIntervalNumber + 60) * 600 + Int64(index) * 300
                return Sighting(
                    rpi: stranger.rollingProximityIdentifier(
                        at: ExposureNotification.intervalNumber(unixSeconds: seconds)
                    ),
                    unixSeconds: seconds,
                    attenuation: 50
                )
            }

            // A tracer issues the code; nobody else may.
            let onset = ISO8601DateFormatter.string(
                from: now.addingTimeInterval(-3 * 86_400),
                timeZone: .gmt,
                formatOptions: [.withFullDate]
            )
            let body = Self.json(["testType": "confirmed", "symptomDate": onset])
            #expect(
                try await client.send(.post, "/api/v1/en/codes", token: TestTokens.admin, json: body).status
                    == .forbidden
            )
            #expect(try await client.send(.post, "/api/v1/en/codes", token: nil, json: body).status == .unauthorized)
            let bad = try await client.send(
                .post,
                "/api/v1/en/codes",
                token: TestTokens.tracer,
                json: #"{"testType": "confirmed", "symptomDate": "2020-01-01"}"#
            )
            #expect(bad.status == .badRequest && bad.errorField == "symptomDate", "\(bad.text)")
            let issued = try await client.send(.post, "/api/v1/en/codes", token: TestTokens.tracer, json: body)
            #expect(issued.status == .created, "\(issued.text)")
            let code = try #require(issued.object["code"] as? String)
            #expect(code.count == 8 && code.allSatisfy(\.isNumber))
            #expect((issued.object["longCode"] as? String)?.count == 16)

            // Code → token, once.
            let unknown = try await client.send(.post, "/api/v1/en/verify", token: nil, json: #"{"code": "00000000"}"#)
            #expect(unknown.status == .badRequest && unknown.errorCode == "code_invalid")
            let verified = try await client.send(
                .post,
                "/api/v1/en/verify",
                token: nil,
                json: Self.json(["code": code])
            )
            #expect(verified.status == .ok, "\(verified.text)")
            #expect(verified.object["testType"] as? String == "confirmed")
            let token = try #require(verified.object["token"] as? String)
            let again = try await client.send(.post, "/api/v1/en/verify", token: nil, json: Self.json(["code": code]))
            #expect(again.status == .conflict && again.errorCode == "code_used")

            // Token + tekmac → certificate, once.
            let secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
            let tekmac = TEKMAC.compute(caseKeys, secret: secret)
            let certified = try await client.send(
                .post,
                "/api/v1/en/certificate",
                token: nil,
                json: Self.json(["token": token, "ekeyhmac": tekmac])
            )
            #expect(certified.status == .ok, "\(certified.text)")
            let certificate = try #require(certified.object["certificate"] as? String)
            let reused = try await client.send(
                .post,
                "/api/v1/en/certificate",
                token: nil,
                json: Self.json(["token": token, "ekeyhmac": tekmac])
            )
            #expect(reused.status == .conflict && reused.errorCode == "token_used")

            func publish(_ keys: [[String: Any]], chaff: Bool = false) async throws -> TestResponse {
                try await client.send(
                    .post,
                    "/api/v1/en/publish",
                    token: nil,
                    json: Self.json([
                        "temporaryExposureKeys": keys, "hmacKey": Data(secret).base64EncodedString(),
                        "verificationPayload": certificate, "padding": String(repeating: "x", count: 64),
                    ]),
                    headers: chaff ? [HTTPField.Name("X-Chaff")!: "1"] : [:]
                )
            }
            func storedKeys() async throws -> Int {
                try await harness.database.read { sql in
                    try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(
                        "en_exposure_keys"
                    ).first()!
                    .decode(column: "n", as: Int.self)
                }
            }
            // Chaff is answered like an upload and stores nothing.
            let chaff = try await publish(Self.keysJSON(caseKeys), chaff: true)
            #expect(chaff.status == .ok && chaff.object["insertedExposures"] as? Int == 3, "\(chaff.text)")
            #expect(try await storedKeys() == 0)
            // Validation names the field.
            var short = Self.keysJSON(caseKeys)
            short[1]["key"] = Data(repeating: 1, count: 15).base64EncodedString()
            let shortAnswer = try await publish(short)
            #expect(
                shortAnswer.status == .badRequest && shortAnswer.errorField == "temporaryExposureKeys[1].key",
                "\(shortAnswer.text)"
            )
            var long = Self.keysJSON(caseKeys)
            long[0]["rollingPeriod"] = 145
            #expect(try await publish(long).errorField == "temporaryExposureKeys[0].rollingPeriod")
            var old = Self.keysJSON(caseKeys)
            old[2]["rollingStartNumber"] = Int(today) - 15 * 144
            #expect(try await publish(old).errorField == "temporaryExposureKeys[2].rollingStartNumber")
            // Keys other than the certified ones are refused, and the certificate is not spent by it.
            let mismatch = try await publish(Self.keysJSON(Array(caseKeys.dropLast())))
            #expect(mismatch.status == .badRequest && mismatch.errorCode == "tekmac_mismatch", "\(mismatch.text)")
            let published = try await publish(Self.keysJSON(caseKeys))
            #expect(published.status == .ok && published.object["insertedExposures"] as? Int == 3, "\(published.text)")
            #expect(try await storedKeys() == 3)
            let replay = try await publish(Self.keysJSON(caseKeys))
            #expect(replay.status == .conflict && replay.errorCode == "certificate_used", "\(replay.text)")

            // Nothing is exported before the keys expired + 2 hours; a day later, everything is.
            harness.clock.advance(by: 26 * 3600)
            let made = try await server.exportDue()
            #expect(made.contains { $0.period == "hourly" } && made.contains { $0.period == "daily" })
            #expect(made.map(\.keyCount).reduce(0, +) == 6)  // each key in one hourly and one daily file
            #expect(made.allSatisfy { $0.keyCount + $0.paddingCount >= 20 })
            #expect(try await server.exportDue().isEmpty)  // files are made once

            // A phone downloads the index and the files, checks them with the published key and matches.
            let publishedKeys = try await client.send(.get, "/api/v1/en/export-keys", token: nil)
            let items = try #require(publishedKeys.object["items"] as? [[String: Any]])
            let pem = try #require(items.first?["publicKey"] as? String)
            let publicKey = try P256.Signing.PublicKey(pemRepresentation: pem)
            let index = try await client.send(.get, "/en/exports/VN/index.txt", token: nil)
            #expect(index.status == .ok)
            let names = index.text.split(separator: "\n").map(String.init)
            #expect(names.count == made.count)
            var downloaded: [TemporaryExposureKey] = []
            for name in names where name.contains("/daily/") {
                let file = try await client.send(.get, "/en/exports/\(name)", token: nil)
                #expect(file.status == .ok)
                let export = try ExportArchive.read(Data(buffer: file.body))
                #expect(export.verify(with: publicKey, keyID: "452") == .valid)
                #expect(export.verify(with: P256.Signing.PrivateKey().publicKey) == .invalid)
                let parsed = try export.export()
                #expect(parsed.region == "VN" && parsed.signatureInfos.first?.verificationKeyVersion == "v1")
                downloaded += parsed.keys
            }
            #expect(Set(caseKeys.map(\.keyData)).isSubset(of: Set(downloaded.map(\.keyData))))
            #expect(try await client.send(.get, "/en/exports/VN/../../etc/passwd", token: nil).status == .notFound)

            func risk(_ sightings: [Sighting]) throws -> (matches: Int, result: RiskCalculationResult) {
                let matches = SightingIndex(sightings).matches(for: downloaded)
                let windows = ExposureWindowBuilder().windows(
                    from: matches,
                    today: Int64(harness.clock.now.timeIntervalSince1970)
                )
                return (matches.count, try RiskCalculation(parameters: .coronaWarnApp).calculate(windows))
            }
            let contact = try risk(contactSightings)
            #expect(contact.matches == 12)
            #expect(contact.result.totalRiskLevel == 2)
            #expect(contact.result.numberOfDaysWithHighRisk == 1)
            #expect(contact.result.ageOfMostRecentDateWithHighRisk == 2)  // yesterday, seen a day later
            let other = try risk(otherSightings)
            #expect(other.matches == 0)
            #expect(other.result.totalRiskLevel == 1 && other.result.numberOfDaysWithLowRisk == 0)

            // After 15 days the keys and files are gone.
            harness.clock.advance(by: 15 * 86_400)
            let purged = try await server.purge()
            #expect(purged.keys == 3 && purged.files == made.count)
            #expect(try await storedKeys() == 0)
            #expect(try await client.send(.get, "/en/exports/\(names[0])", token: nil).status == .notFound)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func shortCodesExpireAfterFifteenMinutesAndLongCodesAfterADay(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            var codes: [(String, String)] = []
            for _ in 0..<2 {
                let issued = try await client.send(
                    .post,
                    "/api/v1/en/codes",
                    token: TestTokens.tracer,
                    json: #"{"testType": "likely"}"#
                )
                #expect(issued.status == .created, "\(issued.text)")
                codes.append((issued.object["code"] as! String, issued.object["longCode"] as! String))
            }
            harness.clock.advance(by: 15 * 60 + 1)
            let expired = try await client.send(
                .post,
                "/api/v1/en/verify",
                token: nil,
                json: Self.json(["code": codes[0].0])
            )
            #expect(expired.status == .gone && expired.errorCode == "code_expired", "\(expired.text)")
            let viaLink = try await client.send(
                .post,
                "/api/v1/en/verify",
                token: nil,
                json: Self.json(["code": codes[0].1])
            )
            #expect(viaLink.status == .ok && viaLink.object["testType"] as? String == "likely", "\(viaLink.text)")
            harness.clock.advance(by: 86_400)
            let late = try await client.send(
                .post,
                "/api/v1/en/verify",
                token: nil,
                json: Self.json(["code": codes[1].1])
            )
            #expect(late.status == .gone)
            let junk = try await client.send(
                .post,
                "/api/v1/en/verify",
                token: nil,
                json: #"{"code": "'; drop table"}"#
            )
            #expect(junk.status == .badRequest && junk.errorField == "code")
        }
    }
}
