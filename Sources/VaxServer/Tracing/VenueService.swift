import Crypto
import Foundation
import Logging
import QRCode
import Synchronization
import VaxDomain
import VaxStorage
import VenueCheckIn

/// Check-in and tracing settings (README: `TRACING_*`, `CHECKIN_*`, `PUBLIC_BASE_URL`).
public struct TracingSettings: Sendable {
    /// Check-ins, declarations and contacts older than this are deleted (PC-Covid kept 21 days).
    public var retentionDays = 21
    /// A visit without a check-out counts as this long.
    public var defaultStayMinutes = 60
    /// A second scan of the same visitor at the same venue within this is merged with the first.
    public var mergeMinutes = 10
    /// The case's stay is widened by this on each side (PC-Covid's ±1 hour from Feb 2022).
    public var marginMinutes = 60
    /// The infectious window starts this many days before symptom onset (or the test).
    public var leadDays = 2
    /// The address printed in venue QRs, before `/checkin#TOKEN`.
    public var publicBaseURL = "http://localhost:8080"
    /// Check-ins per phone (or account) per hour.
    public var checkInsPerHour = 30

    public init() {}
}

/// The keys that sign venue tokens and the risky venue list: made on first use, rotated on demand;
/// an old key keeps verifying while any venue's poster still carries it.
final class VenueKeyring: Sendable {
    struct Signer: Sendable {
        let kid: String
        let key: P256.Signing.PrivateKey
    }

    private let state = Mutex<(public: [String: P256.Signing.PublicKey], signer: Signer?)>(([:], nil))

    func publicKey(_ kid: String) -> P256.Signing.PublicKey? { state.withLock { $0.public[kid] } }
    var signer: Signer? { state.withLock { $0.signer } }

    func load(_ keys: [VenueKey], vault: NationalIDVault) throws {
        var verifying: [String: P256.Signing.PublicKey] = [:]
        var signer: Signer?
        for key in keys where key.retiredAt == nil {
            guard let raw = Data(base64Encoded: key.publicKey) else { continue }
            verifying[key.kid] = try P256.Signing.PublicKey(x963Representation: raw)
            if signer == nil {  // newest first
                signer = Signer(
                    kid: key.kid,
                    key: try P256.Signing.PrivateKey(derRepresentation: try vault.openSigningKey(key.sealedPrivateKey))
                )
            }
        }
        let loaded = (verifying, signer)
        state.withLock { $0 = loaded }
    }
}

/// Tokens verified recently, with their venue (bounded; entries live a minute).
final class VerifiedTokens: Sendable {
    private let state = Mutex<[Substring: (venue: Venue, until: Date)]>([:])

    func venue(for token: Substring, at now: Date) -> Venue? {
        state.withLock { known in
            guard let entry = known[token], entry.until > now else { return nil }
            return entry.venue
        }
    }

    func remember(_ token: Substring, venue: Venue, until: Date) {
        state.withLock { known in
            if known.count >= 50_000 { known.removeAll() }
            known[token] = (venue, until)
        }
    }

    func forget() { state.withLock { $0.removeAll() } }
}

/// Venues: registration by an owner whose phone was verified by OTP, the signed token on the poster,
/// the poster itself, and key rotation.
public struct VenueService: Sendable {
    let store: TracingStore
    let units: any AdminUnitRepository
    let audit: any AuditRepository
    let vault: NationalIDVault
    let settings: TracingSettings
    let clock: WallClock
    let ids: IdentifierGenerator
    let keyring = VenueKeyring()
    let verified = VerifiedTokens()

    public init(
        store: TracingStore,
        units: any AdminUnitRepository,
        audit: any AuditRepository,
        vault: NationalIDVault,
        settings: TracingSettings,
        clock: WallClock,
        ids: IdentifierGenerator = .uuidV7
    ) {
        self.store = store
        self.units = units
        self.audit = audit
        self.vault = vault
        self.settings = settings
        self.clock = clock
        self.ids = ids
    }

