import ExtrasBase64
import Foundation
import HTTPTypes
import HummingbirdBcrypt
import HummingbirdOTP
import NIOPosix
import VaxDomain
import VaxStorage

/// A session just issued: the secrets go to the client once and are never stored.
public struct IssuedSession: Sendable {
    /// The bearer token (also the cookie value).
    public var token: String
    /// The CSRF token to send as `X-CSRF-Token` with cookie-authenticated writes.
    public var csrfToken: String
    /// The stored session.
    public var record: SessionRecord
    /// The account.
    public var account: Account
    /// Recovery codes, shown once, when TOTP enrolment has just been confirmed.
    public var recoveryCodes: [String]?
}

/// A password step passed; the second factor is next.
public struct PendingSignIn: Sendable {
    /// What comes next.
    public enum Next: String, Sendable {
        case totp
        case enrol
    }

    /// The token for the second step (not an API credential).
    public var token: String
    /// What comes next.
    public var next: Next
    /// When the pending step expires.
    public var expiresAt: Date
}

/// TOTP enrolment material.
public struct TOTPEnrolment: Sendable {
    /// The base32 secret, for typing into an authenticator app.
    public var secret: String
    /// The `otpauth://` URI the QR code holds.
    public var uri: String
}

/// Sign-in of citizens (phone + one-time code) and staff (password + TOTP), sessions, API tokens and
/// account management, each step audited.
public struct IdentityService: Sendable {
    let store: IdentityStore
    let auditLog: any AuditRepository
    let vault: NationalIDVault
    let gateway: any MessageGateway
    let limiter: RateLimiter
    let scopes: ScopeResolver
    let settings: IdentitySettings
    let clock: WallClock
    let ids: IdentifierGenerator

    /// A bcrypt hash of a random password, checked when a username is unknown so that the answer takes
    /// as long as for a known one.
    let decoyHash: String

    /// A service.
    public init(
        store: IdentityStore,
        audit: any AuditRepository,
        vault: NationalIDVault,
        gateway: any MessageGateway,
        settings: IdentitySettings,
        clock: WallClock = .system,
        ids: IdentifierGenerator = .uuidV7
    ) {
        self.store = store
        self.auditLog = audit
        self.vault = vault
        self.gateway = gateway
        self.limiter = RateLimiter()
        self.scopes = ScopeResolver(store: store)
        self.settings = settings
        self.clock = clock
        self.ids = ids
        self.decoyHash = Bcrypt.hash(Secrets.token(prefix: ""), cost: settings.bcryptCost)
    }

    // MARK: Citizens: phone + one-time code

    /// Sends a one-time code to a phone. The answer is the same whether or not the phone is known.
    public func requestCode(
        phone input: String,
        address: String,
        requestID: String
    ) async throws
        -> (challenge: UUID, expiresAt: Date)
    {
        let phone: String
        switch PhoneNumber.normalise(input) {
        case .success(let normalised): phone = normalised
        case .failure(let error): throw AppError.invalidField("phone", error.message, code: error.code)
        }
        let now = clock.now()
        if let wait = limiter.hit(
            "otp-ip:\(address)",
            limit: settings.codesPerAddressPerHour,
            per: 3600,
            now: now
        ) {
            throw AppError.tooManyRequests("Too many codes requested from this network; try again later.", wait)
        }
        let code = Secrets.sixDigitCode()
        let id = ids.next(at: now)
        let stored = OTPChallenge(
            id: id,
            phone: phone,
            codeHash: codeDigest(code, challenge: id),
            createdAt: now,
            expiresAt: now.addingTimeInterval(settings.codeLifetime)
        )
        let message = OutboundMessage(
            recipient: phone,
            purpose: "otp",
            body: settings.smsTemplate.replacingOccurrences(of: "{code}", with: code)
        )
        let limits = [
            SendLimit(
                since: now.addingTimeInterval(-900),
                maximum: settings.codesPerPhonePerQuarterHour,
                retryAfter: 900,
                reason: "Too many codes for this phone; wait 15 minutes."
            ),
            SendLimit(
                since: now.addingTimeInterval(-86_400),
                maximum: settings.codesPerPhonePerDay,
                retryAfter: 3600,
                reason: "Too many codes for this phone today; try again tomorrow."
            ),
        ]
        let outboxCopy = gateway.deliversThroughOutbox ? outboxMessage(message, clock: clock, ids: ids) : nil
        if case .limited(let wait, let reason) = try await store.insert(stored, message: outboxCopy, limits: limits) {
            throw AppError.tooManyRequests(reason, wait)
        }
        if !gateway.deliversThroughOutbox {
            do {
                try await gateway.send(message)
            } catch let error as MessageGatewayError {
                throw AppError(.serviceUnavailable, code: "sms_unavailable", message: "\(error); try again shortly.")
            }
        }
        return (stored.id, stored.expiresAt)
    }

