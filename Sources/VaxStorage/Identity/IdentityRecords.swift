import Foundation
import VaxDomain

/// A person who signs in: staff (username, password, TOTP) or a citizen (a verified phone number).
public struct Account: Sendable, Equatable {
    /// Staff or citizen.
    public enum Kind: String, Sendable {
        case staff
        case citizen
    }

    /// The id (UUIDv7).
    public var id: UUID
    /// Staff or citizen.
    public var kind: Kind
    /// The staff username (lower case).
    public var username: String?
    /// The citizen's verified phone (`+84…`).
    public var phone: String?
    /// A name to show staff.
    public var displayName: String?
    /// The bcrypt hash of the staff password.
    public var passwordHash: String?
    /// The TOTP secret, sealed.
    public var totpSecretSealed: String?
    /// When TOTP enrolment was confirmed.
    public var totpEnabledAt: Date?
    /// The last TOTP time step accepted: a code is never accepted twice.
    public var totpLastStep: Int64
    /// The role (a `Role` raw value).
    public var role: String
    /// The scope (`*`, `unit/19`, `facility/…`, `venue/…`, `phone`).
    public var scope: String
    /// When the account was disabled.
    public var disabledAt: Date?
    /// Created.
    public var createdAt: Date

    /// An account.
    public init(
        id: UUID,
        kind: Kind,
        username: String? = nil,
        phone: String? = nil,
        displayName: String? = nil,
        passwordHash: String? = nil,
        totpSecretSealed: String? = nil,
        totpEnabledAt: Date? = nil,
        totpLastStep: Int64 = 0,
        role: String,
        scope: String,
        disabledAt: Date? = nil,
        createdAt: Date
    ) {
        self.id = id
        self.kind = kind
        self.username = username
        self.phone = phone
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.totpSecretSealed = totpSecretSealed
        self.totpEnabledAt = totpEnabledAt
        self.totpLastStep = totpLastStep
        self.role = role
        self.scope = scope
        self.disabledAt = disabledAt
        self.createdAt = createdAt
    }
}

/// A server-side session. The client holds the token; the database holds its SHA-256 digest.
public struct SessionRecord: Sendable, Equatable {
    /// What the session allows.
    public enum Stage: String, Sendable {
        /// Password accepted; a TOTP code is next.
        case mfa
        /// Password accepted; TOTP enrolment is next.
        case enrol
        /// Signed in.
        case active
    }

    /// The digest of the token.
    public var tokenHash: String
    /// The account.
    public var accountID: UUID
    /// The stage.
    public var stage: Stage
    /// The digest of the CSRF token paired with the session (cookie use).
    public var csrfHash: String
    /// Created.
    public var createdAt: Date
    /// Last used.
    public var lastSeenAt: Date
    /// Idle timeout.
    public var idleSeconds: Int
    /// Absolute expiry.
    public var expiresAt: Date
    /// Revoked when.
    public var revokedAt: Date?
    /// Why (`signed_out`, `signed_out_everywhere`, `rotated`, `disabled`, …).
    public var revokedReason: String?

    /// A session.
    public init(
        tokenHash: String,
        accountID: UUID,
        stage: Stage,
        csrfHash: String,
        createdAt: Date,
        lastSeenAt: Date,
        idleSeconds: Int,
        expiresAt: Date,
        revokedAt: Date? = nil,
        revokedReason: String? = nil
    ) {
        self.tokenHash = tokenHash
        self.accountID = accountID
        self.stage = stage
        self.csrfHash = csrfHash
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.idleSeconds = idleSeconds
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokedReason = revokedReason
    }

    /// Why the session cannot be used at `now`, or `nil` when it can.
    public func unusableReason(at now: Date) -> String? {
        if let revokedReason { return "revoked (\(revokedReason))" }
        if now >= expiresAt { return "expired" }
        if now.timeIntervalSince(lastSeenAt) >= Double(idleSeconds) { return "idle too long" }
        return nil
    }
}

/// A one-time code sent to a phone.
public struct OTPChallenge: Sendable, Equatable {
    /// The id the client sends back with the code.
    public var id: UUID
    /// The phone (`+84…`).
    public var phone: String
    /// The digest of the code.
    public var codeHash: String
    /// Created.
    public var createdAt: Date
    /// Expires.
    public var expiresAt: Date
    /// Wrong codes tried.
    public var attempts: Int
    /// When a right code was used.
    public var consumedAt: Date?

