import Foundation
import SQLKit
import VaxDomain

/// A stored signing key: its X.509 certificate and its private key sealed with the server's master key.
public struct StoredSigningKey: Sendable, Equatable {
    public enum Role: String, Sendable {
        case authority = "csca"
        case documentSigner = "dsc"
    }

    /// Base64 of the 8-byte DCC kid.
    public var kid: String
    public var role: Role
    /// "ES256" or "PS256".
    public var algorithm: String
    public var certificateDER: [UInt8]
    /// AES-GCM sealed PKCS#8 (see `NationalIDVault.sealSigningKey`).
    public var sealedPrivateKey: String
    /// The CSCA that signed a document signer.
    public var authorityKid: String?
    public var createdAt: Date
    public var notAfter: Date
    /// A retired document signer signs nothing new; its certificate stays published until `notAfter`.
    public var retiredAt: Date?

    public init(
        kid: String,
        role: Role,
        algorithm: String,
        certificateDER: [UInt8],
        sealedPrivateKey: String,
        authorityKid: String?,
        createdAt: Date,
        notAfter: Date,
        retiredAt: Date? = nil
    ) {
        self.kid = kid
        self.role = role
        self.algorithm = algorithm
        self.certificateDER = certificateDER
        self.sealedPrivateKey = sealedPrivateKey
        self.authorityKid = authorityKid
        self.createdAt = createdAt
        self.notAfter = notAfter
        self.retiredAt = retiredAt
    }
}

/// An issued health certificate.
public struct StoredHealthCertificate: Sendable, Equatable {
    public var id: UUID
    public var personID: Person.ID
    public var doseID: UUID
    /// The outbox event it was issued for (one certificate per event, so a replayed event issues nothing).
    public var eventID: UUID
    public var uvci: String
    public var kid: String
    /// The QR text, `HC1:…`.
    public var hc1: String
    public var issuedAt: Date
    public var expiresAt: Date
    /// Hex of the DCC revocation hash (UCI type) of the UVCI.
    public var revocationHash: String
    public var revokedAt: Date?
    public var revokedReason: String?

    public init(
        id: UUID,
        personID: Person.ID,
        doseID: UUID,
        eventID: UUID,
        uvci: String,
        kid: String,
        hc1: String,
        issuedAt: Date,
        expiresAt: Date,
        revocationHash: String,
        revokedAt: Date? = nil,
        revokedReason: String? = nil
    ) {
        self.id = id
        self.personID = personID
        self.doseID = doseID
        self.eventID = eventID
        self.uvci = uvci
        self.kid = kid
        self.hc1 = hc1
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revocationHash = revocationHash
        self.revokedAt = revokedAt
        self.revokedReason = revokedReason
    }
}

/// Signing keys, health certificates and the certificate consumer's place in the outbox.
public struct CertificateStore: Sendable {
    public let database: VaxDatabase

    public init(database: VaxDatabase) { self.database = database }

    /// The outbox consumer name of the certificate issuer.
    public static let consumer = "certificates"

    // MARK: Keys

    public func add(_ key: StoredSigningKey) async throws {
        try await database.write { sql in
            try await sql.insert(into: "signing_keys")
                .columns(
                    "kid",
                    "role",
                    "algorithm",
                    "certificate_der",
                    "sealed_private_key",
                    "authority_kid",
                    "created_at",
                    "not_after",
                    "retired_at"
                )
                .values(
                    SQLBind(key.kid),
                    SQLBind(key.role.rawValue),
                    SQLBind(key.algorithm),
                    SQLBind(Data(key.certificateDER).base64EncodedString()),
                    SQLBind(key.sealedPrivateKey),
                    SQLBind(key.authorityKid),
                    SQLBind(key.createdAt.millisecondsSince1970),
                    SQLBind(key.notAfter.millisecondsSince1970),
                    SQLBind(key.retiredAt?.millisecondsSince1970)
                ).run()
        }
    }

    /// Retires every active document signer but `except` (a rotation).
    public func retireDocumentSigners(except kid: String, at time: Date) async throws {
        try await database.write { sql in
            try await sql.update("signing_keys").set("retired_at", to: SQLBind(time.millisecondsSince1970))
                .where("role", .equal, StoredSigningKey.Role.documentSigner.rawValue)
                .where("kid", .notEqual, kid).where("retired_at", .is, SQLLiteral.null).run()
        }
    }

    /// Every key, newest first.
    public func keys() async throws -> [StoredSigningKey] {
        try await database.read { sql in
            try await sql.select().column("*").from("signing_keys").orderBy("created_at", .descending).all()
                .map(Self.key)
        }
    }

    /// The document signer that signs new certificates: the newest one not retired and not expired.
    public func activeDocumentSigner(at time: Date) async throws -> StoredSigningKey? {
        try await keys().first {
            $0.role == .documentSigner && $0.retiredAt == nil && $0.notAfter > time
        }
    }

    static func key(_ row: any SQLRow) throws -> StoredSigningKey {
        guard let role = StoredSigningKey.Role(rawValue: try row.decode(column: "role", as: String.self)),
            let der = Data(base64Encoded: try row.decode(column: "certificate_der", as: String.self))
        else { throw StorageError.corruptRow("signing_keys: role or certificate") }
        return StoredSigningKey(
            kid: try row.decode(column: "kid", as: String.self),
            role: role,
            algorithm: try row.decode(column: "algorithm", as: String.self),
            certificateDER: [UInt8](der),
            sealedPrivateKey: try row.decode(column: "sealed_private_key", as: String.self),
            authorityKid: try row.decode(column: "authority_kid", as: String?.self),
            createdAt: try row.date("created_at"),
            notAfter: try row.date("not_after"),
            retiredAt: try row.decode(column: "retired_at", as: Int64?.self).map(Date.init(millisecondsSince1970:))
        )
    }