    /// Checks a one-time code and signs the citizen in (making their account on first use). An attempt
    /// is taken atomically before the code is compared, and the code is used up atomically, so concurrent
    /// guesses get no more than five tries and a code signs in once.
    public func verifyCode(
        challenge id: UUID,
        code: String,
        replacing: String?,
        requestID: String
    ) async throws -> IssuedSession {
        let now = clock.now()
        func reject(_ status: HTTPResponse.Status, _ code: String, _ message: String) async throws -> Never {
            try await record(
                audit(
                    "auth.code_rejected",
                    actor: "otp:\(id.uuidString.lowercased())",
                    role: "citizen",
                    scope: "phone",
                    reason: code,
                    requestID: requestID,
                    at: now
                )
            )
            var error = AppError(status, code: code, message: message)
            if status == .tooManyRequests { error.retryAfter = 60 }
            throw error
        }
        guard
            let challenge = try await store.reserveCodeAttempt(
                challenge: id,
                maxAttempts: settings.codeAttempts,
                at: now
            )
        else {
            // Nothing to take: say why, from the challenge as it stands.
            guard let current = try await store.challenge(id: id) else {
                try await reject(.unauthorized, "code_unknown", "No code was sent with this id; ask for a new one.")
            }
            if current.consumedAt != nil {
                try await reject(.unauthorized, "code_used", "This code has been used already; ask for a new one.")
            }
            if now >= current.expiresAt {
                try await reject(
                    .unauthorized,
                    "code_expired",
                    "This code has expired (codes last 5 minutes); ask for a new one."
                )
            }
            try await reject(.tooManyRequests, "code_attempts_exceeded", "Too many wrong codes; ask for a new code.")
        }
        guard code.count == 6, code.allSatisfy({ $0.isASCII && $0.isNumber }),
            Secrets.constantTimeEquals(codeDigest(code, challenge: id), challenge.codeHash)
        else {
            let left = max(0, settings.codeAttempts - challenge.attempts)
            try await reject(.unauthorized, "code_wrong", "The code is wrong; \(left) attempts left.")
        }
        guard try await store.consumeChallenge(id, at: now) else {
            try await reject(.unauthorized, "code_used", "This code has been used already; ask for a new one.")
        }
        let account = try await store.citizenAccount(phone: challenge.phone, newID: ids.next(at: now), at: now)
        return try await issueSession(for: account, replacing: replacing, how: "phone+code", requestID: requestID)
    }

    // MARK: Staff: password, then TOTP

    /// Checks a username and password; on success the second factor is next. An attempt is taken
    /// before the (slow) password check, so concurrent guesses cannot exceed the lock-out limit.
    public func signIn(
        username input: String,
        password: String,
        address: String,
        requestID: String
    ) async throws
        -> PendingSignIn
    {
        let username = input.trimmingCharacters(in: .whitespaces).lowercased()
        let now = clock.now()
        let invalid = AppError(
            .unauthorized,
            code: "invalid_credentials",
            message: "The username or password is wrong."
        )
        let plausible =
            (1...64).contains(username.count)
            && username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
            && !password.isEmpty && password.utf8.count <= 1024 && !password.contains("\u{0}")
        let key = attemptKey(username)
        var known: Account?
        if plausible { known = try await store.account(username: username) }
        let attempt = try await reserveAttempt(key, at: now)
        // Unknown usernames cost the same time and lock the same way as known ones.
        guard let account = known, let hash = account.passwordHash, try await checkPassword(password, hash: hash) else {
            if known == nil { _ = try await checkPassword(password, hash: decoyHash) }
            try await fail(
                key,
                known,
                attempt: attempt,
                why: known == nil ? "unknown username" : "wrong password",
                requestID: requestID,
                at: now
            )
            throw invalid
        }
        try await store.refundAttempt(username: key)
        if account.disabledAt != nil {
            try await record(
                audit(
                    "auth.sign_in_failed",
                    account: account,
                    reason: "account disabled",
                    requestID: requestID,
                    at: now
                )
            )
            throw AppError(
                .forbidden,
                code: "account_disabled",
                message: "This account is disabled; ask your administrator."
            )
        }
        let stage: SessionRecord.Stage = account.totpEnabledAt == nil ? .enrol : .mfa
        let token = Secrets.token(prefix: "vxm_")
        let record = SessionRecord(
            tokenHash: Secrets.digest(token),
            accountID: account.id,
            stage: stage,
            csrfHash: Secrets.digest(Secrets.token(prefix: "")),
            createdAt: now,
            lastSeenAt: now,
            idleSeconds: Int(settings.codeLifetime),
            expiresAt: now.addingTimeInterval(settings.codeLifetime)
        )
        try await store.insert(record, replacing: nil, audit: [])
        return PendingSignIn(token: token, next: stage == .enrol ? .enrol : .totp, expiresAt: record.expiresAt)
    }

