import Crypto
import Foundation
import HealthCertificates
import Logging
import ServiceLifecycle
import VaxDomain
import VaxStorage
import _CryptoExtras

/// How certificates are issued (`CERT_VALIDITY_MONTHS`, `CERT_COUNTRY`, `CERT_ISSUER`, `CERT_TRUST_LIST_FILE`).
public struct CertificateSettings: Sendable {
    /// Decision 5772/QĐ-BYT: a vaccination certificate is valid for 12 months.
    public var validityMonths: Int
    /// ISO 3166 alpha-2 of the issuing country (the CWT `iss` and the DCC `co`).
    public var country: String
    /// The DCC `is` field.
    public var issuer: String
    /// Other countries' signers (an EU gateway trust list) that the verifier also trusts.
    public var foreignTrust: TrustList

    public init(
        validityMonths: Int = 12,
        country: String = "VN",
        issuer: String = "Ministry of Health of Viet Nam",
        foreignTrust: TrustList = TrustList()
    ) {
        self.validityMonths = validityMonths
        self.country = country
        self.issuer = issuer
        self.foreignTrust = foreignTrust
    }
}

/// Issues EU DCC (HC1) certificates for doses from the outbox, keeps the signing keys, and verifies.
public struct CertificateService: Sendable {
    let store: CertificateStore
    let campaign: CampaignStore
    let people: any PersonRepository
    let registry: PersonRegistry
    let vault: NationalIDVault
    let settings: CertificateSettings
    let catalogue: VaccineCatalogue
    let clock: WallClock
    let logger: Logger

    public init(
        database: VaxDatabase,
        people: SQLPersonRepository,
        registry: PersonRegistry,
        vault: NationalIDVault,
        settings: CertificateSettings = .init(),
        catalogue: VaccineCatalogue = .standard,
        clock: WallClock = .system,
        logger: Logger = Logger(label: "vaxtrace.certificates")
    ) {
        store = CertificateStore(database: database)
        campaign = CampaignStore(database: database, people: people)
        self.people = people
        self.registry = registry
        self.vault = vault
        self.settings = settings
        self.catalogue = catalogue
        self.clock = clock
        self.logger = logger
    }

    // MARK: Keys

    /// Creates a document signer (and the country signing CA, the first time) and makes it the one
    /// that signs; earlier document signers are retired but stay in the trust list until they expire.
    @discardableResult
    public func rotateKeys(algorithm: COSEAlgorithm) async throws -> StoredSigningKey {
        let now = clock.now()
        let keys = try await store.keys()
        let authority: (stored: StoredSigningKey, key: SigningKey)
        if let existing = keys.first(where: { $0.role == .authority && $0.notAfter > now }) {
            authority = (existing, try signingKey(existing))
        } else {
            let key = SigningKey.p256(P256.Signing.PrivateKey())
            let der = try SigningCertificates.makeAuthority(
                country: settings.country,
                organization: settings.issuer,
                key: key,
                validFrom: now,
                years: 10
            )
            let stored = StoredSigningKey(
                kid: Self.kid(der),
                role: .authority,
                algorithm: "ES256",
                certificateDER: der,
                sealedPrivateKey: try seal(key),
                authorityKid: nil,
                createdAt: now,
                notAfter: now.addingTimeInterval(10 * 365.25 * 86400)
            )
            try await store.add(stored)
            authority = (stored, key)
        }
        let key: SigningKey =
            algorithm == .es256
            ? .p256(P256.Signing.PrivateKey()) : .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        // A document signer outlives the certificates it signs by their validity, plus a margin.
        let days = 365 + settings.validityMonths * 31
        let der = try SigningCertificates.makeDocumentSigner(
            country: settings.country,
            organization: settings.issuer,
            name: "\(settings.issuer) DSC \(algorithm.name)",
            subjectKey: key,
            validFrom: now,
            days: days,
            authorityDER: authority.stored.certificateDER,
            authorityKey: authority.key
        )
        let stored = StoredSigningKey(
            kid: Self.kid(der),
            role: .documentSigner,
            algorithm: algorithm.name,
            certificateDER: der,
            sealedPrivateKey: try seal(key),
            authorityKid: authority.stored.kid,
            createdAt: now,
            notAfter: now.addingTimeInterval(Double(days) * 86400)
        )
        try await store.add(stored)
        try await store.retireDocumentSigners(except: stored.kid, at: now)
        return stored
    }

