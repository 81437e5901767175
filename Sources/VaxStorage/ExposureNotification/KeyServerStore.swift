import Foundation
import SQLKit

/// An export signing key of the key server: P-256, named by key id and version as the signature info of
/// every export file carries them.
public struct ExportSigningKey: Sendable, Equatable {
    public var keyID: String
    public var version: String
    /// SubjectPublicKeyInfo PEM, as phones are configured with it.
    public var publicKeyPEM: String
    public var sealedPrivateKey: String
    public var createdAt: Date
    public var retiredAt: Date?

    public init(
        keyID: String,
        version: String,
        publicKeyPEM: String,
        sealedPrivateKey: String,
        createdAt: Date,
        retiredAt: Date? = nil
    ) {
        self.keyID = keyID
        self.version = version
        self.publicKeyPEM = publicKeyPEM
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}

/// What a verification code was issued for.
public struct VerificationClaim: Sendable, Equatable {
    public var codeID: UUID
    /// confirmed (a positive test) or likely (a clinical diagnosis).
    public var testType: String
    /// yyyy-mm-dd
    public var symptomDate: String?
    public var testDate: String?
}

/// A diagnosis key as the server keeps it.
public struct PublishedKey: Sendable, Equatable {
    public var keyData: [UInt8]
    public var rollingStart: Int32
    public var rollingPeriod: Int32
    public var transmissionRisk: Int32
    public var reportType: Int32
    public var daysSinceOnset: Int32?
    public var publishedAt: Date
    /// When the key may appear in an export: 2 hours after it expired, and not before it was published.
    public var exportableAt: Date

    public init(
        keyData: [UInt8],
        rollingStart: Int32,
        rollingPeriod: Int32,
        transmissionRisk: Int32,
        reportType: Int32,
        daysSinceOnset: Int32?,
        publishedAt: Date,
        exportableAt: Date
    ) {
        self.keyData = keyData
        self.rollingStart = rollingStart
        self.rollingPeriod = rollingPeriod
        self.transmissionRisk = transmissionRisk
        self.reportType = reportType
        self.daysSinceOnset = daysSinceOnset
        self.publishedAt = publishedAt
        self.exportableAt = exportableAt
    }
}

/// One export file made.
public struct ExportRecord: Sendable, Equatable {
    public var fileName: String
    /// hourly or daily
    public var period: String
    public var start: Date
    public var end: Date
    public var batchNumber: Int
    public var batchSize: Int
    public var keyCount: Int
    public var paddingCount: Int
    public var keyID: String
    public var keyVersion: String
    public var createdAt: Date

    public init(
        fileName: String,
        period: String,
        start: Date,
        end: Date,
        batchNumber: Int,
        batchSize: Int,
        keyCount: Int,
        paddingCount: Int,
        keyID: String,
        keyVersion: String,
        createdAt: Date
    ) {
        self.fileName = fileName
        self.period = period
        self.start = start
        self.end = end
        self.batchNumber = batchNumber
        self.batchSize = batchSize
        self.keyCount = keyCount
        self.paddingCount = paddingCount
        self.keyID = keyID
        self.keyVersion = keyVersion
        self.createdAt = createdAt
    }
}

/// Why a code, token or certificate was refused.
public enum VerificationRefusal: Error, Equatable, Sendable {
    case unknown
    case expired
    case used
}

/// The key server's tables (migration 0010) on both engines. Codes, tokens and certificates are stored as
/// keyed hashes only, and each is spent by one conditional `UPDATE … RETURNING`, so two racing requests
/// cannot both use one.
public struct KeyServerStore: Sendable {
    let database: VaxDatabase

    public init(database: VaxDatabase) { self.database = database }

    // MARK: Signing keys

    public func signingKeys() async throws -> [ExportSigningKey] {
        try await database.read { sql in
            try await sql.select().columns(
                "key_id",
                "version",
                "public_key",
                "sealed_private_key",
                "created_at",
                "retired_at"
            )
            .from("en_signing_keys").orderBy("created_at", .descending).all().map {
                ExportSigningKey(
                    keyID: try $0.decode(column: "key_id", as: String.self),
                    version: try $0.decode(column: "version", as: String.self),
                    publicKeyPEM: try $0.decode(column: "public_key", as: String.self),
                    sealedPrivateKey: try $0.decode(column: "sealed_private_key", as: String.self),
                    createdAt: try $0.date("created_at"),
                    retiredAt: try $0.decode(column: "retired_at", as: Int64?.self).map(
                        Date.init(millisecondsSince1970:)
                    )
                )
            }
        }
    }