    /// Starts TOTP enrolment for a pending sign-in whose account has none: a new secret each call.
    public func enrolTOTP(pending token: String) async throws -> TOTPEnrolment {
        let now = clock.now()
        let (session, account) = try await pending(token, at: now)
        let secret = Secrets.totpSecret()
        guard session.stage == .enrol,
            try await store.setPendingTOTPSecret(of: account.id, sealed: try vault.seal(secret), at: now)
        else {
            throw AppError(.conflict, code: "totp_enrolled", message: "This account has TOTP already; enter a code.")
        }
        let label = "Vaxtrace:\(account.username ?? account.id.uuidString.lowercased())"
        return TOTPEnrolment(
            secret: String(base32Encoding: secret.utf8, options: .omitPaddingCharacter),
            uri: TOTP(secret: secret).createAuthenticatorURL(label: label, issuer: "Vaxtrace")
        )
    }

    /// Checks a TOTP code (or a recovery code) for a pending sign-in and issues the session. The first
    /// good code after enrolment switches TOTP on and returns ten recovery codes.
    public func verifySecondFactor(
        pending token: String,
        code: String?,
        recoveryCode: String?,
        replacing: String?,
        requestID: String
    ) async throws -> IssuedSession {
        let now = clock.now()
        let (session, account) = try await pending(token, at: now)
        var how = "password+totp"
        var recoveryCodes: [String]?
        switch (code, recoveryCode) {
        case (let code?, nil):
            guard let sealed = account.totpSecretSealed else {
                throw AppError(.conflict, code: "totp_not_enrolled", message: "Start TOTP enrolment first.")
            }
            let attempt = try await reserveAttempt(attemptKey(account), at: now)
            let enrolling = session.stage == .enrol
            guard let step = matchingStep(code, secret: try vault.open(sealed), at: now),
                try await store.acceptTOTPStep(
                    of: account.id,
                    step: step,
                    secret: sealed,
                    enrolling: enrolling,
                    at: now
                )
            else {
                try await fail(
                    attemptKey(account),
                    account,
                    attempt: attempt,
                    why: "wrong second factor",
                    requestID: requestID,
                    at: now
                )
                throw AppError(
                    .unauthorized,
                    code: "totp_wrong",
                    message: "The code is wrong or has been used; wait for the next one."
                )
            }
            if enrolling {
                let codes = (0..<10).map { _ in Secrets.recoveryCode() }
                try await store.replaceRecoveryCodes(of: account.id, with: codes.map(Secrets.digest))
                recoveryCodes = codes
                how = "password+totp (enrolled)"
            }
        case (nil, let recovery?):
            let attempt = try await reserveAttempt(attemptKey(account), at: now)
            guard session.stage == .mfa,
                try await store.useRecoveryCode(
                    of: account.id,
                    hash: Secrets.digest(recovery.trimmingCharacters(in: .whitespaces).lowercased()),
                    at: now
                )
            else {
                try await fail(
                    attemptKey(account),
                    account,
                    attempt: attempt,
                    why: "wrong recovery code",
                    requestID: requestID,
                    at: now
                )
                throw AppError(
                    .unauthorized,
                    code: "recovery_code_wrong",
                    message: "The recovery code is wrong or used."
                )
            }
            how = "password+recovery code"
        default:
            throw AppError.invalidField("code", "Give either a 6-digit code or a recovery code.")
        }
        try await store.clearAttempts(username: attemptKey(account))
        try await store.revokeSession(hash: session.tokenHash, reason: "completed", at: now, audit: [])
        var issued = try await issueSession(for: account, replacing: replacing, how: how, requestID: requestID)
        issued.recoveryCodes = recoveryCodes
        return issued
    }