    // MARK: Certificates

    /// Records a certificate, and revokes the dose's earlier ones when it replaces them, in one
    /// transaction with the outbox delivery: all of it happens or none. False when the event was
    /// already handled.
    public func record(
        _ certificate: StoredHealthCertificate,
        revokingEarlierOfDose: Bool,
        reason: String,
        at time: Date
    ) async throws -> Bool {
        try await database.write { sql in
            let claimed = try await sql.raw(
                """
                INSERT INTO outbox_deliveries (consumer, event_id, processed_at, outcome)
                VALUES (\(bind: Self.consumer), \(bind: certificate.eventID.lower), \(bind: time.millisecondsSince1970), 'issued')
                ON CONFLICT DO NOTHING RETURNING event_id
                """
            ).first()
            guard claimed != nil else { return false }
            _ = try await OutboxPending.claim([certificate.eventID.lower], for: Self.consumer, on: sql)
            if revokingEarlierOfDose {
                try await sql.update("health_certificates").set("revoked_at", to: SQLBind(time.millisecondsSince1970))
                    .set("revoked_reason", to: SQLBind(reason))
                    .where("dose_id", .equal, certificate.doseID.lower).where("revoked_at", .is, SQLLiteral.null).run()
            }
            try await sql.insert(into: "health_certificates")
                .columns(
                    "id",
                    "person_id",
                    "dose_id",
                    "event_id",
                    "uvci",
                    "kid",
                    "hc1",
                    "issued_at",
                    "expires_at",
                    "revocation_hash"
                )
                .values(
                    SQLBind(certificate.id.lower),
                    SQLBind(certificate.personID.description),
                    SQLBind(certificate.doseID.lower),
                    SQLBind(certificate.eventID.lower),
                    SQLBind(certificate.uvci),
                    SQLBind(certificate.kid),
                    SQLBind(certificate.hc1),
                    SQLBind(certificate.issuedAt.millisecondsSince1970),
                    SQLBind(certificate.expiresAt.millisecondsSince1970),
                    SQLBind(certificate.revocationHash)
                ).run()
            return true
        }
    }

    /// Marks an event handled without a certificate (e.g. a dose the rules cannot certify), with why.
    public func skip(event: UUID, outcome: String, at time: Date) async throws {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO outbox_deliveries (consumer, event_id, processed_at, outcome)
                VALUES (\(bind: Self.consumer), \(bind: event.lower), \(bind: time.millisecondsSince1970), \(bind: outcome))
                ON CONFLICT DO NOTHING
                """
            ).run()
            _ = try await OutboxPending.claim([event.lower], for: Self.consumer, on: sql)
        }
    }

    /// The dose events the issuer has not handled yet, oldest first.
    public func pendingDoseEvents(limit: Int) async throws -> [OutboxEvent] {
        try await database.backgroundRead { sql in
            try await OutboxPending.next(for: Self.consumer, limit: limit, on: sql)
        }
    }

    /// A person's certificates, newest first.
    public func certificates(of person: Person.ID) async throws -> [StoredHealthCertificate] {
        try await database.read { sql in
            try await sql.select().column("*").from("health_certificates").where(
                "person_id",
                .equal,
                person.description
            )
            .orderBy("issued_at", .descending).orderBy("id", .descending).all().map(Self.certificate)
        }
    }

    public func certificate(id: UUID) async throws -> StoredHealthCertificate? {
        try await database.read { sql in
            try await sql.select().column("*").from("health_certificates").where("id", .equal, id.lower).first()
                .map(Self.certificate)
        }
    }

    /// The revocation hashes of every revoked certificate that has not expired yet (an expired one
    /// fails anyway), and the time of the newest revocation.
    public func revocations(at time: Date) async throws -> [String] {
        try await database.read { sql in
            try await sql.select().column("revocation_hash").from("health_certificates")
                .where("revoked_at", .isNot, SQLLiteral.null).where(
                    "expires_at",
                    .greaterThan,
                    SQLBind(time.millisecondsSince1970)
                )
                .orderBy("revocation_hash").all(decodingColumn: "revocation_hash", as: String.self)
        }
    }

    static func certificate(_ row: any SQLRow) throws -> StoredHealthCertificate {
        StoredHealthCertificate(
            id: try row.uuid("id"),
            personID: try Self.personID(try row.decode(column: "person_id", as: String.self)),
            doseID: try row.uuid("dose_id"),
            eventID: try row.uuid("event_id"),
            uvci: try row.decode(column: "uvci", as: String.self),
            kid: try row.decode(column: "kid", as: String.self),
            hc1: try row.decode(column: "hc1", as: String.self),
            issuedAt: try row.date("issued_at"),
            expiresAt: try row.date("expires_at"),
            revocationHash: try row.decode(column: "revocation_hash", as: String.self),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self).map(Date.init(millisecondsSince1970:)),
            revokedReason: try row.decode(column: "revoked_reason", as: String?.self)
        )
    }
}

extension CertificateStore {
    static func personID(_ text: String) throws -> Person.ID {
        guard let id = Person.ID(text) else { throw StorageError.corruptRow("health_certificates.person_id \(text)") }
        return id
    }
}
