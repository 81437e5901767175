import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import VaxServer
import VaxStorage
import VaxTestSupport

/// Scopes, API tokens, break-the-glass, the data-protection officer's view, rate limits and the SMS
/// gateway adapter.
@Suite struct AccessTests {
    /// A Thái Nguyên resident (commune 05692) and a Hà Nội one (commune 00004).
    static let thaiNguyen = personJSON(cccd: "019087001234")
    static let haNoi = personJSON(name: "Trần Thị Hà", cccd: "001087004321", phone: "0977 000 111")
        .replacingOccurrences(
            of: #""provinceCode": "19", "communeCode": "05692""#,
            with: #""provinceCode": "01", "communeCode": "00004""#
        )

    /// Registers both residents as the development administrator; returns their ids.
    static func residents(_ client: any TestClientProtocol) async throws -> (thaiNguyen: String, haNoi: String) {
        let first = try await client.send(.post, "/api/v1/people", json: thaiNguyen)
        let second = try await client.send(.post, "/api/v1/people", json: haNoi)
        #expect(first.status == .created, "\(first.text)")
        #expect(second.status == .created, "\(second.text)")
        return (try #require(first.object["id"] as? String), try #require(second.object["id"] as? String))
    }

    @Test(arguments: TestDatabase.engines)
    func staffSeeOnlyPeopleInTheirScope(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (inside, outside) = try await Self.residents(client)
            try await harness.store.insert(
                Facility(id: "TYT-05692", name: "TYT Đồng Hỷ", unitCode: "05692"),
                at: Date()
            )
            try await harness.staff("nurse.thu", role: .vaccinator, scope: .facility("TYT-05692"))
            let nurse = try await client.signInStaff("nurse.thu", harness: harness).token
            #expect(try await client.send(.get, "/api/v1/people/\(inside)", token: nurse).status == .ok)
            let denied = try await client.send(.get, "/api/v1/people/\(outside)", token: nurse)
            #expect(denied.status == .forbidden)
            #expect(denied.errorCode == "out_of_scope")
            // Search returns only people in scope, whatever the query.
            let everyone = try await client.send(
                .post,
                "/api/v1/people/search",
                token: nurse,
                json: #"{"name": "t"}"#
            )
            #expect((everyone.object["items"] as? [Any])?.count == 0)
            let byName = try await client.send(
                .post,
                "/api/v1/people/search",
                token: nurse,
                json: #"{"name": "nguyen"}"#
            )
            #expect((byName.object["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [inside])
            let hidden = try await client.send(
                .post,
                "/api/v1/people/search",
                token: nurse,
                json: #"{"nationalId": "001087004321"}"#
            )
            #expect((hidden.object["items"] as? [Any])?.count == 0)
            #expect(try await harness.auditCount(action: "access.denied") == 1)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func apiTokensAreScopedRevocableAndExpire(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (inside, outside) = try await Self.residents(client)
            let created = try await client.send(
                .post,
                "/api/v1/tokens",
                json: #"{"name": "Máy tính bảng bàn 2", "role": "vaccinator", "scope": "unit/19", "expiresInDays": 30}"#
            )
            #expect(created.status == .created, "\(created.text)")
            let token = try #require(created.object["token"] as? String)
            let id = try #require(created.object["id"] as? String)
            #expect(token.hasPrefix("vxt_"))
            #expect(try await client.send(.get, "/api/v1/people/\(inside)", token: token).status == .ok)
            #expect(try await client.send(.get, "/api/v1/people/\(outside)", token: token).errorCode == "out_of_scope")
            // A token outside its role: refused and audited.
            let merge = try await client.send(
                .post,
                "/api/v1/people/\(inside)/merge",
                token: token,
                json: #"{"duplicateId": "\#(outside)", "reason": "test"}"#
            )
            #expect(merge.status == .forbidden)
            #expect(try await harness.auditCount(action: "access.denied") == 2)
            let listed = try await client.send(.get, "/api/v1/tokens")
            #expect(listed.text.contains(id) && !listed.text.contains(token))

            harness.clock.advance(by: 31 * 86_400)
            let expired = try await client.send(.get, "/api/v1/people/\(inside)", token: token)
            #expect(expired.errorCode == "token_expired")

            let second = try await client.send(
                .post,
                "/api/v1/tokens",
                json: #"{"name": "Hệ thống HIS", "role": "vaccinator", "scope": "unit/19"}"#
            )
            let secondToken = try #require(second.object["token"] as? String)
            let secondID = try #require(second.object["id"] as? String)
            #expect(try await client.send(.delete, "/api/v1/tokens/\(secondID)").status == .noContent)
            let revoked = try await client.send(.get, "/api/v1/people/\(inside)", token: secondToken)
            #expect(revoked.status == .unauthorized)
            #expect(revoked.errorCode == "token_revoked")
            #expect(try await harness.auditCount(action: "auth.token_rejected") == 2)
            // A facility administrator cannot mint a system administrator.
            try await harness.staff("admin.tyt", role: .facilityAdmin, scope: .unit("19"))
            let facilityAdmin = try await client.signInStaff("admin.tyt", harness: harness).token
            let escalation = try await client.send(
                .post,
                "/api/v1/tokens",
                token: facilityAdmin,
                json: #"{"name": "x", "role": "system_admin", "scope": "*"}"#
            )
            #expect(escalation.status == .forbidden)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func officialsBreakTheGlassWithAReasonAndTheOfficerSeesIt(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (inside, outside) = try await Self.residents(client)
            try await harness.staff("pho.chu.tich", role: .provinceOfficial, scope: .unit("19"))
            try await harness.staff("dpo.thainguyen", role: .dataProtectionOfficer, scope: .unit("19"))
            let official = try await client.signInStaff("pho.chu.tich", harness: harness).token
            // An official sees aggregates, not records, unless they break the glass.
            #expect(try await client.send(.get, "/api/v1/people/\(inside)", token: official).status == .forbidden)
            let short = try await client.send(
                .post,
                "/api/v1/people/break-glass",
                token: official,
                json: #"{"personId": "\#(inside)", "reason": "check"}"#
            )
            #expect(short.errorField == "reason")
            let reason = "Ca bệnh F0 tại xã, cần liên hệ khẩn"
            let look = try await client.send(
                .post,
                "/api/v1/people/break-glass",
                token: official,
                json: #"{"nationalId": "019087001234", "reason": "\#(reason)"}"#
            )
            #expect(look.status == .ok, "\(look.text)")
            #expect((look.object["items"] as? [[String: Any]])?.first?["id"] as? String == inside)
            let away = try await client.send(
                .post,
                "/api/v1/people/break-glass",
                token: official,
                json: #"{"personId": "\#(outside)", "reason": "\#(reason)"}"#
            )
            #expect(away.errorCode == "out_of_scope")

            let officer = try await client.signInStaff("dpo.thainguyen", harness: harness).token
            let view = try await client.send(.get, "/api/v1/audit?action=person.break_glass", token: officer)
            #expect(view.status == .ok, "\(view.text)")
            let items = try #require(view.object["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect((items.first?["reason"] as? String)?.contains(reason) == true)
            #expect(items.first?["personId"] as? String == inside)
            let signIns = try await client.send(.get, "/api/v1/audit?action=auth.sign_in", token: officer)
            #expect((signIns.object["items"] as? [Any])?.count == 2)
            let verify = try await client.send(.get, "/api/v1/audit/verify", token: officer)
            #expect(verify.object["intact"] as? Bool == true)
            // The officer's own looks are audited too.
            #expect(try await harness.auditCount(action: "audit.view") == 2)
            // And nobody else reads the log.
            #expect(try await client.send(.get, "/api/v1/audit", token: official).status == .forbidden)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aCitizenSeesTheirOwnFamilyByVerifiedPhone(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (own, other) = try await Self.residents(client)
            let citizen = try await client.signInCitizen("+84912345678", harness: harness)
            #expect(try await client.send(.get, "/api/v1/people/\(own)", token: citizen).status == .ok)
            #expect(try await client.send(.get, "/api/v1/people/\(other)", token: citizen).status == .forbidden)
            let child = try await client.send(
                .post,
                "/api/v1/people/\(own)/dependants",
                token: citizen,
                json:
                    #"{"relationship": "child", "person": {"fullName": "Nguyễn Bảo An", "dateOfBirth": "2019-06-01", "sex": "male", "address": {"provinceCode": "19", "communeCode": "05692"}, "priorityGroups": [16]}}"#
            )
            #expect(child.status == .created, "\(child.text)")
            let childID = try #require(child.object["id"] as? String)
            #expect(try await client.send(.get, "/api/v1/people/\(childID)", token: citizen).status == .ok)
            let notMine = try await client.send(
                .post,
                "/api/v1/people/\(other)/dependants",
                token: citizen,
                json:
                    #"{"relationship": "child", "person": {"fullName": "X", "dateOfBirth": "2019-06-01", "sex": "male", "address": {"provinceCode": "19", "communeCode": "05692"}, "priorityGroups": [16]}}"#
            )
            #expect(notMine.status == .forbidden)
            // A citizen's own reads are not audited; staff reads are.
            #expect(try await harness.auditCount(action: "person.read") == 0)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func rateLimitsAnswer429WithRetryAfter(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine, extra: ["rate.public.per.minute": 3, "rate.sign.in.per.minute": 2]) {
            client,
            _ in
            for _ in 0..<3 {
                #expect(try await client.send(.get, "/api/v1/units/provinces", token: nil).status == .ok)
            }
            let limited = try await client.send(.get, "/api/v1/units/provinces", token: nil)
            #expect(limited.status == .tooManyRequests)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Signed-in callers have their own, larger allowance; probes are never limited.
            #expect(try await client.send(.get, "/api/v1/units/provinces").status == .ok)
            #expect(try await client.send(.get, "/healthz", token: nil).status == .ok)
            for _ in 0..<2 {
                _ = try await client.signInStep("a", password: "b")
            }
            let signIn = try await client.signInStep("a", password: "b")
            #expect(signIn.status == .tooManyRequests)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func behindATrustedProxyLimitsCountTheClientNotItsPort(engine: DatabaseEngine) async throws {
        let settings: [AbsoluteConfigKey: ConfigValue] = ["rate.public.per.minute": 2, "http.trusted.proxy": true]
        try await withIdentityApp(engine, extra: settings) { client, _ in
            func get(_ forwarded: String) async throws -> HTTPResponse.Status {
                try await client.send(
                    .get,
                    "/api/v1/units/provinces",
                    token: nil,
                    headers: [HTTPField.Name("X-Forwarded-For")!: forwarded]
                ).status
            }
            var statuses: [HTTPResponse.Status] = []
            for forwarded in [
                "198.51.100.1, 203.0.113.7:1111", "203.0.113.7:2222", "203.0.113.7", "203.0.113.8",
                // One IPv6 subscriber (a /64) is one client, however its addresses are written.
                "[2001:db8:aa:1::1]:443", "2001:db8:aa:1:ffff::2", "2001:0db8:00aa:0001::3",
            ] {
                statuses.append(try await get(forwarded))
            }
            #expect(statuses == [.ok, .ok, .tooManyRequests, .ok, .ok, .ok, .tooManyRequests])
        }
    }

    /// What a fake SMS provider received.
    final class Inbox: Sendable {
        let messages = Mutex<[(authorization: String?, body: String)]>([])
    }

    @Test(arguments: TestDatabase.engines)
    func theHTTPSMSGatewayPostsTheCodeToTheProvider(engine: DatabaseEngine) async throws {
        let inbox = Inbox()
        let router = Router()
        router.post("/sms") { request, context -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 10_000)
            inbox.messages.withLock { $0.append((request.headers[.authorization], String(buffer: body))) }
            return .accepted
        }
        router.post("/broken") { _, _ -> HTTPResponse.Status in .internalServerError }
        let provider = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await provider.test(.live) { providerClient in
            let port = try #require(providerClient.port)
            let settings: [AbsoluteConfigKey: ConfigValue] = [
                "sms.gateway.url": .init(.string("http://127.0.0.1:\(port)/sms"), isSecret: false),
                "sms.gateway.username": "vaxtrace",
                "sms.gateway.password": .init(.string("provider-secret"), isSecret: true),
            ]
            try await withIdentityApp(engine, extra: settings) { client, harness in
                let sent = try await client.send(
                    .post,
                    "/api/v1/auth/otp/request",
                    token: nil,
                    json: #"{"phone": "0912345678"}"#
                )
                #expect(sent.status == .accepted, "\(sent.text)")
                let received = inbox.messages.withLock { $0 }
                #expect(received.count == 1)
                let message = try #require(received.first)
                #expect(message.authorization == "Basic " + Data("vaxtrace:provider-secret".utf8).base64EncodedString())
                let json = try #require(
                    try JSONSerialization.jsonObject(with: Data(message.body.utf8)) as? [String: String]
                )
                #expect(json["to"] == "+84912345678")
                #expect(json["text"]?.range(of: #"\d{6}"#, options: .regularExpression) != nil)
                // Delivered by the provider: nothing waits in the outbox.
                #expect(try await harness.store.outbox(limit: 10).isEmpty)
            }
            let broken: [AbsoluteConfigKey: ConfigValue] = [
                "sms.gateway.url": .init(.string("http://127.0.0.1:\(port)/broken"), isSecret: false)
            ]
            try await withIdentityApp(engine, extra: broken) { client, _ in
                let failed = try await client.send(
                    .post,
                    "/api/v1/auth/otp/request",
                    token: nil,
                    json: #"{"phone": "0912345678"}"#
                )
                #expect(failed.status == .serviceUnavailable)
                #expect(failed.errorCode == "sms_unavailable")
            }
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aProvinceScopeCoversTheOldProvincesMergedIntoIt(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            // Registered under the 2021 scheme (address date 2024) in Bắc Kạn, merged into Thái Nguyên.
            let bacKan = personJSON(name: "Hoàng Văn Nam", cccd: "006087001111", phone: "0911 111 222")
                .replacingOccurrences(
                    of: #""provinceCode": "19", "communeCode": "05692""#,
                    with: #""provinceCode": "06", "districtCode": "058", "communeCode": "01834""#
                )
                .replacingOccurrences(of: #""street": "Tổ 3""#, with: #""street": "Tổ 3", "validOn": "2024-05-01""#)
            let created = try await client.send(.post, "/api/v1/people", json: bacKan)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.object["id"] as? String)
            let (_, haNoi) = try await Self.residents(client)
            #expect(try await client.send(.get, "/api/v1/people/\(id)", token: TestTokens.vaccinator).status == .ok)
            #expect(
                try await client.send(.get, "/api/v1/people/\(haNoi)", token: TestTokens.vaccinator).status
                    == .forbidden
            )
            let found = try await client.send(
                .post,
                "/api/v1/people/search",
                token: TestTokens.vaccinator,
                json: #"{"name": "hoang van nam"}"#
            )
            #expect((found.object["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [id])
            // A commune of Hà Nội: its 2025 residents, none of Thái Nguyên's.
            try await harness.staff("ba.dinh", role: .vaccinator, scope: .unit("00004"))
            let baDinh = try await client.signInStaff("ba.dinh", harness: harness).token
            #expect(try await client.send(.get, "/api/v1/people/\(haNoi)", token: baDinh).status == .ok)
            #expect(try await client.send(.get, "/api/v1/people/\(id)", token: baDinh).status == .forbidden)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func tokensComeFromPeopleAndEndWithTheirRights(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (inside, _) = try await Self.residents(client)
            try await harness.staff("admin.tram", role: .facilityAdmin, scope: .unit("19"))
            let session = try await client.signInStaff("admin.tram", harness: harness).token
            let created = try await client.send(
                .post,
                "/api/v1/tokens",
                token: session,
                json: #"{"name": "Máy tính bảng", "role": "facility_admin", "scope": "unit/19"}"#
            )
            #expect(created.status == .created, "\(created.text)")
            let token = try #require(created.object["token"] as? String)
            // A token cannot mint tokens.
            let minted = try await client.send(
                .post,
                "/api/v1/tokens",
                token: token,
                json: #"{"name": "x", "role": "vaccinator", "scope": "unit/19"}"#
            )
            #expect(minted.status == .forbidden)
            #expect(try await client.send(.get, "/api/v1/people/\(inside)", token: token).status == .ok)
            // The person who made it is demoted: the token stops working.
            _ = try await harness.service.grant(
                username: "admin.tram",
                role: .vaccinator,
                scope: .unit("19"),
                by: "cli:test"
            )
            #expect(try await client.send(.get, "/api/v1/people/\(inside)", token: token).errorCode == "token_revoked")
            #expect(try await client.send(.get, "/api/v1/auth/session", token: session).errorCode == "session_revoked")
            #expect(try await harness.auditCount(action: "account.grant") == 1)
            // A token whose maker lost the right by another path (a token issued while the demotion ran)
            // stops working too.
            try await harness.staff("admin.xa", role: .facilityAdmin, scope: .unit("19"))
            let other = try await client.signInStaff("admin.xa", harness: harness).token
            let late = try await client.send(
                .post,
                "/api/v1/tokens",
                token: other,
                json: #"{"name": "Máy tính bảng 2", "role": "vaccinator", "scope": "unit/19"}"#
            )
            let lateToken = try #require(late.object["token"] as? String)
            #expect(try await client.send(.get, "/api/v1/people/\(inside)", token: lateToken).status == .ok)
            let maker = try #require(try await harness.store.account(username: "admin.xa"))
            try await harness.store.setDisabled(of: maker.id, at: harness.clock.now, now: harness.clock.now, audit: [])
            #expect(
                try await client.send(.get, "/api/v1/people/\(inside)", token: lateToken).errorCode == "token_revoked"
            )
        }
    }
}