    // MARK: Sessions and tokens as credentials

    /// The principal of a session token. Revoked and expired sessions are refused with their reason
    /// and an audit row; an idle check slides the session forward at most once a minute.
    public func principal(session token: String, viaCookie: Bool, requestID: String) async throws -> Principal {
        let now = clock.now()
        let hash = Secrets.digest(token)
        guard let session = try await store.session(hash: hash), session.stage == .active,
            let account = try await store.account(id: session.accountID)
        else {
            throw AppError(.unauthorized, code: "unauthenticated", message: "The session token is not valid; sign in.")
        }
        if let reason = session.unusableReason(at: now) {
            try await recordRejection(
                hash,
                audit("auth.session_rejected", account: account, reason: reason, requestID: requestID, at: now)
            )
            let code = session.revokedAt != nil ? "session_revoked" : "session_expired"
            throw AppError(.unauthorized, code: code, message: "The session is \(reason); sign in again.")
        }
        if account.disabledAt != nil {
            try await recordRejection(
                hash,
                audit(
                    "auth.session_rejected",
                    account: account,
                    reason: "account disabled",
                    requestID: requestID,
                    at: now
                )
            )
            throw AppError(.unauthorized, code: "session_revoked", message: "The account is disabled.")
        }
        if now.timeIntervalSince(session.lastSeenAt) > 60 { try await store.touchSession(hash: hash, at: now) }
        return try await principal(for: account, credential: .session(hash: hash, viaCookie: viaCookie))
    }

    /// Whether a CSRF token belongs to a session.
    public func csrfMatches(_ csrf: String, session hash: String) async throws -> Bool {
        guard let session = try await store.session(hash: hash) else { return false }
        return Secrets.constantTimeEquals(Secrets.digest(csrf), session.csrfHash)
    }