    /// Adds a key that signs from now on; the others are retired (phones keep their public keys until the
    /// files they signed age out).
    public func addSigningKey(_ key: ExportSigningKey) async throws {
        try await database.write { sql in
            try await sql.update("en_signing_keys").set("retired_at", to: SQLBind(key.createdAt.millisecondsSince1970))
                .where("retired_at", .is, SQLLiteral.null).run()
            try await sql.insert(into: "en_signing_keys")
                .columns("key_id", "version", "public_key", "sealed_private_key", "created_at")
                .values(
                    SQLBind(key.keyID),
                    SQLBind(key.version),
                    SQLBind(key.publicKeyPEM),
                    SQLBind(key.sealedPrivateKey),
                    SQLBind(key.createdAt.millisecondsSince1970)
                ).run()
        }
    }

    // MARK: Verification

    public func insertCode(
        id: UUID,
        shortHash: String,
        longHash: String,
        testType: String,
        symptomDate: String?,
        testDate: String?,
        issuedBy: String,
        issuedAt: Date,
        shortExpiresAt: Date,
        longExpiresAt: Date
    ) async throws {
        try await database.write { sql in
            try await sql.insert(into: "en_verification_codes")
                .columns(
                    "id",
                    "short_code_hash",
                    "long_code_hash",
                    "test_type",
                    "symptom_date",
                    "test_date",
                    "issued_by",
                    "issued_at",
                    "short_expires_at",
                    "long_expires_at"
                )
                .values(
                    SQLBind(id.uuidString.lowercased()),
                    SQLBind(shortHash),
                    SQLBind(longHash),
                    SQLBind(testType),
                    SQLBind(symptomDate),
                    SQLBind(testDate),
                    SQLBind(issuedBy),
                    SQLBind(issuedAt.millisecondsSince1970),
                    SQLBind(shortExpiresAt.millisecondsSince1970),
                    SQLBind(longExpiresAt.millisecondsSince1970)
                ).run()
        }
    }

    static let claimColumns = ["id", "test_type", "symptom_date", "test_date"]

    static func claim(_ row: any SQLRow) throws -> VerificationClaim {
        VerificationClaim(
            codeID: try row.uuid("id"),
            testType: try row.decode(column: "test_type", as: String.self),
            symptomDate: try row.decode(column: "symptom_date", as: String?.self),
            testDate: try row.decode(column: "test_date", as: String?.self)
        )
    }

    /// Why a conditional spend matched no row: no row at all (unknown), a row whose `spent` column is still
    /// empty (so its time ran out), or one already spent.
    static func refusal(
        spent column: String,
        on sql: any SQLDatabase,
        _ filter: (SQLSelectBuilder) -> SQLSelectBuilder
    ) async throws -> VerificationRefusal {
        guard let row = try await filter(sql.select().columns(column).from("en_verification_codes")).first() else {
            return .unknown
        }
        return try row.decodeNil(column: column) ? .expired : .used
    }

    /// Spends a code (short or long, by its hash) and records the token it became.
    public func claimCode(
        hash: String,
        tokenHash: String,
        tokenExpiresAt: Date,
        at now: Date
    ) async throws -> Result<VerificationClaim, VerificationRefusal> {
        let ms = now.millisecondsSince1970
        return try await database.write { sql in
            let row = try await sql.update("en_verification_codes")
                .set("claimed_at", to: SQLBind(ms)).set("token_id", to: SQLBind(tokenHash))
                .set("token_expires_at", to: SQLBind(tokenExpiresAt.millisecondsSince1970))
                .where("claimed_at", .is, SQLLiteral.null)
                .where {
                    $0.where { $0.where("short_code_hash", .equal, hash).where("short_expires_at", .greaterThan, ms) }
                        .orWhere { $0.where("long_code_hash", .equal, hash).where("long_expires_at", .greaterThan, ms) }
                }
                .returning(Self.claimColumns.map { SQLColumn($0) }).first()
            if let row { return .success(try Self.claim(row)) }
            return .failure(
                try await Self.refusal(spent: "claimed_at", on: sql) {
                    $0.where("short_code_hash", .equal, hash).orWhere("long_code_hash", .equal, hash)
                }
            )
        }
    }