    // MARK: Keys

    /// Makes a new signing key; older keys keep verifying until no poster carries them.
    @discardableResult
    public func rotateKey() async throws -> String {
        let key = P256.Signing.PrivateKey()
        let raw = Array(key.publicKey.x963Representation)
        let kid = String(Base64URL.encode(Array(SHA256.hash(data: raw))).prefix(11))
        try await store.insert(
            VenueKey(
                kid: kid,
                publicKey: Data(raw).base64EncodedString(),
                sealedPrivateKey: try vault.sealSigningKey(Array(key.derRepresentation)),
                createdAt: clock.now()
            )
        )
        try keyring.load(try await store.venueKeys(), vault: vault)
        return kid
    }

    /// The newest key, read afresh (signing is rare, and another process may have rotated).
    func signer() async throws -> VenueKeyring.Signer {
        try keyring.load(try await store.venueKeys(), vault: vault)
        if let signer = keyring.signer { return signer }
        try await rotateKey()
        guard let signer = keyring.signer else {
            throw AppError(.internalServerError, code: "no_signing_key", message: "No venue signing key could be made.")
        }
        return signer
    }

    /// The public key for `kid`, reloading once when another server made a key we have not seen.
    func publicKey(_ kid: String) async throws -> P256.Signing.PublicKey? {
        if let key = keyring.publicKey(kid) { return key }
        try keyring.load(try await store.venueKeys(), vault: vault)
        return keyring.publicKey(kid)
    }

    /// The keys in use as a JWK set.
    public func jwks() async throws -> [[String: String]] {
        try await store.venueKeys().filter { $0.retiredAt == nil }.compactMap { key in
            guard let raw = Data(base64Encoded: key.publicKey), raw.count == 65 else { return nil }
            return [
                "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": key.kid,
                "x": Base64URL.encode(Array(raw[1..<33])), "y": Base64URL.encode(Array(raw[33..<65])),
            ]
        }
    }

    // MARK: Venues

    /// What an owner types.
    public struct Input: Sendable {
        public var name: String
        public var kind: String
        public var unitCode: String
        public var address: String
        public var ownerName: String
        public var ownerPhone: String?
        public var staffPhones: [String]

        public init(
            name: String,
            kind: String,
            unitCode: String,
            address: String,
            ownerName: String,
            ownerPhone: String?,
            staffPhones: [String]
        ) {
            self.name = name
            self.kind = kind
            self.unitCode = unitCode
            self.address = address
            self.ownerName = ownerName
            self.ownerPhone = ownerPhone
            self.staffPhones = staffPhones
        }
    }

    /// Registers a venue owned by the signed-in citizen's verified phone (or, for an administrator,
    /// the phone given).
    public func register(_ input: Input, by actor: Actor) async throws -> Venue {
        let principal = actor.principal
        let ownerPhone: String
        switch principal.role {
        case .citizen:
            guard let phone = principal.phone else {
                throw AppError(
                    .forbidden,
                    code: "phone_not_verified",
                    message: "Sign in with your phone's one-time code to register a venue."
                )
            }
            guard input.ownerPhone == nil || (try? Self.phone(input.ownerPhone!, field: "ownerPhone")) == phone else {
                throw AppError.invalidField("ownerPhone", "The owner's phone is the one you signed in with.")
            }
            ownerPhone = phone
        case .systemAdmin:
            guard let given = input.ownerPhone else {
                throw AppError.invalidField("ownerPhone", "Give the owner's mobile number.")
            }
            ownerPhone = try Self.phone(given, field: "ownerPhone")
        default:
            throw AppError(
                .forbidden,
                code: "not_permitted",
                message: "The role \(principal.role.rawValue) may not register venues."
            )
        }
        let now = clock.now()
        let checked = try await validate(input)
        let signer = try await signer()
        let id = ids.next(at: now)
        var venue = Venue(
            id: id,
            name: checked.name,
            kind: checked.kind,
            unitCode: checked.unitCode,
            address: checked.address,
            ownerName: checked.ownerName,
            ownerPhone: ownerPhone,
            staffPhones: checked.staffPhones,
            token: "",
            tokenKid: signer.kid,
            createdAt: now,
            updatedAt: now
        )
        venue.token = try token(for: venue, signer: signer, at: now)
        try await store.insert(venue, audit: [entry("venue.register", by: actor, at: now)])
        return venue
    }

