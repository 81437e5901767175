import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import VaxServer
import VaxStorage
import VaxTestSupport

/// Citizens sign in with a phone and a one-time code; staff with a password and TOTP. Every bad input
/// has its own answer and nothing tells whether a phone is registered.
@Suite struct SignInTests {
    static let phone = "+84912345678"

    @Test(arguments: TestDatabase.engines)
    func citizenSignsInWithACodeThatWorksOnce(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let request = try await client.send(
                .post,
                "/api/v1/auth/otp/request",
                token: nil,
                json: #"{"phone": "0912 345 678"}"#
            )
            #expect(request.status == .accepted)
            let challenge = try #require(request.object["challengeId"] as? String)
            let code = try await harness.lastCode(to: Self.phone)
            let wrongCode = code == "000000" ? "111111" : "000000"
            let wrong = try await client.verifyCode(challenge, wrongCode)
            #expect(wrong.status == .unauthorized)
            #expect(wrong.errorCode == "code_wrong")
            let right = try await client.verifyCode(challenge, code)
            #expect(right.status == .ok, "\(right.text)")
            let token = try #require(right.object["token"] as? String)
            #expect(right.headers[.setCookie]?.contains("HttpOnly; SameSite=Strict") == true)
            let replay = try await client.verifyCode(challenge, code)
            #expect(replay.status == .unauthorized)
            #expect(replay.errorCode == "code_used")
            let session = try await client.send(.get, "/api/v1/auth/session", token: token)
            #expect(session.object["role"] as? String == "citizen")
            #expect(session.object["credential"] as? String == "session")
            // The code is stored as a keyed digest, never as typed.
            let entries = try await harness.store.outbox(recipient: Self.phone, limit: 5)
            #expect(entries.count == 1)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func codesExpireAfterFiveMinutes(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (challenge, code) = try await client.requestCode(Self.phone, harness: harness)
            harness.clock.advance(by: 5 * 60 + 1)
            let late = try await client.verifyCode(challenge, code)
            #expect(late.status == .unauthorized)
            #expect(late.errorCode == "code_expired")
        }
    }

    @Test(arguments: TestDatabase.engines)
    func fiveWrongCodesUseTheCodeUp(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (challenge, code) = try await client.requestCode(Self.phone, harness: harness)
            let wrongCode = code == "999999" ? "888888" : "999999"
            for _ in 0..<5 {
                let wrong = try await client.verifyCode(challenge, wrongCode)
                #expect(wrong.errorCode == "code_wrong")
            }
            let right = try await client.verifyCode(challenge, code)
            #expect(right.status == .tooManyRequests)
            #expect(right.errorCode == "code_attempts_exceeded")
            #expect(right.headers[.retryAfter] != nil)
            let rejected = try await harness.auditCount(action: "auth.code_rejected")
            #expect(rejected == 6)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func sendLimitsPerPhoneAnswerTheSameForUnknownPhones(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            // Nobody has this phone; the answers are the same as for a registered one.
            for _ in 0..<3 {
                let sent = try await client.send(
                    .post,
                    "/api/v1/auth/otp/request",
                    token: nil,
                    json: #"{"phone": "0987654321"}"#
                )
                #expect(sent.status == .accepted)
                #expect(Set(sent.object.keys) == ["challengeId", "expiresAt"])
            }
            let fourth = try await client.send(
                .post,
                "/api/v1/auth/otp/request",
                token: nil,
                json: #"{"phone": "0987654321"}"#
            )
            #expect(fourth.status == .tooManyRequests)
            #expect(fourth.headers[.retryAfter] == "900")
            harness.clock.advance(by: 901)
            let later = try await client.send(
                .post,
                "/api/v1/auth/otp/request",
                token: nil,
                json: #"{"phone": "0987654321"}"#
            )
            #expect(later.status == .accepted)
            let bad = try await client.send(.post, "/api/v1/auth/otp/request", token: nil, json: #"{"phone": "12345"}"#)
            #expect(bad.status == .badRequest)
            #expect(bad.errorField == "phone")
        }
    }

    @Test(arguments: TestDatabase.engines)
    func staffEnrolTOTPThenSignInWithCodesAndRecoveryCodes(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            try await harness.staff("lan.nguyen", role: .vaccinator, scope: .unit("19"))
            let first = try await client.signInStaff("lan.nguyen", harness: harness)
            #expect(first.recoveryCodes.count == 10)
            let session = try await client.send(.get, "/api/v1/auth/session", token: first.token)
            #expect(session.object["role"] as? String == "vaccinator")
            #expect(session.object["scope"] as? String == "unit/19")

            // Next sign-in: TOTP, and a code already used is refused (replay).
            harness.clock.advance(by: 60)
            let step1 = try await client.signInStep("LAN.NGUYEN")
            #expect(step1.object["next"] as? String == "totp")
            let mfa = try #require(step1.object["mfaToken"] as? String)
            let wrong = try await client.verifyTOTP(
                mfa,
                code: totpCode(secret: first.secret, at: harness.clock.now, stepOffset: 10)
            )
            #expect(wrong.status == .unauthorized)
            #expect(wrong.errorCode == "totp_wrong")
            let recovery = try await client.verifyTOTP(mfa, recoveryCode: first.recoveryCodes[0])
            #expect(recovery.status == .ok, "\(recovery.text)")
            // The pending token is spent, and so is the recovery code.
            let again = try await client.verifyTOTP(mfa, recoveryCode: first.recoveryCodes[0])
            #expect(again.errorCode == "sign_in_expired")
            // A pending token is not an API credential.
            let misuse = try await client.send(.get, "/api/v1/auth/session", token: mfa)
            #expect(misuse.status == .unauthorized)

            let step1b = try await client.signInStep("lan.nguyen")
            let mfa2 = try #require(step1b.object["mfaToken"] as? String)
            let reused = try await client.verifyTOTP(mfa2, recoveryCode: first.recoveryCodes[0])
            #expect(reused.errorCode == "recovery_code_wrong")
        }
    }

    @Test(arguments: TestDatabase.engines)
    func fiveWrongPasswordsLockTheAccount(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            try await harness.staff("minh.tran", role: .facilityAdmin, scope: .unit("19"))
            for attempt in 1...5 {
                let wrong = try await client.signInStep("minh.tran", password: "wrong-password-\(attempt)")
                #expect(wrong.status == (attempt < 5 ? .unauthorized : .tooManyRequests), "attempt \(attempt)")
            }
            let right = try await client.signInStep("minh.tran")
            #expect(right.status == .tooManyRequests)
            #expect(right.errorCode == "account_locked")
            #expect(Int(right.headers[.retryAfter] ?? "") ?? 0 > 800)
            // An unknown username locks the same way, so lock-out does not tell which usernames exist.
            var unknown: TestResponse?
            for _ in 1...6 {
                unknown = try await client.signInStep("nobody.here", password: "wrong-password")
            }
            #expect(unknown?.errorCode == "account_locked")
            harness.clock.advance(by: 15 * 60 + 1)
            let later = try await client.signInStep("minh.tran")
            #expect(later.status == .ok)
            // The known account and the unknown name both locked.
            #expect(try await harness.auditCount(action: "auth.locked") == 2)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func sessionsExpireWhenIdleAndAtTheirEnd(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            try await harness.staff("hoa.le", role: .vaccinator, scope: .unit("19"))
            let idle = try await client.signInStaff("hoa.le", harness: harness)
            harness.clock.advance(by: 31 * 60)
            let expired = try await client.send(.get, "/api/v1/auth/session", token: idle.token)
            #expect(expired.status == .unauthorized)
            #expect(expired.errorCode == "session_expired")

            harness.clock.advance(by: 60)
            let busy = try await client.signInStaff("hoa.le", harness: harness, secret: idle.secret)
            for _ in 0..<35 {
                harness.clock.advance(by: 20 * 60)
                let used = try await client.send(.get, "/api/v1/auth/session", token: busy.token)
                #expect(used.status == .ok)
            }
            harness.clock.advance(by: 20 * 60 + 1)
            let end = try await client.send(.get, "/api/v1/auth/session", token: busy.token)
            #expect(end.errorCode == "session_expired")
            #expect(try await harness.auditCount(action: "auth.session_rejected") == 2)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func signInRotatesTheSessionAndSignOutEverywhereEndsAll(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let first = try await client.signInCitizen(Self.phone, harness: harness)
            // Signing in again with the old session in the cookie replaces it.
            let (challenge, code) = try await client.requestCode(Self.phone, harness: harness)
            let rotated = try await client.verifyCode(challenge, code, headers: [.cookie: "vax_session=\(first)"])
            #expect(rotated.status == .ok)
            let second = try #require(rotated.object["token"] as? String)
            #expect(second != first)
            let old = try await client.send(.get, "/api/v1/auth/session", token: first)
            #expect(old.errorCode == "session_revoked")

            let third = try await client.signInCitizen(Self.phone, harness: harness)
            let everywhere = try await client.send(.post, "/api/v1/auth/sign-out-everywhere", token: third)
            #expect(everywhere.status == .ok)
            #expect(everywhere.object["revoked"] as? Int == 2)
            for token in [second, third] {
                let gone = try await client.send(.get, "/api/v1/auth/session", token: token)
                #expect(gone.errorCode == "session_revoked")
            }
        }
    }

    @Test(arguments: TestDatabase.engines)
    func cookieWritesNeedTheCSRFToken(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (challenge, code) = try await client.requestCode(Self.phone, harness: harness)
            let signedIn = try await client.verifyCode(challenge, code)
            let token = try #require(signedIn.object["token"] as? String)
            let csrf = try #require(signedIn.object["csrfToken"] as? String)
            let read = try await client.send(
                .get,
                "/api/v1/auth/session",
                token: nil,
                headers: [.cookie: "vax_session=\(token)"]
            )
            #expect(read.object["credential"] as? String == "cookie")
            let forged = try await client.send(
                .post,
                "/api/v1/auth/sign-out",
                token: nil,
                headers: [.cookie: "vax_session=\(token)"]
            )
            #expect(forged.status == .forbidden)
            #expect(forged.errorCode == "csrf_failed")
            let signedOut = try await client.send(
                .post,
                "/api/v1/auth/sign-out",
                token: nil,
                headers: [.cookie: "vax_session=\(token)", HTTPField.Name("X-CSRF-Token")!: csrf]
            )
            #expect(signedOut.status == .noContent)
            #expect(signedOut.headers[.setCookie]?.contains("Max-Age=0") == true)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func weakPasswordsAndBadScopesAreRefused(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { _, harness in
            await #expect(throws: AppError.self) {
                _ = try await harness.service.createStaff(
                    username: "weak",
                    password: "password1234",
                    role: .vaccinator,
                    scope: .unit("19"),
                    displayName: nil,
                    by: "cli:test"
                )
            }
            await #expect(throws: AppError.self) {
                _ = try await harness.service.createStaff(
                    username: "official",
                    password: IdentityHarness.password,
                    role: .communeOfficial,
                    scope: .unit("19"),
                    displayName: nil,
                    by: "cli:test"
                )
            }
            await #expect(throws: IdentityStoreError.self) {
                try await harness.staff("twice", role: .vaccinator, scope: .unit("19"))
                try await harness.staff("twice", role: .vaccinator, scope: .unit("19"))
            }
        }
    }

    @Test(arguments: TestDatabase.engines)
    func signInDataIsPurgedOnSchedule(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let token = try await client.signInCitizen(Self.phone, harness: harness)
            let purger = IdentityPurger(store: harness.store, clock: harness.clock.wallClock)
            await purger.purgeOnce()
            #expect(try await harness.store.outbox(limit: 10).count == 1)
            harness.clock.advance(by: 3601)
            await purger.purgeOnce()
            #expect(try await harness.store.outbox(limit: 10).isEmpty)
            #expect(try await harness.store.challengeCount(phone: Self.phone, since: .distantPast) == 1)
            harness.clock.advance(by: 86_400)
            await purger.purgeOnce()
            #expect(try await harness.store.challengeCount(phone: Self.phone, since: .distantPast) == 0)
            // A session goes a day after it expired (30 days for a citizen); then it is simply unknown.
            harness.clock.advance(by: 31 * 86_400)
            #expect(try await client.send(.get, "/api/v1/auth/session", token: token).errorCode == "session_expired")
            await purger.purgeOnce()
            #expect(try await client.send(.get, "/api/v1/auth/session", token: token).errorCode == "unauthenticated")
        }
    }

    @Test(arguments: TestDatabase.engines)
    func concurrentGuessesGetNoMoreThanFiveTries(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (challenge, code) = try await client.requestCode(Self.phone, harness: harness)
            let statuses = try await withThrowingTaskGroup(of: String?.self) { group in
                // 15 at once (with the request, within the 20 sign-in steps a minute an address may take).
                for guess in 0..<15 {
                    let wrong = String(format: "%06d", (Int(code)! + 1 + guess) % 1_000_000)
                    group.addTask {
                        try await client.verifyCode(challenge, wrong).errorCode
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == "code_wrong" }.count == 5)
            #expect(statuses.filter { $0 == "code_attempts_exceeded" }.count == 10)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aTOTPCodeAndARecoveryCodeWorkOnceEvenConcurrently(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            try await harness.staff("thu.pham", role: .vaccinator, scope: .unit("19"))
            let first = try await client.signInStaff("thu.pham", harness: harness)
            // The same TOTP code, a second time in the same 30 seconds: refused.
            let step1 = try await client.signInStep("thu.pham")
            let mfa = try #require(step1.object["mfaToken"] as? String)
            let replay = try await client.verifyTOTP(mfa, code: totpCode(secret: first.secret, at: harness.clock.now))
            #expect(replay.errorCode == "totp_wrong")
            // Two sign-ins race with one recovery code: one wins.
            var pending: [String] = []
            for _ in 0..<2 {
                let step = try await client.signInStep("thu.pham")
                pending.append(try #require(step.object["mfaToken"] as? String))
            }
            let recovery = first.recoveryCodes[3]
            let outcomes = try await withThrowingTaskGroup(of: Int.self) { group in
                for token in pending {
                    group.addTask {
                        try await client.verifyTOTP(token, recoveryCode: recovery).status.code
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(outcomes.sorted() == [200, 401])
        }
    }
}