    /// Spends a token and records the certificate it became.
    public func claimToken(
        hash: String,
        certificateID: String,
        certificateExpiresAt: Date,
        at now: Date
    ) async throws -> Result<VerificationClaim, VerificationRefusal> {
        let ms = now.millisecondsSince1970
        return try await database.write { sql in
            let row = try await sql.update("en_verification_codes")
                .set("certificate_id", to: SQLBind(certificateID))
                .set("certificate_expires_at", to: SQLBind(certificateExpiresAt.millisecondsSince1970))
                .where("token_id", .equal, hash).where("certificate_id", .is, SQLLiteral.null)
                .where("token_expires_at", .greaterThan, ms)
                .returning(Self.claimColumns.map { SQLColumn($0) }).first()
            if let row { return .success(try Self.claim(row)) }
            return .failure(
                try await Self.refusal(spent: "certificate_id", on: sql) { $0.where("token_id", .equal, hash) }
            )
        }
    }

    /// Spends a certificate and stores its keys in one transaction; a key published before is skipped.
    public func publish(
        _ keys: [PublishedKey],
        certificateID: String,
        at now: Date
    ) async throws -> Result<Int, VerificationRefusal> {
        let ms = now.millisecondsSince1970
        return try await database.write { sql in
            let spent = try await sql.update("en_verification_codes").set("published_at", to: SQLBind(ms))
                .where("certificate_id", .equal, certificateID).where("published_at", .is, SQLLiteral.null)
                .where("certificate_expires_at", .greaterThan, ms).returning("id").first()
            guard spent != nil else {
                return .failure(
                    try await Self.refusal(spent: "published_at", on: sql) {
                        $0.where("certificate_id", .equal, certificateID)
                    }
                )
            }
            var inserted = 0
            for key in keys {
                let row = try await sql.insert(into: "en_exposure_keys")
                    .columns(
                        "key_data",
                        "rolling_start",
                        "rolling_period",
                        "transmission_risk",
                        "report_type",
                        "days_since_onset",
                        "certificate_id",
                        "published_at",
                        "exportable_at"
                    )
                    .values(
                        SQLBind(Data(key.keyData).base64EncodedString()),
                        SQLBind(Int(key.rollingStart)),
                        SQLBind(Int(key.rollingPeriod)),
                        SQLBind(Int(key.transmissionRisk)),
                        SQLBind(Int(key.reportType)),
                        SQLBind(key.daysSinceOnset.map(Int.init)),
                        SQLBind(certificateID),
                        SQLBind(key.publishedAt.millisecondsSince1970),
                        SQLBind(key.exportableAt.millisecondsSince1970)
                    )
                    .ignoringConflicts(with: ["key_data"]).returning("key_data").first()
                if row != nil { inserted += 1 }
            }
            return .success(inserted)
        }
    }

    // MARK: Exports

    /// Keys that became exportable in [from, to), in key order (so a file's order reveals nothing).
    public func exportableKeys(from: Date, to: Date) async throws -> [PublishedKey] {
        try await database.read { sql in
            try await sql.select()
                .columns(
                    "key_data",
                    "rolling_start",
                    "rolling_period",
                    "transmission_risk",
                    "report_type",
                    "days_since_onset",
                    "published_at",
                    "exportable_at"
                )
                .from("en_exposure_keys").where("exportable_at", .greaterThanOrEqual, from.millisecondsSince1970)
                .where("exportable_at", .lessThan, to.millisecondsSince1970).orderBy("key_data").all().map { row in
                    PublishedKey(
                        keyData: [UInt8](
                            Data(base64Encoded: try row.decode(column: "key_data", as: String.self)) ?? Data()
                        ),
                        rollingStart: Int32(try row.decode(column: "rolling_start", as: Int.self)),
                        rollingPeriod: Int32(try row.decode(column: "rolling_period", as: Int.self)),
                        transmissionRisk: Int32(try row.decode(column: "transmission_risk", as: Int.self)),
                        reportType: Int32(try row.decode(column: "report_type", as: Int.self)),
                        daysSinceOnset: try row.decode(column: "days_since_onset", as: Int?.self).map { Int32($0) },
                        publishedAt: try row.date("published_at"),
                        exportableAt: try row.date("exportable_at")
                    )
                }
        }
    }

