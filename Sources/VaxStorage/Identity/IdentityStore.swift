import Foundation
import SQLKit
import VaxDomain

/// Accounts, sessions, one-time codes, API tokens, facilities and the outbox, over SQLKit on both
/// engines. Changes that must be audited take their audit entries and land in the same transaction.
public struct IdentityStore: Sendable {
    private let database: VaxDatabase

    /// A store over the database.
    public init(database: VaxDatabase) {
        self.database = database
    }

    // MARK: Accounts

    /// Creates an account.
    public func create(_ account: Account, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            if let username = account.username,
                try await sql.select().column("id").from("accounts").where("username", .equal, username).first() != nil
            {
                throw IdentityStoreError.usernameTaken(username)
            }
            try await sql.insert(into: "accounts").columns(Self.accountColumns).values(Self.values(account)).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// The citizen account of a verified phone, made on first sign-in (two first sign-ins at once make one).
    public func citizenAccount(phone: String, newID: UUID, at now: Date) async throws -> Account {
        try await database.write { sql in
            let account = Account(
                id: newID,
                kind: .citizen,
                phone: phone,
                role: "citizen",
                scope: "phone",
                createdAt: now
            )
            try await sql.insert(into: "accounts").columns(Self.accountColumns).values(Self.values(account))
                .ignoringConflicts(with: "phone").run()
            guard
                let row = try await sql.select().columns(Self.accountColumns.map { SQLIdentifier($0) })
                    .from("accounts").where("phone", .equal, phone).first()
            else { throw StorageError.corruptRow("accounts: no row for a phone just inserted") }
            let stored = try Self.account(from: row)
            if stored.id == newID {
                // The dashboards count who uses the health book (see RollupStore).
                try await CampaignStore.insert(
                    [
                        OutboxEvent(
                            id: IdentifierGenerator.uuidV7.next(at: now),
                            kind: "account.created",
                            subjectID: newID.uuidString.lowercased(),
                            payload: "{}",
                            createdAt: now
                        )
                    ],
                    on: sql
                )
            }
            return stored
        }
    }

    /// An account by id.
    public func account(id: UUID) async throws -> Account? {
        try await findAccount("id", id.uuidString.lowercased())
    }

    /// A staff account by username (lower case).
    public func account(username: String) async throws -> Account? {
        try await findAccount("username", username)
    }

    /// Every staff account, by username.
    public func staffAccounts() async throws -> [Account] {
        try await database.read { sql in
            try await sql.select().columns(Self.accountColumns.map { SQLIdentifier($0) }).from("accounts")
                .where("kind", .equal, "staff").orderBy("username").all().map(Self.account(from:))
        }
    }

    /// Changes an account's role and scope.
    public func setRole(of id: UUID, role: String, scope: String, at now: Date, audit: [AuditEntry]) async throws {
        try await updateAccount(id, at: now, audit: audit) { $0.set("role", to: role).set("scope", to: scope) }
    }

    /// Disables (`disabledAt` set) or enables an account.
    public func setDisabled(of id: UUID, at disabledAt: Date?, now: Date, audit: [AuditEntry]) async throws {
        try await updateAccount(id, at: now, audit: audit) {
            $0.set("disabled_at", to: disabledAt?.millisecondsSince1970)
        }
    }

    /// Sets a new password hash and removes TOTP (to be enrolled again).
    public func resetCredentials(of id: UUID, passwordHash: String, at now: Date, audit: [AuditEntry]) async throws {
        try await updateAccount(id, at: now, audit: audit) {
            $0.set("password_hash", to: passwordHash).set("totp_secret_sealed", to: SQLLiteral.null)
                .set("totp_enabled_at", to: SQLLiteral.null)
        }
    }

    /// Writes only the columns `change` sets (never a whole row read earlier, which could undo a
    /// concurrent change), with audit entries, in one transaction.
    private func updateAccount(
        _ id: UUID,
        at now: Date,
        audit: [AuditEntry],
        _ change: @escaping @Sendable (SQLUpdateBuilder) -> SQLUpdateBuilder
    ) async throws {
        try await database.write { sql in
            try await change(sql.update("accounts")).set("updated_at", to: now.millisecondsSince1970)
                .where("id", .equal, id.uuidString.lowercased()).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Takes one of the `limit` sign-in attempts a username has per lock-out window, before the password
    /// or code is checked, so that concurrent guesses cannot exceed the limit. Known and unknown usernames
    /// go through the same rows (by a keyed hash of the name), so lock-out tells nothing about which exist.
    public func reserveAttempt(username hash: String, limit: Int, at now: Date) async throws -> AttemptReservation {
        try await database.write { sql in
            let millis = now.millisecondsSince1970
            // Twice at most: on PostgreSQL a concurrent success may delete the row between our insert
            // (which then did nothing) and our update (which then finds nothing); the second round
            // inserts it afresh. That attempt is then judged on its own, not answered "busy".
            for _ in 0..<2 {
                try await sql.insert(into: "sign_in_attempts")
                    .columns("username_hash", "failed_attempts", "locked_until", "updated_at")
                    .values(SQLBind(hash), SQLBind(0), SQLLiteral.null, SQLBind(millis))
                    .ignoringConflicts(with: "username_hash").run()
                let taken = try await sql.update("sign_in_attempts")
                    .set(SQLIdentifier("failed_attempts"), to: SQLRaw("failed_attempts + 1"))
                    .set("updated_at", to: millis)
                    .where("username_hash", .equal, hash).where("failed_attempts", .lessThan, limit)
                    .where {
                        $0.where("locked_until", .is, SQLLiteral.null).orWhere("locked_until", .lessThanOrEqual, millis)
                    }
                    .returning("failed_attempts").first()
                if let taken { return .allowed(attempt: try taken.decode(column: "failed_attempts", as: Int.self)) }
                guard
                    let row = try await sql.select().column("locked_until").from("sign_in_attempts")
                        .where("username_hash", .equal, hash).first()
                else { continue }
                let until = try row.decode(column: "locked_until", as: Int64?.self)
                guard let until, until > millis else { return .busy }
                return .locked(until: Date(millisecondsSince1970: until))
            }
            return .busy
        }
    }

    /// Gives back an attempt that succeeded half-way (a right password, with the second factor next), so
    /// that signing in costs nothing while wrong second factors still count.
    public func refundAttempt(username hash: String) async throws {
        try await database.write { sql in
            try await sql.update("sign_in_attempts")
                .set(SQLIdentifier("failed_attempts"), to: SQLRaw("failed_attempts - 1"))
                .where("username_hash", .equal, hash).where("failed_attempts", .greaterThan, 0).run()
        }
    }

    /// Forgets failed attempts and any lock-out, with audit entries (a success, an administrator's unlock).
    public func clearAttempts(username hash: String, audit: [AuditEntry] = []) async throws {
        try await database.write { sql in
            try await sql.delete(from: "sign_in_attempts").where("username_hash", .equal, hash).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Locks a username until `until` (the attempt count starts again afterwards), with audit entries.
    public func lock(username hash: String, until: Date, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await sql.update("sign_in_attempts").set("locked_until", to: until.millisecondsSince1970)
                .set("failed_attempts", to: 0).where("username_hash", .equal, hash).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Until when a username is locked, if it is.
    public func lockedUntil(username hash: String, at now: Date) async throws -> Date? {
        let until = try await database.read { sql in
            try await sql.select().column("locked_until").from("sign_in_attempts").where("username_hash", .equal, hash)
                .first()?.decode(column: "locked_until", as: Int64?.self)
        }
        return until.map(Date.init(millisecondsSince1970:)).flatMap { $0 > now ? $0 : nil }
    }

    /// Stores a TOTP secret awaiting confirmation; `false` when the account has TOTP already.
    public func setPendingTOTPSecret(of id: UUID, sealed: String, at now: Date) async throws -> Bool {
        try await database.write { sql in
            try await sql.update("accounts").set("totp_secret_sealed", to: sealed)
                .set("updated_at", to: now.millisecondsSince1970)
                .where("id", .equal, id.uuidString.lowercased()).where("totp_enabled_at", .is, SQLLiteral.null)
                .where("disabled_at", .is, SQLLiteral.null)
                .returning("id").first() != nil
        }
    }

    /// Accepts a TOTP code's time step: only if it is later than the last one accepted, the account is
    /// still enabled, and the secret is still the one the code was checked against (a second enrolment
    /// in another tab replaces it), so a code is never accepted twice, even by concurrent requests.
    /// `enrolling` switches TOTP on, only if it was off. `false` when refused.
    public func acceptTOTPStep(
        of id: UUID,
        step: Int64,
        secret sealed: String,
        enrolling: Bool,
        at now: Date
    ) async throws -> Bool {
        try await database.write { sql in
            let update = sql.update("accounts").set("totp_last_step", to: step)
                .set("updated_at", to: now.millisecondsSince1970)
                .where("id", .equal, id.uuidString.lowercased()).where("totp_last_step", .lessThan, step)
                .where("disabled_at", .is, SQLLiteral.null).where("totp_secret_sealed", .equal, sealed)
            if enrolling {
                update.set("totp_enabled_at", to: now.millisecondsSince1970)
                    .where("totp_enabled_at", .is, SQLLiteral.null)
            } else {
                update.where("totp_enabled_at", .isNot, SQLLiteral.null)
            }
            return try await update.returning("id").first() != nil
        }
    }

    // MARK: Recovery codes

    /// Replaces an account's recovery codes with new digests.
    public func replaceRecoveryCodes(of id: UUID, with hashes: [String]) async throws {
        try await database.write { sql in
            let key = id.uuidString.lowercased()
            try await sql.delete(from: "recovery_codes").where("account_id", .equal, key).run()
            let insert = sql.insert(into: "recovery_codes").columns("account_id", "code_hash")
            for hash in hashes { insert.values(SQLBind(key), SQLBind(hash)) }
            if !hashes.isEmpty { try await insert.run() }
        }
    }

    /// Uses up a recovery code; `false` when it is unknown or used (also by a concurrent request).
    public func useRecoveryCode(of id: UUID, hash: String, at now: Date) async throws -> Bool {
        try await database.write { sql in
            try await sql.update("recovery_codes").set("used_at", to: now.millisecondsSince1970)
                .where("account_id", .equal, id.uuidString.lowercased()).where("code_hash", .equal, hash)
                .where("used_at", .is, SQLLiteral.null).returning("code_hash").first() != nil
        }
    }

    // MARK: Sessions

    /// Stores a new session, revoking `replacing` (rotation) in the same transaction.
    public func insert(_ session: SessionRecord, replacing: String?, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            if let replacing {
                try await sql.update("sessions").set("revoked_at", to: session.createdAt.millisecondsSince1970)
                    .set("revoked_reason", to: "rotated").where("token_hash", .equal, replacing)
                    .where("revoked_at", .is, SQLLiteral.null).run()
            }
            try await sql.insert(into: "sessions").columns(Self.sessionColumns).values(Self.values(session)).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// A session by token digest.
    public func session(hash: String) async throws -> SessionRecord? {
        try await database.read { sql in
            try await sql.select().columns(Self.sessionColumns.map { SQLIdentifier($0) }).from("sessions")
                .where("token_hash", .equal, hash).first().map(Self.session(from:))
        }
    }

    /// Marks a session used now (callers skip this when it was used within the last minute).
    public func touchSession(hash: String, at now: Date) async throws {
        try await database.write { sql in
            try await sql.update("sessions").set("last_seen_at", to: now.millisecondsSince1970)
                .where("token_hash", .equal, hash).run()
        }
    }

    /// Revokes one session.
    public func revokeSession(hash: String, reason: String, at now: Date, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await sql.update("sessions").set("revoked_at", to: now.millisecondsSince1970)
                .set("revoked_reason", to: reason).where("token_hash", .equal, hash)
                .where("revoked_at", .is, SQLLiteral.null).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Revokes every live session of an account; returns how many.
    public func revokeSessions(of id: UUID, reason: String, at now: Date, audit: [AuditEntry]) async throws -> Int {
        try await database.write { sql in
            let key = id.uuidString.lowercased()
            let live =
                try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("sessions")
                .where("account_id", .equal, key).where("revoked_at", .is, SQLLiteral.null).first()?
                .decode(column: "n", as: Int.self) ?? 0
            try await sql.update("sessions").set("revoked_at", to: now.millisecondsSince1970)
                .set("revoked_reason", to: reason).where("account_id", .equal, key)
                .where("revoked_at", .is, SQLLiteral.null).run()
            try await AuditChain.append(audit, on: sql)
            return live
        }
    }

    // MARK: One-time codes

    /// How many codes were sent to a phone since `date`.
    public func challengeCount(phone: String, since date: Date) async throws -> Int {
        try await database.read { sql in
            try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("otp_challenges")
                .where("phone", .equal, phone).where("created_at", .greaterThanOrEqual, date.millisecondsSince1970)
                .first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Stores a challenge, and its message when the outbox delivers it, in one transaction, unless a send
    /// limit is reached: `limits` are (since, maximum, seconds to wait, why). The phone's row in
    /// `otp_senders` is locked first, so concurrent requests for one phone are counted one after another.
    public func insert(
        _ challenge: OTPChallenge,
        message: OutboxMessage?,
        limits: [SendLimit]
    ) async throws -> SendReservation {
        try await database.write { sql in
            let millis = challenge.createdAt.millisecondsSince1970
            try await sql.insert(into: "otp_senders").columns("phone", "updated_at")
                .values(SQLBind(challenge.phone), SQLBind(millis)).ignoringConflicts(with: "phone").run()
            try await sql.update("otp_senders").set("updated_at", to: millis)
                .where("phone", .equal, challenge.phone).run()
            for limit in limits {
                let sent =
                    try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .from("otp_challenges").where("phone", .equal, challenge.phone)
                    .where("created_at", .greaterThanOrEqual, limit.since.millisecondsSince1970).first()?
                    .decode(column: "n", as: Int.self) ?? 0
                if sent >= limit.maximum { return .limited(retryAfter: limit.retryAfter, reason: limit.reason) }
            }
            try await sql.insert(into: "otp_challenges").columns(Self.challengeColumns).values(Self.values(challenge))
                .run()
            if let message { try await Self.insert(message, on: sql) }
            return .sent
        }
    }

    /// A challenge by id.
    public func challenge(id: UUID) async throws -> OTPChallenge? {
        try await database.read { sql in
            try await sql.select().columns(Self.challengeColumns.map { SQLIdentifier($0) }).from("otp_challenges")
                .where("id", .equal, id.uuidString.lowercased()).first().map(Self.challenge(from:))
        }
    }

    /// Takes one attempt of a live challenge (not used, not expired, attempts left), atomically, before
    /// the code is compared; `nil` when there is none to take.
    public func reserveCodeAttempt(challenge id: UUID, maxAttempts: Int, at now: Date) async throws -> OTPChallenge? {
        try await database.write { sql in
            try await sql.update("otp_challenges").set(SQLIdentifier("attempts"), to: SQLRaw("attempts + 1"))
                .where("id", .equal, id.uuidString.lowercased()).where("consumed_at", .is, SQLLiteral.null)
                .where("expires_at", .greaterThan, now.millisecondsSince1970).where("attempts", .lessThan, maxAttempts)
                .returning(Self.challengeColumns.map { SQLIdentifier($0) }).first().map(Self.challenge(from:))
        }
    }

    /// Marks a challenge used; `false` when it was used already (a concurrent replay).
    public func consumeChallenge(_ id: UUID, at now: Date) async throws -> Bool {
        try await database.write { sql in
            try await sql.update("otp_challenges").set("consumed_at", to: now.millisecondsSince1970)
                .where("id", .equal, id.uuidString.lowercased()).where("consumed_at", .is, SQLLiteral.null)
                .returning("id").first() != nil
        }
    }

    // MARK: API tokens

    /// Stores a token.
    public func insert(_ token: APITokenRecord, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await sql.insert(into: "api_tokens").columns(Self.tokenColumns).values(Self.values(token)).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// A token by digest.
    public func token(hash: String) async throws -> APITokenRecord? {
        try await database.read { sql in
            try await sql.select().columns(Self.tokenColumns.map { SQLIdentifier($0) }).from("api_tokens")
                .where("token_hash", .equal, hash).first().map(Self.token(from:))
        }
    }

    /// A token by id.
    public func token(id: UUID) async throws -> APITokenRecord? {
        try await database.read { sql in
            try await sql.select().columns(Self.tokenColumns.map { SQLIdentifier($0) }).from("api_tokens")
                .where("id", .equal, id.uuidString.lowercased()).first().map(Self.token(from:))
        }
    }

    /// Tokens, newest first; only those made by `creator` when given.
    public func tokens(createdBy creator: String?) async throws -> [APITokenRecord] {
        try await database.read { sql in
            let query = sql.select().columns(Self.tokenColumns.map { SQLIdentifier($0) }).from("api_tokens")
            if let creator { query.where("created_by", .equal, creator) }
            return try await query.orderBy("created_at", .descending).limit(500).all().map(Self.token(from:))
        }
    }

    /// Revokes a token.
    public func revokeToken(id: UUID, at now: Date, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await sql.update("api_tokens").set("revoked_at", to: now.millisecondsSince1970)
                .where("id", .equal, id.uuidString.lowercased()).where("revoked_at", .is, SQLLiteral.null).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Revokes every live token made by `creator` (an account whose rights changed).
    public func revokeTokens(createdBy creator: String, at now: Date) async throws {
        try await database.write { sql in
            try await sql.update("api_tokens").set("revoked_at", to: now.millisecondsSince1970)
                .where("created_by", .equal, creator).where("revoked_at", .is, SQLLiteral.null).run()
        }
    }

    /// Marks a token used now.
    public func touchToken(id: UUID, at now: Date) async throws {
        try await database.write { sql in
            try await sql.update("api_tokens").set("last_used_at", to: now.millisecondsSince1970)
                .where("id", .equal, id.uuidString.lowercased()).run()
        }
    }

    // MARK: Outbox

    /// Puts a message in the outbox.
    public func insert(_ message: OutboxMessage) async throws {
        try await database.write { sql in try await Self.insert(message, on: sql) }
    }

    /// The newest messages, optionally for one recipient.
    public func outbox(recipient: String? = nil, limit: Int) async throws -> [OutboxMessage] {
        try await database.read { sql in
            let query = sql.select().columns("id", "channel", "recipient", "purpose", "body", "created_at")
                .from("message_outbox")
            if let recipient { query.where("recipient", .equal, recipient) }
            return try await query.orderBy("created_at", .descending).orderBy("id", .descending).limit(limit).all()
                .map { row in
                    OutboxMessage(
                        id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
                        channel: try row.decode(column: "channel", as: String.self),
                        recipient: try row.decode(column: "recipient", as: String.self),
                        purpose: try row.decode(column: "purpose", as: String.self),
                        body: try row.decode(column: "body", as: String.self),
                        createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
                    )
                }
        }
    }

    /// Deletes what exists only for minutes or hours: outbox messages created before `messagesBefore`,
    /// one-time codes created before `codesBefore` (kept a day for the daily send limit), and sessions
    /// that expired before `sessionsBefore`. Returns how many rows went.
    public func purge(messagesBefore: Date, codesBefore: Date, sessionsBefore: Date) async throws -> Int {
        try await database.write { sql in
            func count(_ table: String, _ column: String, _ cutoff: Date) async throws -> Int {
                try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(table)
                    .where(SQLIdentifier(column), .lessThan, SQLBind(cutoff.millisecondsSince1970)).first()?
                    .decode(column: "n", as: Int.self) ?? 0
            }
            var removed = 0
            for (table, column, cutoff) in [
                ("message_outbox", "created_at", messagesBefore), ("otp_challenges", "created_at", codesBefore),
                ("otp_senders", "updated_at", codesBefore), ("sign_in_attempts", "updated_at", codesBefore),
                ("sessions", "expires_at", sessionsBefore),
            ] {
                removed += try await count(table, column, cutoff)
                try await sql.delete(from: table)
                    .where(SQLIdentifier(column), .lessThan, SQLBind(cutoff.millisecondsSince1970)).run()
            }
            return removed
        }
    }

    // MARK: Scopes

    /// The area a unit scope covers: a 2025 province with the 2021 districts the conversion table puts in
    /// it, a 2025 commune (5 digits) with the 2021 communes that went into it, or a 2021 district (3 digits) with the 2025 communes its communes
    /// went into. `nil` for a code that is none of these.
    public func area(ofUnit code: String) async throws -> ScopeArea? {
        try await database.read { sql in
            func codes(_ column: String, where filter: String, is value: String) async throws -> Set<String> {
                let rows = try await sql.select().distinct().column(SQLIdentifier(column)).from("unit_conversions")
                    .where(SQLIdentifier(filter), .equal, SQLBind(value)).all()
                return Set(try rows.map { try $0.decode(column: column, as: String.self) })
            }
            switch code.count {
            case 2:
                // Whole 2021 districts: no 2021 district was split between 2025 provinces, and a few 2021
                // communes have no row of their own in the conversion table.
                return ScopeArea(
                    provinces: [code],
                    districts2021: try await codes("old_district_code", where: "new_province_code", is: code)
                )
            case 3:
                return ScopeArea(
                    communes: try await codes("new_commune_code", where: "old_district_code", is: code),
                    districts2021: [code]
                )
            case 5:
                return ScopeArea(
                    communes: [code],
                    communes2021: try await codes("old_commune_code", where: "new_commune_code", is: code)
                )
            default:
                return nil
            }
        }
    }

    // MARK: Facilities

    /// Adds a facility.
    public func insert(_ facility: Facility, at now: Date) async throws {
        try await database.write { sql in
            if try await sql.select().column("id").from("facilities").where("id", .equal, facility.id).first() != nil {
                throw IdentityStoreError.facilityExists(facility.id)
            }
            try await sql.insert(into: "facilities").columns("id", "name", "unit_code", "created_at")
                .values(
                    SQLBind(facility.id),
                    SQLBind(facility.name),
                    SQLBind(facility.unitCode),
                    SQLBind(now.millisecondsSince1970)
                )
                .run()
        }
    }

    /// A facility by id.
    public func facility(id: String) async throws -> Facility? {
        try await database.read { sql in
            guard
                let row = try await sql.select().columns("id", "name", "unit_code").from("facilities")
                    .where("id", .equal, id).first()
            else { return nil }
            return Facility(
                id: try row.decode(column: "id", as: String.self),
                name: try row.decode(column: "name", as: String.self),
                unitCode: try row.decode(column: "unit_code", as: String.self)
            )
        }
    }

    // MARK: Rows

    private func findAccount(_ column: String, _ value: String) async throws -> Account? {
        try await database.read { sql in
            try await sql.select().columns(Self.accountColumns.map { SQLIdentifier($0) }).from("accounts")
                .where(SQLIdentifier(column), .equal, SQLBind(value)).first().map(Self.account(from:))
        }
    }

    static let accountColumns = [
        "id", "kind", "username", "phone", "display_name", "password_hash", "totp_secret_sealed", "totp_enabled_at",
        "totp_last_step", "role", "scope", "disabled_at", "created_at", "updated_at",
    ]

    static func values(_ account: Account) -> [any SQLExpression] {
        [
            SQLBind(account.id.uuidString.lowercased()), SQLBind(account.kind.rawValue), SQLBind(account.username),
            SQLBind(account.phone), SQLBind(account.displayName), SQLBind(account.passwordHash),
            SQLBind(account.totpSecretSealed), SQLBind(account.totpEnabledAt?.millisecondsSince1970),
            SQLBind(account.totpLastStep), SQLBind(account.role), SQLBind(account.scope),
            SQLBind(account.disabledAt?.millisecondsSince1970), SQLBind(account.createdAt.millisecondsSince1970),
            SQLBind(account.createdAt.millisecondsSince1970),
        ]
    }

    static func account(from row: any SQLRow) throws -> Account {
        func date(_ column: String) throws -> Date? {
            try row.decode(column: column, as: Int64?.self).map(Date.init(millisecondsSince1970:))
        }
        let id = try row.decode(column: "id", as: String.self)
        guard let uuid = UUID(uuidString: id),
            let kind = Account.Kind(rawValue: try row.decode(column: "kind", as: String.self))
        else { throw StorageError.corruptRow("accounts \(id)") }
        return Account(
            id: uuid,
            kind: kind,
            username: try row.decode(column: "username", as: String?.self),
            phone: try row.decode(column: "phone", as: String?.self),
            displayName: try row.decode(column: "display_name", as: String?.self),
            passwordHash: try row.decode(column: "password_hash", as: String?.self),
            totpSecretSealed: try row.decode(column: "totp_secret_sealed", as: String?.self),
            totpEnabledAt: try date("totp_enabled_at"),
            totpLastStep: try row.decode(column: "totp_last_step", as: Int64.self),
            role: try row.decode(column: "role", as: String.self),
            scope: try row.decode(column: "scope", as: String.self),
            disabledAt: try date("disabled_at"),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
        )
    }

    static let sessionColumns = [
        "token_hash", "account_id", "stage", "csrf_hash", "created_at", "last_seen_at", "idle_seconds", "expires_at",
        "revoked_at", "revoked_reason",
    ]

    static func values(_ session: SessionRecord) -> [any SQLExpression] {
        [
            SQLBind(session.tokenHash), SQLBind(session.accountID.uuidString.lowercased()),
            SQLBind(session.stage.rawValue), SQLBind(session.csrfHash),
            SQLBind(session.createdAt.millisecondsSince1970), SQLBind(session.lastSeenAt.millisecondsSince1970),
            SQLBind(session.idleSeconds), SQLBind(session.expiresAt.millisecondsSince1970),
            SQLBind(session.revokedAt?.millisecondsSince1970), SQLBind(session.revokedReason),
        ]
    }

    static func session(from row: any SQLRow) throws -> SessionRecord {
        let account = try row.decode(column: "account_id", as: String.self)
        guard let accountID = UUID(uuidString: account),
            let stage = SessionRecord.Stage(rawValue: try row.decode(column: "stage", as: String.self))
        else { throw StorageError.corruptRow("sessions of \(account)") }
        return SessionRecord(
            tokenHash: try row.decode(column: "token_hash", as: String.self),
            accountID: accountID,
            stage: stage,
            csrfHash: try row.decode(column: "csrf_hash", as: String.self),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            lastSeenAt: Date(millisecondsSince1970: try row.decode(column: "last_seen_at", as: Int64.self)),
            idleSeconds: try row.decode(column: "idle_seconds", as: Int.self),
            expiresAt: Date(millisecondsSince1970: try row.decode(column: "expires_at", as: Int64.self)),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(millisecondsSince1970:)),
            revokedReason: try row.decode(column: "revoked_reason", as: String?.self)
        )
    }

    static let challengeColumns = ["id", "phone", "code_hash", "created_at", "expires_at", "attempts", "consumed_at"]

    static func values(_ challenge: OTPChallenge) -> [any SQLExpression] {
        [
            SQLBind(challenge.id.uuidString.lowercased()), SQLBind(challenge.phone), SQLBind(challenge.codeHash),
            SQLBind(challenge.createdAt.millisecondsSince1970), SQLBind(challenge.expiresAt.millisecondsSince1970),
            SQLBind(challenge.attempts), SQLBind(challenge.consumedAt?.millisecondsSince1970),
        ]
    }

    static func challenge(from row: any SQLRow) throws -> OTPChallenge {
        let id = try row.decode(column: "id", as: String.self)
        guard let uuid = UUID(uuidString: id) else { throw StorageError.corruptRow("otp_challenges \(id)") }
        return OTPChallenge(
            id: uuid,
            phone: try row.decode(column: "phone", as: String.self),
            codeHash: try row.decode(column: "code_hash", as: String.self),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            expiresAt: Date(millisecondsSince1970: try row.decode(column: "expires_at", as: Int64.self)),
            attempts: try row.decode(column: "attempts", as: Int.self),
            consumedAt: try row.decode(column: "consumed_at", as: Int64?.self).map(Date.init(millisecondsSince1970:))
        )
    }

    static let tokenColumns = [
        "id", "token_hash", "name", "role", "scope", "created_by", "created_at", "expires_at", "last_used_at",
        "revoked_at",
    ]

    static func values(_ token: APITokenRecord) -> [any SQLExpression] {
        [
            SQLBind(token.id.uuidString.lowercased()), SQLBind(token.tokenHash), SQLBind(token.name),
            SQLBind(token.role), SQLBind(token.scope), SQLBind(token.createdBy),
            SQLBind(token.createdAt.millisecondsSince1970), SQLBind(token.expiresAt.millisecondsSince1970),
            SQLBind(token.lastUsedAt?.millisecondsSince1970), SQLBind(token.revokedAt?.millisecondsSince1970),
        ]
    }

    static func token(from row: any SQLRow) throws -> APITokenRecord {
        let id = try row.decode(column: "id", as: String.self)
        guard let uuid = UUID(uuidString: id) else { throw StorageError.corruptRow("api_tokens \(id)") }
        return APITokenRecord(
            id: uuid,
            tokenHash: try row.decode(column: "token_hash", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            role: try row.decode(column: "role", as: String.self),
            scope: try row.decode(column: "scope", as: String.self),
            createdBy: try row.decode(column: "created_by", as: String.self),
            createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self)),
            expiresAt: Date(millisecondsSince1970: try row.decode(column: "expires_at", as: Int64.self)),
            lastUsedAt: try row.decode(column: "last_used_at", as: Int64?.self).map(Date.init(millisecondsSince1970:)),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(millisecondsSince1970:))
        )
    }

    static func insert(_ message: OutboxMessage, on sql: any SQLDatabase) async throws {
        var batch = WriteBatch()
        add(message, to: &batch)
        _ = try await batch.run(on: sql)
    }

    /// Adds the insert of an outbox message to a batch.
    static func add(_ message: OutboxMessage, to batch: inout WriteBatch) {
        batch.insert(
            into: "message_outbox",
            columns: ["id", "channel", "recipient", "purpose", "body", "created_at"],
            rows: [
                [
                    SQLBind(message.id.uuidString.lowercased()), SQLBind(message.channel), SQLBind(message.recipient),
                    SQLBind(message.purpose), SQLBind(message.body), SQLBind(message.createdAt.millisecondsSince1970),
                ]
            ]
        )
    }
}
