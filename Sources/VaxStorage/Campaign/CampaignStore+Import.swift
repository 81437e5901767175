import Foundation
import SQLKit
import VaxDomain

/// A stored list upload and its per-row results.
public struct RegistrationImport: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// SHA-256 of the file, hex: the same file twice is the same import.
    public var fileHash: String
    /// The organisation that sent the list.
    public var organisation: String
    /// `csv` or `xlsx`.
    public var format: String
    /// Who uploaded it.
    public var uploadedBy: String
    /// Row counts.
    public var total: Int
    /// Rows that created a person.
    public var created: Int
    /// Rows that matched someone already registered.
    public var matched: Int
    /// Rows refused.
    public var rejected: Int
    /// The per-row results, as JSON text.
    public var results: String
    /// When.
    public var createdAt: Date

    /// An import.
    public init(
        id: UUID,
        fileHash: String,
        organisation: String,
        format: String,
        uploadedBy: String,
        total: Int,
        created: Int,
        matched: Int,
        rejected: Int,
        results: String,
        createdAt: Date
    ) {
        self.id = id
        self.fileHash = fileHash
        self.organisation = organisation
        self.format = format
        self.uploadedBy = uploadedBy
        self.total = total
        self.created = created
        self.matched = matched
        self.rejected = rejected
        self.results = results
        self.createdAt = createdAt
    }
}

/// The reads and writes of one chunk of a list import, inside one transaction.
public struct ImportTransaction: Sendable {
    let sql: any SQLDatabase
    let people: SQLPersonRepository

    /// Someone already registered, as a list row is compared with them.
    public struct Match: Sendable {
        /// The person (the survivor, for a merged record).
        public var id: Person.ID
        /// Their folded name.
        public var foldedName: String
        /// Their date of birth.
        public var dateOfBirth: String
        /// Where they live.
        public var scheme: String
        /// Province code.
        public var provinceCode: String
        /// District code (2021 scheme).
        public var districtCode: String?
        /// Commune code.
        public var communeCode: String
    }

    /// The people already registered with these national IDs, by ID number.
    public func people(withNationalIDs numbers: [SealedNationalID]) async throws -> [String: Match] {
        guard !numbers.isEmpty else { return [:] }
        var byHash: [String: String] = [:]
        for number in numbers { byHash[number.hash] = number.number }
        var found: [String: Match] = [:]
        let hashes = Array(byHash.keys)
        for start in stride(from: 0, to: hashes.count, by: 500) {
            let rows = try await sql.select()
                .columns(
                    "id",
                    "merged_into",
                    "national_id_hash",
                    "folded_name",
                    "date_of_birth",
                    "unit_scheme",
                    "province_code",
                    "district_code",
                    "commune_code"
                )
                .from("people")
                .where("national_id_hash", .in, Array(hashes[start..<min(start + 500, hashes.count)])).all()
            for row in rows {
                let hash = try row.decode(column: "national_id_hash", as: String.self)
                let id =
                    try row.decode(column: "merged_into", as: String?.self) ?? row.decode(column: "id", as: String.self)
                if let number = byHash[hash] {
                    found[number] = Match(
                        id: try SQLPersonRepository.personID(id),
                        foldedName: try row.decode(column: "folded_name", as: String.self),
                        dateOfBirth: try row.decode(column: "date_of_birth", as: String.self),
                        scheme: try row.decode(column: "unit_scheme", as: String.self),
                        provinceCode: try row.decode(column: "province_code", as: String.self),
                        districtCode: try row.decode(column: "district_code", as: String?.self),
                        communeCode: try row.decode(column: "commune_code", as: String.self)
                    )
                }
            }
        }
        return found
    }

    /// The person with this folded name, date of birth and phone, when exactly one.
    public func person(foldedName: String, dateOfBirth: LocalDate, phone: String) async throws -> Person.ID? {
        let rows = try await sql.select().column("id").from("people").where("folded_name", .equal, foldedName)
            .where("date_of_birth", .equal, dateOfBirth.description).where("phone", .equal, phone)
            .where("merged_into", .is, SQLLiteral.null).limit(2).all(decodingColumn: "id", as: String.self)
        return rows.count == 1 ? try SQLPersonRepository.personID(rows[0]) : nil
    }

    /// The doses of these people.
    public func doses(of ids: [Person.ID]) async throws -> [Person.ID: [DoseRecord]] {
        var all: [Person.ID: [DoseRecord]] = [:]
        for start in stride(from: 0, to: ids.count, by: 500) {
            all.merge(try await CampaignStore.doses(of: Array(ids[start..<min(start + 500, ids.count)]), on: sql)) {
                $1
            }
        }
        return all
    }

    /// Which of these people have an open registration.
    public func openRegistrations(of ids: [Person.ID]) async throws -> Set<Person.ID> {
        var open: Set<Person.ID> = []
        for start in stride(from: 0, to: ids.count, by: 500) {
            let rows = try await sql.select().column("person_id").from("registrations")
                .where("person_id", .in, ids[start..<min(start + 500, ids.count)].map(\.description))
                .where("status", .notEqual, "closed").all(decodingColumn: "person_id", as: String.self)
            for row in rows { open.insert(try SQLPersonRepository.personID(row)) }
        }
        return open
    }