    /// Changes a venue (its owner or an administrator); a changed name, kind or unit re-signs the token.
    public func update(_ id: UUID, _ input: Input, by actor: Actor) async throws -> Venue {
        var venue = try await venue(id, by: actor, owner: true)
        let checked = try await validate(input)
        let now = clock.now()
        let resign = venue.name != checked.name || venue.kind != checked.kind || venue.unitCode != checked.unitCode
        venue.name = checked.name
        venue.kind = checked.kind
        venue.unitCode = checked.unitCode
        venue.address = checked.address
        venue.ownerName = checked.ownerName
        venue.staffPhones = checked.staffPhones
        venue.updatedAt = now
        if resign {
            let signer = try await signer()
            venue.token = try token(for: venue, signer: signer, at: now)
            venue.tokenKid = signer.kid
        }
        try await store.update(venue, audit: [entry("venue.update", by: actor, at: now)])
        return venue
    }

    /// Signs the venue's token again with the current key (to re-print after a rotation); keys no
    /// poster carries any more are retired.
    public func reissueToken(_ id: UUID, by actor: Actor) async throws -> Venue {
        var venue = try await venue(id, by: actor, owner: true)
        let now = clock.now()
        let signer = try await signer()
        venue.token = try token(for: venue, signer: signer, at: now)
        venue.tokenKid = signer.kid
        venue.updatedAt = now
        try await store.update(venue, audit: [entry("venue.token", by: actor, at: now)])
        if try await store.retireUnusedKeys(except: signer.kid, at: now) > 0 {
            verified.forget()
            try keyring.load(try await store.venueKeys(), vault: vault)
        }
        return venue
    }

    /// The venues a citizen owns.
    public func venues(ownedBy actor: Actor) async throws -> [Venue] {
        guard let phone = actor.principal.phone else { return [] }
        return try await store.venues(ownedBy: phone, limit: 100)
    }

    /// A venue its owner, staff or an administrator may see (`owner`: the owner or administrator only).
    public func venue(_ id: UUID, by actor: Actor, owner: Bool = false) async throws -> Venue {
        guard let venue = try await store.venue(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No venue \(id.lower).")
        }
        let principal = actor.principal
        let allowed: Bool =
            switch principal.role {
            case .systemAdmin: true
            case .venueOwner: principal.scope == .venue(id.lower)
            case .venueStaff: !owner && principal.scope == .venue(id.lower)
            case .citizen:
                principal.phone == venue.ownerPhone
                    || (!owner && principal.phone.map(venue.staffPhones.contains) == true)
            default: false
            }
        guard allowed else {
            throw AppError(
                .forbidden,
                code: "not_permitted",
                message: owner ? "Only the venue's owner may do this." : "Only the venue's owner and staff may do this."
            )
        }
        return venue
    }

    /// The check-in URL the poster's QR holds.
    public func checkInURL(_ venue: Venue) -> String {
        VenueToken.url(base: settings.publicBaseURL, token: venue.token)
    }

    func token(for venue: Venue, signer: VenueKeyring.Signer, at date: Date) throws -> String {
        try VenueToken.issue(
            VenueClaims(
                venueID: venue.id.lower,
                name: venue.name,
                unit: venue.unitCode,
                type: venue.kind,
                issuedAt: Int64(date.timeIntervalSince1970.rounded(.down))
            ),
            kid: signer.kid,
            key: signer.key
        )
    }

