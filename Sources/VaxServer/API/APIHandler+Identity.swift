import Foundation
import OpenAPIRuntime
import VaxAPI
import VaxDomain
import VaxStorage

extension APIHandler {
    // MARK: Citizens

    func requestOTP(_ input: Operations.RequestOTP.Input) async throws -> Operations.RequestOTP.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let call = try call()
        let (challenge, expiresAt) = try await identity.requestCode(
            phone: body.phone,
            address: call.clientAddress,
            requestID: call.requestID
        )
        return .accepted(
            .init(body: .json(.init(challengeId: challenge.uuidString.lowercased(), expiresAt: expiresAt)))
        )
    }

    func verifyOTP(_ input: Operations.VerifyOTP.Input) async throws -> Operations.VerifyOTP.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        guard let challenge = UUID(uuidString: body.challengeId) else {
            throw AppError.invalidField("challengeId", "The challenge id is not a UUID.")
        }
        let call = try call()
        let issued = try await identity.verifyCode(
            challenge: challenge,
            code: body.code.trimmingCharacters(in: .whitespaces),
            replacing: currentSession(call),
            requestID: call.requestID
        )
        return .ok(signedIn(issued, call: call))
    }

    // MARK: Staff

    func signIn(_ input: Operations.SignIn.Input) async throws -> Operations.SignIn.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let call = try call()
        let pending = try await identity.signIn(
            username: body.username,
            password: body.password,
            address: call.clientAddress,
            requestID: call.requestID
        )
        return .ok(
            .init(
                body: .json(
                    .init(
                        mfaToken: pending.token,
                        next: pending.next == .totp ? .totp : .enrol,
                        expiresAt: pending.expiresAt
                    )
                )
            )
        )
    }

    func enrolTOTP(_ input: Operations.EnrolTOTP.Input) async throws -> Operations.EnrolTOTP.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let enrolment = try await identity.enrolTOTP(pending: body.mfaToken)
        let svg = try QRCode.encode(enrolment.uri, correction: .medium).svg()
        return .ok(.init(body: .json(.init(secret: enrolment.secret, otpauthUri: enrolment.uri, qrSvg: svg))))
    }

    func verifyTOTP(_ input: Operations.VerifyTOTP.Input) async throws -> Operations.VerifyTOTP.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let call = try call()
        let issued = try await identity.verifySecondFactor(
            pending: body.mfaToken,
            code: body.code?.trimmingCharacters(in: .whitespaces),
            recoveryCode: body.recoveryCode,
            replacing: currentSession(call),
            requestID: call.requestID
        )
        return .ok(signedIn(issued, call: call))
    }

    // MARK: Sessions

    func getSession(_ input: Operations.GetSession.Input) async throws -> Operations.GetSession.Output {
        .ok(.init(body: .json(caller(try principal()))))
    }

    func signOut(_ input: Operations.SignOut.Input) async throws -> Operations.SignOut.Output {
        let call = try call()
        try await identity.signOut(try principal(), requestID: call.requestID)
        call.cookies.set(clearedCookie)
        return .noContent(.init())
    }

    func signOutEverywhere(
        _ input: Operations.SignOutEverywhere.Input
    ) async throws
        -> Operations.SignOutEverywhere.Output
    {
        let call = try call()
        let revoked = try await identity.signOutEverywhere(try principal(), requestID: call.requestID)
        return .ok(.init(body: .json(.init(revoked: revoked))))
    }

    // MARK: API tokens

    func createAPIToken(_ input: Operations.CreateAPIToken.Input) async throws -> Operations.CreateAPIToken.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        guard let role = Role(rawValue: body.role.rawValue) else {
            throw AppError.invalidField("role", "Unknown role.")
        }
        guard let scope = Scope(body.scope), !body.scope.hasControlCharacters else {
            throw AppError.invalidField("scope", "A scope is `*`, `unit/CODE`, `facility/ID` or `venue/ID`.")
        }
        let call = try call()
        let (record, token) = try await identity.createToken(
            name: body.name,
            role: role,
            scope: scope,
            days: body.expiresInDays ?? 90,
            by: try principal(),
            requestID: call.requestID
        )
        return .created(.init(body: .json(.init(value1: Self.apiToken(record), value2: .init(token: token)))))
    }

    func listAPITokens(_ input: Operations.ListAPITokens.Input) async throws -> Operations.ListAPITokens.Output {
        let tokens = try await identity.tokens(visibleTo: try principal())
        return .ok(.init(body: .json(.init(items: tokens.map(Self.apiToken)))))
    }

    func revokeAPIToken(_ input: Operations.RevokeAPIToken.Input) async throws -> Operations.RevokeAPIToken.Output {
        guard let id = UUID(uuidString: input.path.tokenId) else {
            throw AppError.invalidField("tokenId", "The token id is not a UUID.")
        }
        try await identity.revokeToken(id, by: try principal(), requestID: try call().requestID)
        return .noContent(.init())
    }

    // MARK: Audit

    func listAuditEntries(
        _ input: Operations.ListAuditEntries.Input
    ) async throws
        -> Operations.ListAuditEntries.Output
    {
        let query = input.query
        let person = try query.personId.map { text -> Person.ID in
            guard let id = Person.ID(text) else { throw AppError.invalidField("personId", "Not a UUID.") }
            return id
        }
        for (name, value) in [("actor", query.actor), ("action", query.action)] {
            if let value, value.isEmpty || value.count > 80 || value.hasControlCharacters {
                throw AppError.invalidField(name, "Give 1 to 80 printable characters.")
            }
        }
        let limit = query.limit ?? 50
        guard (1...200).contains(limit) else { throw AppError.invalidField("limit", "The limit is 1 to 200.") }
        let filter = AuditFilter(
            personID: person,
            actor: query.actor,
            action: query.action,
            from: query.from,
            to: query.to,
            beforeSeq: query.before.map(Int64.init),
            limit: limit
        )
        let principal = try principal()
        let call = try call()
        let found = try await audit.search(filter)
        let now = Date()
        try await audit.record([
            AuditEntry(
                id: IdentifierGenerator.uuidV7.next(at: now),
                occurredAt: now,
                actor: principal.subject,
                actorRole: principal.role.rawValue,
                actorScope: principal.scope.description,
                action: "audit.view",
                personID: person,
                reason: "audit view (\(found.count) entries)",
                requestID: call.requestID
            )
        ])
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: found.map { seq, entry in
                            .init(
                                seq: Int(seq),
                                id: entry.id.uuidString.lowercased(),
                                occurredAt: entry.occurredAt,
                                actor: entry.actor,
                                actorRole: entry.actorRole,
                                actorScope: entry.actorScope,
                                action: entry.action,
                                personId: entry.personID?.description,
                                reason: entry.reason,
                                requestId: entry.requestID
                            )
                        },
                        nextBefore: found.count == limit ? found.last.map { Int($0.seq) } : nil
                    )
                )
            )
        )
    }

    func verifyAuditChain(
        _ input: Operations.VerifyAuditChain.Input
    ) async throws
        -> Operations.VerifyAuditChain.Output
    {
        switch try await AuditChain.verify(database) {
        case .intact(let entries):
            return .ok(.init(body: .json(.init(intact: true, entries: entries))))
        case .broken(let seq, let reason):
            return .ok(.init(body: .json(.init(intact: false, entries: 0, brokenAt: Int(seq), reason: reason))))
        }
    }

    // MARK: Helpers

    private func call() throws -> CallContext {
        guard let call = CallContext.current else {
            throw AppError(.internalServerError, code: "internal", message: "No request context.")
        }
        return call
    }

    private func principal() throws -> Principal {
        guard let principal = CallContext.current?.principal else {
            throw AppError(.unauthorized, code: "unauthenticated", message: "Sign in.")
        }
        return principal
    }

    /// The session the request came with, revoked when a new one is issued (rotation on sign-in).
    private func currentSession(_ call: CallContext) -> String? {
        if case .session(let hash, _) = call.principal?.credential { return hash }
        return nil
    }

    private var clearedCookie: String {
        "\(AuthenticationMiddleware<VaxRequestContext>.sessionCookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
            + (identitySecureCookies ? "; Secure" : "")
    }

    private var identitySecureCookies: Bool { identity.settings.secureCookies }

    private func signedIn(_ issued: IssuedSession, call: CallContext) -> Components.Responses.SignedIn {
        let maxAge = Int(issued.record.expiresAt.timeIntervalSince(issued.record.createdAt))
        let cookie =
            "\(AuthenticationMiddleware<VaxRequestContext>.sessionCookie)=\(issued.token); Path=/; Max-Age=\(maxAge); "
            + "HttpOnly; SameSite=Strict" + (identitySecureCookies ? "; Secure" : "")
        call.cookies.set(cookie)
        let role = Role(rawValue: issued.account.role) ?? .citizen
        return .init(
            body: .json(
                .init(
                    token: issued.token,
                    csrfToken: issued.csrfToken,
                    expiresAt: issued.record.expiresAt,
                    idleTimeoutSeconds: issued.record.idleSeconds,
                    caller: .init(
                        subject: issued.account.id.uuidString.lowercased(),
                        role: Components.Schemas.Role(rawValue: role.rawValue) ?? .citizen,
                        scope: issued.account.scope,
                        credential: .session
                    ),
                    recoveryCodes: issued.recoveryCodes
                )
            )
        )
    }

    private func caller(_ principal: Principal) -> Components.Schemas.Caller {
        let credential: Components.Schemas.Caller.CredentialPayload =
            switch principal.credential {
            case .developmentToken: .developmentToken
            case .apiToken: .apiToken
            case .session(_, let viaCookie): viaCookie ? .cookie : .session
            }
        return .init(
            subject: principal.subject,
            role: Components.Schemas.Role(rawValue: principal.role.rawValue) ?? .citizen,
            scope: principal.scope.description,
            credential: credential
        )
    }

    private static func apiToken(_ record: APITokenRecord) -> Components.Schemas.APIToken {
        .init(
            id: record.id.uuidString.lowercased(),
            name: record.name,
            role: Components.Schemas.Role(rawValue: record.role) ?? .vaccinator,
            scope: record.scope,
            createdBy: record.createdBy,
            createdAt: record.createdAt,
            expiresAt: record.expiresAt,
            lastUsedAt: record.lastUsedAt,
            revoked: record.revokedAt != nil
        )
    }
}