    /// Writes the chunk: new people, registrations, back-entered doses, events and audit entries.
    public func write(
        people newPeople: [(person: Person, nationalID: SealedNationalID?)],
        registrations: [Registration],
        doses: [DoseRecord],
        events: [OutboxEvent],
        audit: [AuditEntry]
    ) async throws {
        var rows: [[any SQLExpression]] = []
        for (person, id) in newPeople {
            rows.append(people.rowValues(person, sealed: id?.sealed, hash: id?.hash))
        }
        for start in stride(from: 0, to: rows.count, by: 200) {
            try await SQLPersonRepository.insertPeople(Array(rows[start..<min(start + 200, rows.count)]), on: sql)
        }
        let groups = newPeople.map { ($0.person.id, $0.person.priorityGroups) }
        for start in stride(from: 0, to: groups.count, by: 400) {
            try await SQLPersonRepository.insertGroups(Array(groups[start..<min(start + 400, groups.count)]), on: sql)
        }
        for start in stride(from: 0, to: registrations.count, by: 400) {
            try await CampaignStore.insert(Array(registrations[start..<min(start + 400, registrations.count)]), on: sql)
        }
        try await CampaignStore.insertDoses(doses, on: sql)
        try await CampaignStore.insert(events, on: sql)
        try await AuditChain.append(audit, on: sql)
    }
}

/// A national ID number sealed and hashed ahead of the transaction that stores it (the crypto is the
/// CPU-heavy part of an import; done while the previous chunk is written).
public struct SealedNationalID: Sendable {
    /// The number as given.
    public var number: String
    /// AES-GCM sealed, for the `national_id` column.
    public var sealed: String
    /// The keyed look-up hash.
    public var hash: String
}

extension CampaignStore {
    /// Seals and hashes a national ID number as the people table stores it.
    public func seal(nationalID number: String) throws -> SealedNationalID {
        SealedNationalID(
            number: number,
            sealed: try people.vault.seal(number),
            hash: people.vault.lookupHash(of: number)
        )
    }

    /// The import of a file already uploaded.
    public func registrationImport(fileHash: String) async throws -> RegistrationImport? {
        try await database.read { sql in
            guard
                let row = try await sql.select().columns(SQLLiteral.all).from("registration_imports")
                    .where("file_hash", .equal, fileHash).where("state", .equal, "done").first()
            else { return nil }
            return RegistrationImport(
                id: try row.uuid("id"),
                fileHash: fileHash,
                organisation: try row.decode(column: "organisation", as: String.self),
                format: try row.decode(column: "format", as: String.self),
                uploadedBy: try row.decode(column: "uploaded_by", as: String.self),
                total: try row.decode(column: "rows_total", as: Int.self),
                created: try row.decode(column: "rows_created", as: Int.self),
                matched: try row.decode(column: "rows_matched", as: Int.self),
                rejected: try row.decode(column: "rows_rejected", as: Int.self),
                results: try row.decode(column: "results", as: String.self),
                createdAt: try row.date("created_at")
            )
        }
    }

    /// Records an upload before its rows (registrations refer to it). Throws `importRunning` while
    /// the same file is being imported; `false` when it was imported already.
    public func begin(_ upload: RegistrationImport) async throws -> Bool {
        try await database.write { sql in
            let states = try await sql.select().column("state").from("registration_imports")
                .where("file_hash", .equal, upload.fileHash).where("state", .notEqual, "failed")
                .all(decodingColumn: "state", as: String.self)
            if states.contains("done") { return false }
            if states.contains("running") { throw CampaignStoreError.importRunning }
            try await sql.insert(into: "registration_imports")
                .columns(
                    "id",
                    "file_hash",
                    "organisation",
                    "format",
                    "uploaded_by",
                    "rows_total",
                    "rows_created",
                    "rows_matched",
                    "rows_rejected",
                    "results",
                    "state",
                    "created_at"
                )
                .values(
                    SQLBind(upload.id.lower),
                    SQLBind(upload.fileHash),
                    SQLBind(upload.organisation),
                    SQLBind(upload.format),
                    SQLBind(upload.uploadedBy),
                    SQLBind(upload.total),
                    SQLBind(0),
                    SQLBind(0),
                    SQLBind(0),
                    SQLBind("[]"),
                    SQLBind("running"),
                    SQLBind(upload.createdAt.millisecondsSince1970)
                ).run()
            return true
        }
    }

    /// Marks an upload that stopped half-way as failed, so that the same file may be sent again (rows
    /// already written are matched then, not created twice).
    public func fail(_ upload: RegistrationImport) async throws {
        try await database.write { sql in
            try await sql.update("registration_imports").set("state", to: "failed")
                .where("id", .equal, upload.id.lower).run()
        }
    }

    /// Stores the final counts and per-row results of an upload.
    public func finish(_ upload: RegistrationImport, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await sql.update("registration_imports").set("rows_total", to: upload.total)
                .set("rows_created", to: upload.created).set("rows_matched", to: upload.matched)
                .set("rows_rejected", to: upload.rejected).set("results", to: upload.results).set("state", to: "done")
                .where("id", .equal, upload.id.lower).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Runs one chunk of an import in a transaction.
    public func importChunk<T: Sendable>(
        _ body: @escaping @Sendable (ImportTransaction) async throws -> T
    ) async throws -> T {
        let people = self.people
        return try await database.write { sql in try await body(ImportTransaction(sql: sql, people: people)) }
    }
}