    /// The principal of an API token.
    public func principal(apiToken token: String, requestID: String) async throws -> Principal {
        let now = clock.now()
        guard let record = try await store.token(hash: Secrets.digest(token)),
            let role = Role(rawValue: record.role), let scope = Scope(record.scope)
        else {
            throw AppError(.unauthorized, code: "unauthenticated", message: "The API token is not valid.")
        }
        let subject = "token:\(record.id.uuidString.lowercased())"
        var rejection: String?
        if record.revokedAt != nil {
            rejection = "revoked"
        } else if now >= record.expiresAt {
            rejection = "expired"
        } else if try await !makerStillEntitled(record, role: role, scope: scope) {
            // Revocation at demotion covers this; the check closes a token issued while that ran.
            rejection = "revoked"
        }
        if let reason = rejection {
            try await recordRejection(
                record.tokenHash,
                audit(
                    "auth.token_rejected",
                    actor: subject,
                    role: record.role,
                    scope: record.scope,
                    reason: reason,
                    requestID: requestID,
                    at: now
                )
            )
            throw AppError(.unauthorized, code: "token_\(reason)", message: "The API token is \(reason).")
        }
        if record.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try await store.touchToken(id: record.id, at: now)
        }
        return Principal(
            subject: subject,
            role: role,
            scope: scope,
            area: try await scopes.area(of: scope),
            credential: .apiToken(record.id)
        )
    }

    /// Whether the person who issued a token could still issue it: not disabled, and their role and scope
    /// still allow it. Tokens issued with a development token or by an operator have no such person.
    private func makerStillEntitled(_ record: APITokenRecord, role: Role, scope: Scope) async throws -> Bool {
        guard let makerID = UUID(uuidString: record.createdBy) else { return true }
        guard let maker = try await store.account(id: makerID), maker.disabledAt == nil,
            let makerRole = Role(rawValue: maker.role), let makerScope = Scope(maker.scope)
        else { return false }
        let issuer = Principal(subject: record.createdBy, role: makerRole, scope: makerScope)
        return (try? Policy.authorizeTokenGrant(role: role, scope: scope, by: issuer)) != nil
    }

    /// A development token's principal, with its area resolved.
    public func resolved(_ principal: Principal) async throws -> Principal {
        var principal = principal
        principal.area = try await scopes.area(of: principal.scope)
        return principal
    }

    /// Signs the current session out.
    public func signOut(_ principal: Principal, requestID: String) async throws {
        guard case .session(let hash, _) = principal.credential else {
            throw AppError(
                .conflict,
                code: "not_a_session",
                message: "Only a session can sign out; revoke API tokens instead."
            )
        }
        let now = clock.now()
        try await store.revokeSession(
            hash: hash,
            reason: "signed_out",
            at: now,
            audit: [audit("auth.sign_out", principal: principal, reason: "this session", requestID: requestID, at: now)]
        )
    }

    /// Signs out every session of the caller's account; returns how many were live.
    public func signOutEverywhere(_ principal: Principal, requestID: String) async throws -> Int {
        guard case .session = principal.credential, let account = principal.accountID else {
            throw AppError(
                .conflict,
                code: "not_a_session",
                message: "Only a signed-in account can sign out everywhere."
            )
        }
        let now = clock.now()
        return try await store.revokeSessions(
            of: account,
            reason: "signed_out_everywhere",
            at: now,
            audit: [
                audit(
                    "auth.sign_out_everywhere",
                    principal: principal,
                    reason: "every session",
                    requestID: requestID,
                    at: now
                )
            ]
        )
    }

    /// Issues an API token; the secret is returned once.
    public func createToken(
        name: String,
        role: Role,
        scope: Scope,
        days: Int,
        by principal: Principal,
        requestID: String
    ) async throws -> (APITokenRecord, String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(trimmed.unicodeScalars.count), !trimmed.hasControlCharacters else {
            throw AppError.invalidField("name", "Give the token a name of 1 to 100 characters.")
        }
        guard (1...365).contains(days) else {
            throw AppError.invalidField("expiresInDays", "A token lives 1 to 365 days.")
        }
        if case .apiToken = principal.credential {
            try await recordDenial(of: principal, operation: "createAPIToken", requestID: requestID)
            throw AppError(
                .forbidden,
                code: "not_permitted",
                message: "API tokens are issued by a signed-in person, not by another token."
            )
        }
        // (A `catch … where` around this typed-throws call crashes the Swift 6.3.1 compiler.)
        let refusal: AppError?
        do {
            try Policy.authorizeTokenGrant(role: role, scope: scope, by: principal)
            refusal = nil
        } catch {
            refusal = error
        }
        if let refusal {
            if refusal.status == .forbidden {
                try await recordDenial(of: principal, operation: "createAPIToken", requestID: requestID)
            }
            throw refusal
        }
        if case .facility(let id) = scope, try await store.facility(id: id) == nil {
            throw AppError.invalidField("scope", "No facility \(id).")
        }
        let now = clock.now()
        let token = Secrets.token(prefix: "vxt_")
        let record = APITokenRecord(
            id: ids.next(at: now),
            tokenHash: Secrets.digest(token),
            name: trimmed,
            role: role.rawValue,
            scope: scope.description,
            createdBy: principal.subject,
            createdAt: now,
            expiresAt: now.addingTimeInterval(Double(days) * 86_400)
        )
        try await store.insert(
            record,
            audit: [
                audit(
                    "token.create",
                    principal: principal,
                    reason:
                        "token \(record.id.uuidString.lowercased()) as \(role.rawValue) in \(scope) for \(days) days",
                    requestID: requestID,
                    at: now
                )
            ]
        )
        return (record, token)
    }

    /// The tokens the caller may see: all for a system administrator, their own otherwise.
    public func tokens(visibleTo principal: Principal) async throws -> [APITokenRecord] {
        try await store.tokens(createdBy: principal.role == .systemAdmin ? nil : principal.subject)
    }

    /// Revokes a token the caller may see.
    public func revokeToken(_ id: UUID, by principal: Principal, requestID: String) async throws {
        guard let record = try await store.token(id: id),
            principal.role == .systemAdmin || record.createdBy == principal.subject
        else {
            try await recordDenial(of: principal, operation: "revokeAPIToken", requestID: requestID)
            throw AppError(
                .notFound,
                code: "not_found",
                message: "No token \(id.uuidString.lowercased()) that you manage."
            )
        }
        let now = clock.now()
        try await store.revokeToken(
            id: id,
            at: now,
            audit: [
                audit(
                    "token.revoke",
                    principal: principal,
                    reason: "token \(id.uuidString.lowercased())",
                    requestID: requestID,
                    at: now
                )
            ]
        )
    }

    // MARK: Account management (the `vaxtrace users` commands)

    /// Creates a staff account; the password must meet `PasswordRule`.
    public func createStaff(
        username input: String,
        password: String,
        role: Role,
        scope: Scope,
        displayName: String?,
        by operatorName: String
    ) async throws -> Account {
        let username = input.trimmingCharacters(in: .whitespaces).lowercased()
        guard (3...64).contains(username.count),
            username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        else {
            throw AppError.invalidField("username", "3 to 64 characters: letters, digits, dot, dash, underscore.")
        }
        try checkStrength(password, username: username)
        try await checkScope(role: role, scope: scope)
        let now = clock.now()
        let hash = try await hashPassword(password)
        let account = Account(
            id: ids.next(at: now),
            kind: .staff,
            username: username,
            displayName: displayName,
            passwordHash: hash,
            role: role.rawValue,
            scope: scope.description,
            createdAt: now
        )
        try await store.create(
            account,
            audit: [
                audit(
                    "account.create",
                    actor: operatorName,
                    role: "operator",
                    scope: "*",
                    reason: "account \(account.id.uuidString.lowercased()) as \(role.rawValue) in \(scope)",
                    requestID: "cli",
                    at: now
                )
            ]
        )
        return account
    }

    /// Changes a staff account's role and scope; its sessions end.
    public func grant(username: String, role: Role, scope: Scope, by operatorName: String) async throws -> Account {
        var account = try await staff(username)
        try await checkScope(role: role, scope: scope)
        let before = "\(account.role) in \(account.scope)"
        account.role = role.rawValue
        account.scope = scope.description
        let now = clock.now()
        let reason = "account \(account.id.uuidString.lowercased()): \(before) -> \(role.rawValue) in \(scope)"
        try await store.setRole(
            of: account.id,
            role: account.role,
            scope: account.scope,
            at: now,
            audit: [operatorAudit("account.grant", operatorName, reason: reason, at: now)]
        )
        try await endAccess(of: account, reason: "permissions_changed", at: now)
        return account
    }

    /// Disables or re-enables an account; disabling ends its sessions and tokens.
    public func setDisabled(_ disabled: Bool, username: String, by operatorName: String) async throws -> Account {
        var account = try await staff(username)
        let now = clock.now()
        account.disabledAt = disabled ? now : nil
        try await store.setDisabled(
            of: account.id,
            at: account.disabledAt,
            now: now,
            audit: [
                operatorAudit(
                    disabled ? "account.disable" : "account.enable",
                    operatorName,
                    reason: "account \(account.id.uuidString.lowercased())",
                    at: now
                )
            ]
        )
        if disabled { try await endAccess(of: account, reason: "disabled", at: now) }
        return account
    }

    /// Lifts a lock-out.
    public func unlock(username: String, by operatorName: String) async throws -> Account {
        let account = try await staff(username)
        let now = clock.now()
        try await store.clearAttempts(
            username: attemptKey(account),
            audit: [
                operatorAudit(
                    "account.unlock",
                    operatorName,
                    reason: "account \(account.id.uuidString.lowercased())",
                    at: now
                )
            ]
        )
        return account
    }

    /// Sets a new password and removes TOTP (the person enrols again at next sign-in); sessions and
    /// tokens end.
    public func reset(username: String, password: String, by operatorName: String) async throws -> Account {
        var account = try await staff(username)
        try checkStrength(password, username: account.username ?? "")
        let now = clock.now()
        account.passwordHash = try await hashPassword(password)
        account.totpSecretSealed = nil
        account.totpEnabledAt = nil
        try await store.resetCredentials(
            of: account.id,
            passwordHash: account.passwordHash ?? "",
            at: now,
            audit: [
                operatorAudit(
                    "account.reset",
                    operatorName,
                    reason: "account \(account.id.uuidString.lowercased()): new password, TOTP to enrol again",
                    at: now
                )
            ]
        )
        try await store.replaceRecoveryCodes(of: account.id, with: [])
        try await store.clearAttempts(username: attemptKey(account))
        try await endAccess(of: account, reason: "reset", at: now)
        return account
    }

    /// Ends an account's sessions and the API tokens it issued.
    private func endAccess(of account: Account, reason: String, at now: Date) async throws {
        _ = try await store.revokeSessions(of: account.id, reason: reason, at: now, audit: [])
        try await store.revokeTokens(createdBy: account.id.uuidString.lowercased(), at: now)
    }

    private func operatorAudit(_ action: String, _ operatorName: String, reason: String, at now: Date) -> AuditEntry {
        audit(action, actor: operatorName, role: "operator", scope: "*", reason: reason, requestID: "cli", at: now)
    }

    /// Every staff account.
    public func staffAccounts() async throws -> [Account] { try await store.staffAccounts() }

    // MARK: Helpers

    private let lockedMessage =
        "Too many failed attempts: the account is locked for a while; or ask your administrator."

    private func staff(_ username: String) async throws -> Account {
        guard let account = try await store.account(username: username.lowercased()) else {
            throw IdentityStoreError.noSuchAccount(username)
        }
        return account
    }

    private func checkStrength(_ password: String, username: String) throws {
        let problems = PasswordRule.problems(with: password, username: username)
        guard problems.isEmpty else {
            throw AppError.invalidField("password", "The password is too weak: \(problems.joined(separator: "; ")).")
        }
    }

    private func checkScope(role: Role, scope: Scope) async throws {
        if let problem = Policy.problem(role: role, scope: scope) { throw AppError.invalidField("scope", problem) }
        if case .facility(let id) = scope, try await store.facility(id: id) == nil {
            throw AppError.invalidField("scope", "No facility \(id); add it with `vaxtrace facilities add`.")
        }
    }

    private func pending(_ token: String, at now: Date) async throws -> (SessionRecord, Account) {
        guard let session = try await store.session(hash: Secrets.digest(token)), session.stage != .active,
            session.unusableReason(at: now) == nil, let account = try await store.account(id: session.accountID),
            account.disabledAt == nil
        else {
            throw AppError(
                .unauthorized,
                code: "sign_in_expired",
                message: "The sign-in step has expired or is not valid; enter the username and password again."
            )
        }
        return (session, account)
    }

    /// The key of a username's sign-in attempts: a keyed hash, so the table names nobody.
    private func attemptKey(_ username: String) -> String {
        vault.lookupHash(of: "sign-in|\(username)")
    }

    private func attemptKey(_ account: Account) -> String {
        attemptKey(account.username ?? account.id.uuidString.lowercased())
    }

    /// Takes a sign-in attempt; a locked username is refused after the same decoy work as a password check.
    private func reserveAttempt(_ key: String, at now: Date) async throws -> Int {
        switch try await store.reserveAttempt(username: key, limit: settings.failuresBeforeLock, at: now) {
        case .allowed(let attempt):
            return attempt
        case .locked(let until):
            _ = try await checkPassword("", hash: decoyHash)
            throw AppError.tooManyRequests(
                lockedMessage,
                Int(until.timeIntervalSince(now).rounded(.up)),
                code: "account_locked"
            )
        case .busy:
            throw AppError.tooManyRequests("Another sign-in for this account is under way; try again.", 1)
        }
    }

    /// Audits a failed attempt; the attempt that uses up the allowance locks the username (429).
    private func fail(
        _ key: String,
        _ account: Account?,
        attempt: Int,
        why: String,
        requestID: String,
        at now: Date
    ) async throws {
        let failed = audit(
            "auth.sign_in_failed",
            actor: account?.id.uuidString.lowercased() ?? "unknown",
            role: account?.role ?? "none",
            scope: account?.scope ?? "none",
            reason: why,
            requestID: requestID,
            at: now
        )
        guard attempt >= settings.failuresBeforeLock else {
            try await record(failed)
            return
        }
        let locked = AuditEntry(
            id: ids.next(at: now),
            occurredAt: now,
            actor: failed.actor,
            actorRole: failed.actorRole,
            actorScope: failed.actorScope,
            action: "auth.locked",
            personID: nil,
            reason: "after \(settings.failuresBeforeLock) failures",
            requestID: requestID
        )
        try await store.lock(
            username: key,
            until: now.addingTimeInterval(settings.lockDuration),
            audit: [failed, locked]
        )
        throw AppError.tooManyRequests(lockedMessage, Int(settings.lockDuration), code: "account_locked")
    }

    /// Whether a staff account is locked out now.
    public func isLocked(_ account: Account) async throws -> Bool {
        try await store.lockedUntil(username: attemptKey(account), at: clock.now()) != nil
    }

    private func issueSession(
        for account: Account,
        replacing: String?,
        how: String,
        requestID: String
    ) async throws -> IssuedSession {
        let now = clock.now()
        let token = Secrets.token(prefix: "vxs_")
        let csrf = Secrets.token(prefix: "")
        let citizen = account.kind == .citizen
        let record = SessionRecord(
            tokenHash: Secrets.digest(token),
            accountID: account.id,
            stage: .active,
            csrfHash: Secrets.digest(csrf),
            createdAt: now,
            lastSeenAt: now,
            idleSeconds: Int(citizen ? settings.citizenIdle : settings.staffIdle),
            expiresAt: now.addingTimeInterval(citizen ? settings.citizenAbsolute : settings.staffAbsolute)
        )
        try await store.insert(
            record,
            replacing: replacing,
            audit: [audit("auth.sign_in", account: account, reason: how, requestID: requestID, at: now)]
        )
        return IssuedSession(token: token, csrfToken: csrf, record: record, account: account, recoveryCodes: nil)
    }

    private func principal(for account: Account, credential: Credential) async throws -> Principal {
        guard let role = Role(rawValue: account.role), let scope = Scope(account.scope) else {
            throw AppError(.forbidden, code: "not_permitted", message: "This account has no usable role.")
        }
        return Principal(
            subject: account.id.uuidString.lowercased(),
            role: role,
            scope: scope,
            area: try await scopes.area(of: scope),
            phone: account.phone,
            credential: credential,
            accountID: account.id
        )
    }

    /// The time step a TOTP code belongs to, within one step either side of now.
    private func matchingStep(_ code: String, secret: String, at now: Date) -> Int64? {
        guard code.count == 6, code.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(code) else { return nil }
        let totp = TOTP(secret: secret)
        let current = Int64(now.timeIntervalSince1970 / 30)
        var found: Int64?
        for step in (current - 1)...(current + 1) {
            let expected = totp.compute(date: Date(timeIntervalSince1970: Double(step) * 30))
            // Check every step, whatever matches, so timing does not tell which one did.
            if expected == value, found == nil { found = step }
        }
        return found
    }

    private func codeDigest(_ code: String, challenge: UUID) -> String {
        vault.lookupHash(of: "otp|\(challenge.uuidString.lowercased())|\(code)")
    }

    private func hashPassword(_ password: String) async throws -> String {
        let cost = settings.bcryptCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    private func checkPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    func record(_ entry: AuditEntry) async throws {
        try await auditLog.record([entry])
    }

    /// Audits the use of a revoked or expired credential, once a minute per credential at most (a client
    /// retrying in a loop must not flood the chain).
    private func recordRejection(_ credential: String, _ entry: AuditEntry) async throws {
        guard limiter.hit("rejected:\(credential)", limit: 1, per: 60) == nil else { return }
        try await record(entry)
    }

    /// Audits a refused request of a signed-in caller.
    public func recordDenial(of principal: Principal, operation: String, requestID: String) async throws {
        // Once a minute per caller and operation: a client retrying in a loop must not flood the chain.
        guard limiter.hit("denied:\(principal.subject):\(operation)", limit: 1, per: 60) == nil else { return }
        try await record(
            audit(
                "access.denied",
                principal: principal,
                reason: "operation \(operation)",
                requestID: requestID,
                at: clock.now()
            )
        )
    }

    func audit(
        _ action: String,
        actor: String,
        role: String,
        scope: String,
        reason: String,
        requestID: String,
        at now: Date
    ) -> AuditEntry {
        AuditEntry(
            id: ids.next(at: now),
            occurredAt: now,
            actor: actor,
            actorRole: role,
            actorScope: scope,
            action: action,
            personID: nil,
            reason: reason,
            requestID: requestID
        )
    }

    func audit(_ action: String, account: Account, reason: String, requestID: String, at now: Date) -> AuditEntry {
        audit(
            action,
            actor: account.id.uuidString.lowercased(),
            role: account.role,
            scope: account.scope,
            reason: reason,
            requestID: requestID,
            at: now
        )
    }

    func audit(_ action: String, principal: Principal, reason: String, requestID: String, at now: Date) -> AuditEntry {
        audit(
            action,
            actor: principal.subject,
            role: principal.role.rawValue,
            scope: principal.scope.description,
            reason: reason,
            requestID: requestID,
            at: now
        )
    }
}