    /// Verifies a scanned venue QR and finds its venue; the failure says which check refused it. A
    /// poster is scanned again and again: a token verified in the last minute is answered from memory.
    public func verify(_ text: String) async throws -> Result<Venue, VenueTokenFailure> {
        let candidate = VenueToken.token(in: text)
        let now = clock.now()
        if let venue = verified.venue(for: candidate, at: now) { return .success(venue) }
        let result = try await verifyUncached(text, candidate: candidate)
        if case .success(let venue) = result {
            verified.remember(candidate, venue: venue, until: now.addingTimeInterval(60))
        }
        return result
    }

    private func verifyUncached(_ text: String, candidate: Substring) async throws -> Result<Venue, VenueTokenFailure> {
        // Load an unknown kid before the synchronous check.
        if let kid = Self.kid(of: candidate) { _ = try await publicKey(kid) }
        switch VenueToken.verify(text, keys: keyring.publicKey, now: clock.now()) {
        case .failure(let failure):
            return .failure(failure)
        case .success(let (_, claims)):
            guard let id = UUID(uuidString: claims.venueID), let venue = try await store.venue(id: id) else {
                return .failure(Self.unknownVenue)
            }
            return .success(venue)
        }
    }

    /// A genuine token for a venue that is not registered (here).
    static let unknownVenue = VenueTokenFailure.claims("the venue is not registered")

    static func kid(of token: Substring) -> String? {
        guard let dot = token.firstIndex(of: "."), let header = Base64URL.decode(token[..<dot]),
            let object = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any]
        else { return nil }
        return object["kid"] as? String
    }

    // MARK: Validation

    static let kinds: Set<String> = [
        "restaurant", "cafe", "market", "shop", "supermarket", "office", "factory", "school", "hospital", "religious",
        "transport", "event", "other",
    ]

    func validate(_ input: Input) async throws -> Input {
        var checked = input
        checked.name = try Self.text(input.name, field: "name", max: 120)
        checked.address = try Self.text(input.address, field: "address", max: 200)
        checked.ownerName = try Self.text(input.ownerName, field: "ownerName", max: 100)
        guard Self.kinds.contains(input.kind) else {
            throw AppError.invalidField("kind", "The kind is one of \(Self.kinds.sorted().joined(separator: ", ")).")
        }
        guard input.unitCode.count == 5, input.unitCode.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw AppError.invalidField("unitCode", "A commune or ward code has 5 digits.")
        }
        var known = false
        for scheme in UnitScheme.allCases {
            if let unit = try await units.unit(scheme: scheme, code: input.unitCode), unit.level == .commune {
                known = true
                break
            }
        }
        guard known else {
            throw AppError.invalidField("unitCode", "No commune or ward has the code \(input.unitCode).")
        }
        guard input.staffPhones.count <= 20 else {
            throw AppError.invalidField("staffPhones", "At most 20 staff phones.")
        }
        var phones: [String] = []
        for (index, raw) in input.staffPhones.enumerated() {
            let phone = try Self.phone(raw, field: "staffPhones[\(index)]")
            if !phones.contains(phone) { phones.append(phone) }
        }
        checked.staffPhones = phones
        return checked
    }

    static func text(_ raw: String, field: String, max: Int) throws -> String {
        let text = String(VenueToken.trimmed(raw))
        guard (1...max).contains(text.count), !text.hasControlCharacters else {
            throw AppError.invalidField(field, "Give 1 to \(max) characters, without control characters.")
        }
        return text
    }

    static func phone(_ raw: String, field: String) throws -> String {
        switch PhoneNumber.normalise(raw, field: field) {
        case .success(let phone): return phone
        case .failure(let error): throw error
        }
    }

    func entry(_ action: String, by actor: Actor, at date: Date, about person: Person.ID? = nil) -> AuditEntry {
        actor.auditEntry(action, about: person, at: date, id: ids.next(at: date))
    }
}