    /// When the first stored key became exportable.
    public func earliestExportable() async throws -> Date? {
        try await database.read { sql in
            try await sql.select().column(SQLFunction("MIN", args: SQLColumn("exportable_at")), as: "first")
                .from("en_exposure_keys").first()?.decode(column: "first", as: Int64?.self).map(
                    Date.init(millisecondsSince1970:)
                )
        }
    }

    static let exportColumns = [
        "file_name", "period", "start_at", "end_at", "batch_num", "batch_size", "key_count", "padding_count", "key_id",
        "key_version", "created_at",
    ]

    public func exports() async throws -> [ExportRecord] {
        try await database.read { sql in
            try await sql.select()
                .columns(Self.exportColumns)
                .from("en_exports").orderBy("start_at").orderBy("period").orderBy("batch_num").all().map { row in
                    ExportRecord(
                        fileName: try row.decode(column: "file_name", as: String.self),
                        period: try row.decode(column: "period", as: String.self),
                        start: try row.date("start_at"),
                        end: try row.date("end_at"),
                        batchNumber: try row.decode(column: "batch_num", as: Int.self),
                        batchSize: try row.decode(column: "batch_size", as: Int.self),
                        keyCount: try row.decode(column: "key_count", as: Int.self),
                        paddingCount: try row.decode(column: "padding_count", as: Int.self),
                        keyID: try row.decode(column: "key_id", as: String.self),
                        keyVersion: try row.decode(column: "key_version", as: String.self),
                        createdAt: try row.date("created_at")
                    )
                }
        }
    }

    /// Records the files of one batch; false when another process recorded the batch first.
    public func recordExports(_ records: [ExportRecord]) async throws -> Bool {
        try await database.write { sql in
            for record in records {
                let row = try await sql.insert(into: "en_exports")
                    .columns(Self.exportColumns)
                    .values(
                        SQLBind(record.fileName),
                        SQLBind(record.period),
                        SQLBind(record.start.millisecondsSince1970),
                        SQLBind(record.end.millisecondsSince1970),
                        SQLBind(record.batchNumber),
                        SQLBind(record.batchSize),
                        SQLBind(record.keyCount),
                        SQLBind(record.paddingCount),
                        SQLBind(record.keyID),
                        SQLBind(record.keyVersion),
                        SQLBind(record.createdAt.millisecondsSince1970)
                    )
                    .ignoringConflicts(with: ["file_name"]).returning("file_name").first()
                if row == nil { return false }
            }
            return true
        }
    }

    /// Deletes keys whose last interval is before `keysBefore` (an interval number), codes that expired
    /// before `codesBefore`, and export records that ended before `exportsBefore`; returns the export file
    /// names dropped, for the caller to delete.
    public func purge(
        keysBefore: Int32,
        codesBefore: Date,
        exportsBefore: Date
    ) async throws -> (keys: Int, files: [String]) {
        try await database.write { sql in
            let keys = try await sql.delete(from: "en_exposure_keys")
                .where(
                    SQLBinaryExpression(
                        SQLBinaryExpression(SQLColumn("rolling_start"), .add, SQLColumn("rolling_period")),
                        .lessThan,
                        SQLBind(Int(keysBefore))
                    )
                )
                .returning("key_data").all().count
            try await sql.delete(from: "en_verification_codes")
                .where("long_expires_at", .lessThan, codesBefore.millisecondsSince1970)
                .where {
                    $0.where("certificate_expires_at", .is, SQLLiteral.null)
                        .orWhere("certificate_expires_at", .lessThan, codesBefore.millisecondsSince1970)
                }.run()
            let files = try await sql.delete(from: "en_exports").where(
                "end_at",
                .lessThan,
                exportsBefore.millisecondsSince1970
            )
            .returning("file_name").all().map { try $0.decode(column: "file_name", as: String.self) }
            return (keys, files)
        }
    }
}