    /// A challenge.
    public init(
        id: UUID,
        phone: String,
        codeHash: String,
        createdAt: Date,
        expiresAt: Date,
        attempts: Int = 0,
        consumedAt: Date? = nil
    ) {
        self.id = id
        self.phone = phone
        self.codeHash = codeHash
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.consumedAt = consumedAt
    }
}

/// A scoped, expiring, revocable API token for a device or another system.
public struct APITokenRecord: Sendable, Equatable {
    /// The id (shown in lists; not the secret).
    public var id: UUID
    /// The digest of the token.
    public var tokenHash: String
    /// What it is for ("Tablet, bàn 2, TYT Quang Trung").
    public var name: String
    /// The role it acts as.
    public var role: String
    /// The scope it acts in.
    public var scope: String
    /// The account that made it.
    public var createdBy: String
    /// Created.
    public var createdAt: Date
    /// Expires.
    public var expiresAt: Date
    /// Last used.
    public var lastUsedAt: Date?
    /// Revoked.
    public var revokedAt: Date?

    /// A token record.
    public init(
        id: UUID,
        tokenHash: String,
        name: String,
        role: String,
        scope: String,
        createdBy: String,
        createdAt: Date,
        expiresAt: Date,
        lastUsedAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.tokenHash = tokenHash
        self.name = name
        self.role = role
        self.scope = scope
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }
}

/// A message waiting in the outbox, where the operator reads it when no SMS gateway is configured.
public struct OutboxMessage: Sendable, Equatable {
    /// The id.
    public var id: UUID
    /// `sms`.
    public var channel: String
    /// The phone.
    public var recipient: String
    /// Why it was sent (`otp`).
    public var purpose: String
    /// The text.
    public var body: String
    /// Created.
    public var createdAt: Date

    /// A message.
    public init(id: UUID, channel: String, recipient: String, purpose: String, body: String, createdAt: Date) {
        self.id = id
        self.channel = channel
        self.recipient = recipient
        self.purpose = purpose
        self.body = body
        self.createdAt = createdAt
    }
}

/// A vaccination facility, as far as scopes need it: the unit it serves.
public struct Facility: Sendable, Equatable {
    /// The facility code.
    public var id: String
    /// Its name.
    public var name: String
    /// The unit it serves (province, district or commune code).
    public var unitCode: String

    /// A facility.
    public init(id: String, name: String, unitCode: String) {
        self.id = id
        self.name = name
        self.unitCode = unitCode
    }
}

/// The outcome of taking a sign-in attempt.
public enum AttemptReservation: Sendable, Equatable {
    /// Go ahead: this is attempt number `attempt` since the last success.
    case allowed(attempt: Int)
    /// The username is locked until then.
    case locked(until: Date)
    /// Every allowed attempt is in flight right now; try again in a moment (nothing is locked).
    case busy
}

/// A limit on codes sent to one phone: at most `maximum` since `since`.
public struct SendLimit: Sendable {
    /// The start of the window.
    public var since: Date
    /// Codes allowed in it.
    public var maximum: Int
    /// What to tell the client to wait.
    public var retryAfter: Int
    /// What to tell the person.
    public var reason: String

    /// A limit.
    public init(since: Date, maximum: Int, retryAfter: Int, reason: String) {
        self.since = since
        self.maximum = maximum
        self.retryAfter = retryAfter
        self.reason = reason
    }
}

/// What the send limits of one-time codes allow.
public enum SendReservation: Sendable, Equatable {
    /// The code was stored (and its message, with the outbox).
    case sent
    /// Over a limit: wait this many seconds.
    case limited(retryAfter: Int, reason: String)
}

/// What the identity store refuses.
public enum IdentityStoreError: Error, Equatable, CustomStringConvertible {
    /// The username is taken.
    case usernameTaken(String)
    /// No such account.
    case noSuchAccount(String)
    /// The facility exists already.
    case facilityExists(String)

    public var description: String {
        switch self {
        case .usernameTaken(let name): "the username \(name) is taken"
        case .noSuchAccount(let name): "no account \(name)"
        case .facilityExists(let id): "facility \(id) exists already"
        }
    }
}