    public func keys() async throws -> [StoredSigningKey] { try await store.keys() }

    static func kid(_ der: [UInt8]) -> String { Data(TrustedSigner.kid(ofCertificate: der)).base64EncodedString() }

    func seal(_ key: SigningKey) throws -> String {
        let pem: String =
            switch key {
            case .p256(let k): k.pemRepresentation
            case .rsa(let k): k.pkcs8PEMRepresentation
            }
        return try vault.sealSigningKey(Array(pem.utf8))
    }

    func signingKey(_ stored: StoredSigningKey) throws -> SigningKey {
        let pem = String(decoding: try vault.openSigningKey(stored.sealedPrivateKey), as: UTF8.self)
        return stored.algorithm == "ES256"
            ? .p256(try P256.Signing.PrivateKey(pemRepresentation: pem))
            : .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: pem))
    }

    // MARK: Trust

    /// Our document signers that may still have valid certificates out, for the published trust list.
    public func publishedSigners() async throws -> [StoredSigningKey] {
        let now = clock.now()
        return try await store.keys().filter { $0.role == .documentSigner && $0.notAfter > now }
    }

    /// The trust list JSON (EU gateway shape) of our document signers.
    public func trustListJSON() async throws -> Data {
        TrustListDocument.encode(
            try await publishedSigners().map { ($0.certificateDER, settings.country) },
            at: clock.now()
        )
    }

    /// The revocation hashes (hex of the UCI hash) of revoked certificates not yet expired.
    public func revocations() async throws -> [String] { try await store.revocations(at: clock.now()) }

    /// A verifier trusting our signers and the imported foreign ones, with our revocations, at `clock`.
    public func verifier() async throws -> HC1Verifier {
        var trust = settings.foreignTrust
        for key in try await publishedSigners() { trust.add(try TrustedSigner(certificateDER: key.certificateDER)) }
        let revoked = Set(try await revocations().compactMap(Self.bytes(hex:)))
        let clock = self.clock
        return HC1Verifier(trust: trust, revoked: revoked, clock: { clock.now() })
    }

    static func bytes(hex: String) -> [UInt8]? {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            guard let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex),
                let byte = UInt8(hex[index..<next], radix: 16)
            else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }

    // MARK: Issuing

    /// Issues certificates for the dose events not handled yet; returns how many events it handled.
    /// Each event is handled in its own transaction, exactly once.
    public func processPending(limit: Int = 100) async throws -> Int {
        let events = try await store.pendingDoseEvents(limit: limit)
        guard !events.isEmpty else { return 0 }
        guard let signer = try await store.activeDocumentSigner(at: clock.now()) else {
            logger.warning("dose events wait: no document signing key (run vaxtrace keys rotate)")
            return 0
        }
        let key = try signingKey(signer)
        for event in events { try await issue(for: event, signer: signer, key: key) }
        return events.count
    }

    func issue(for event: OutboxEvent, signer: StoredSigningKey, key: SigningKey) async throws {
        let now = clock.now()
        guard let doseID = UUID(uuidString: event.subjectID), let dose = try await campaign.dose(id: doseID) else {
            try await store.skip(event: event.id, outcome: "dose_missing", at: now)
            return
        }
        guard let person = try await people.find(dose.personID), let product = catalogue.product(dose.productCode)
        else {
            try await store.skip(event: event.id, outcome: "person_or_product_missing", at: now)
            return
        }
        let id = UUID()
        let uvci = UVCI.make(country: settings.country, opaque: UVCI.opaque(withUnsafeBytes(of: id.uuid) { Array($0) }))
        let (familyName, givenName) = Self.split(person.fullName)
        let certificate = DigitalCovidCertificate(
            name: .init(familyName: familyName, givenName: givenName),
            dateOfBirth: person.dateOfBirth.description,
            vaccinations: [
                .init(
                    prophylaxis: product.prophylaxis,
                    product: product.medicinalProduct,
                    manufacturer: product.manufacturer,
                    doseNumber: dose.doseNumber,
                    totalDoses: max(product.primaryDoses, dose.doseNumber),
                    date: dose.administeredOn.description,
                    country: settings.country,
                    issuer: settings.issuer,
                    certificateID: uvci
                )
            ]
        )
        let expires = Calendar(identifier: .gregorian).date(byAdding: .month, value: settings.validityMonths, to: now)!
        let claims = CertificateClaims(
            issuer: settings.country,
            issuedAt: now,
            expiresAt: expires,
            certificate: certificate
        )
        let hc1: String
        do {
            hc1 = try HC1.issue(claims, key: key, kid: TrustedSigner.kid(ofCertificate: signer.certificateDER))
        } catch let failure as CertificateFailure {
            // A record the schema refuses (e.g. a name with no letters ICAO can write) is left for a correction.
            logger.warning(
                "no certificate for a dose",
                metadata: ["dose": "\(dose.id.lower)", "reason": "\(failure.check.rawValue)"]
            )
            try await store.skip(event: event.id, outcome: "schema: \(failure.detail)", at: now)
            return
        }
        let stored = StoredHealthCertificate(
            id: id,
            personID: person.id,
            doseID: dose.id,
            eventID: event.id,
            uvci: uvci,
            kid: signer.kid,
            hc1: hc1,
            issuedAt: now,
            expiresAt: expires,
            revocationHash: Hex.encode(RevocationHash.uci(uvci))
        )
        _ = try await store.record(
            stored,
            revokingEarlierOfDose: event.kind == "dose.corrected",
            reason: "dose corrected",
            at: now
        )
    }

    /// A Vietnamese full name is family name first: "Nguyễn Bảo Duy" -> ("Nguyễn", "Bảo Duy").
    static func split(_ fullName: String) -> (String, String?) {
        let words = fullName.split(separator: " ").map(String.init)
        guard words.count > 1 else { return (fullName, nil) }
        return (words[0], words.dropFirst().joined(separator: " "))
    }

    // MARK: Reading

    /// A person's certificates, for the person themself, their guardian, or staff with access (audited).
    public func certificates(of id: Person.ID, by actor: Actor) async throws -> [StoredHealthCertificate] {
        let person = try await registry.read(id, by: actor)
        return try await store.certificates(of: person.id)
    }

}

/// Runs the certificate issuer every `interval`: dose events become certificates within about a
/// second, never inside the request that recorded the dose.
public struct CertificateIssuer: Service {
    let service: CertificateService
    let migrations: MigrationRunner
    let database: VaxDatabase
    let interval: Duration

    public init(
        service: CertificateService,
        database: VaxDatabase,
        migrations: MigrationRunner = MigrationRunner(),
        interval: Duration = .milliseconds(500)
    ) {
        self.service = service
        self.database = database
        self.migrations = migrations
        self.interval = interval
    }

    public func run() async throws {
        var migrated = false
        await repeatUntilShutdown(every: interval) {
            do {
                if !migrated { migrated = try await migrations.isUpToDate(database) }
                guard migrated else { return }
                while try await service.processPending() > 0 {}
            } catch {
                service.logger.error("certificate issuing failed; retried", metadata: ["error": "\(type(of: error))"])
            }
        }
    }
}
