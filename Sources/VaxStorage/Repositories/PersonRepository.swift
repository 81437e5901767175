import Foundation
import SQLKit
import VaxDomain

/// How to find people.
public enum PersonQuery: Sendable, Equatable {
    /// Exact national ID number (normalised).
    case nationalID(String)
    /// Exact phone, E.164.
    case phone(String)
    /// Folded-name prefix, optionally with the date of birth.
    case namePrefix(String, dateOfBirth: LocalDate?)
    /// Everyone registered in a commune.
    case commune(scheme: UnitScheme, code: String)
}

/// What creating a person did.
public enum PersonCreation: Sendable, Equatable {
    /// A new record; `likelyDuplicates` were flagged for review (same folded name, birth date and phone).
    case created(Person, likelyDuplicates: [Person.ID])
    /// A person with the same national ID number exists; nothing was written.
    case existing(Person.ID)
}

/// A pair of records that may be the same person, waiting for a person to decide.
public struct DuplicateReview: Sendable, Equatable {
    /// The review's id.
    public var id: UUID
    /// The newer record.
    public var personID: Person.ID
    /// The older record it resembles.
    public var candidateID: Person.ID
    /// Why they were paired.
    public var reason: String
    /// When the pair was found.
    public var createdAt: Date
}

/// A test seam: called at named points inside multi-row writes, so a test can fail a write half-way.
public struct FaultInjector: Sendable {
    private let handler: @Sendable (String) throws -> Void

    /// An injector that runs `handler` at every point.
    public init(_ handler: @escaping @Sendable (String) throws -> Void) {
        self.handler = handler
    }

    func hit(_ point: String) throws {
        try handler(point)
    }
}

/// Storage of people.
public protocol PersonRepository: Sendable {
    /// Creates a person (with groups, duplicate flags and the audit entry) in one transaction, or
    /// returns the existing person with the same national ID number.
    func create(_ person: Person, audit: AuditEntry) async throws -> PersonCreation
    /// Loads many people at once without duplicate checks (bulk load of known-distinct records).
    func insertBatch(_ people: [Person]) async throws
    /// The person with this id, merged records included.
    func find(_ id: Person.ID) async throws -> Person?
    /// People matching a query, merged records excluded; only those living in `area` when given.
    func search(_ query: PersonQuery, within area: ScopeArea?, limit: Int, offset: Int) async throws -> [Person]
    /// The dependants an account holder manages.
    func dependants(of guardian: Person.ID) async throws -> [Person]
    /// Open duplicate reviews, oldest first.
    func openDuplicateReviews(limit: Int) async throws -> [DuplicateReview]
    /// Merges `duplicate` into `survivor`, keeping an audit trail; returns the survivor.
    func merge(survivor: Person.ID, duplicate: Person.ID, audit: AuditEntry, at date: Date) async throws -> Person
}

extension PersonRepository {
    /// People matching a query, wherever they live.
    public func search(_ query: PersonQuery, limit: Int, offset: Int) async throws -> [Person] {
        try await search(query, within: nil, limit: limit, offset: offset)
    }
}

/// The SQLKit implementation, for both engines.
public struct SQLPersonRepository: PersonRepository {
    private let database: VaxDatabase
    let vault: NationalIDVault
    private let ids: IdentifierGenerator
    private let faults: FaultInjector?

    /// A repository over the database; `faults` is for tests only.
    public init(
        database: VaxDatabase,
        vault: NationalIDVault,
        ids: IdentifierGenerator = .uuidV7,
        faults: FaultInjector? = nil
    ) {
        self.database = database
        self.vault = vault
        self.ids = ids
        self.faults = faults
    }

    // MARK: Writing

    public func create(_ person: Person, audit: AuditEntry) async throws -> PersonCreation {
        let hash = person.nationalID.map { vault.lookupHash(of: $0.number) }
        let values = try rowValues(person, hash: hash)
        let ids = self.ids
        do {
            return try await database.write { sql in
                if let hash, let existing = try await Self.personID(withHash: hash, on: sql) {
                    return .existing(existing)
                }
                try await Self.insertPeople([values], on: sql)
                try faults?.hit("person-row-written")
                try await Self.insertGroups([(person.id, person.priorityGroups)], on: sql)
                try faults?.hit("groups-written")
                let duplicates = try await Self.likelyDuplicates(of: person, on: sql)
                for candidate in duplicates {
                    try await sql.insert(into: "duplicate_reviews")
                        .columns("id", "person_id", "candidate_id", "reason", "status", "created_at")
                        .values(
                            SQLBind(ids.next(at: person.createdAt).uuidString.lowercased()),
                            SQLBind(person.id.description),
                            SQLBind(candidate.description),
                            SQLBind("same folded name, date of birth and phone"),
                            SQLBind("open"),
                            SQLBind(person.createdAt.millisecondsSince1970)
                        )
                        .run()
                }
                try await SQLAuditRepository.insert([audit.about(person.id, id: audit.id)], on: sql)
                return .created(person, likelyDuplicates: duplicates)
            }
        } catch {
            // Two requests racing with the same number: the unique index stopped the second one.
            if let hash, let existing = try? await database.read({ try await Self.personID(withHash: hash, on: $0) }) {
                return .existing(existing)
            }
            throw error
        }
    }

    public func insertBatch(_ people: [Person]) async throws {
        let rows = try people.map { try rowValues($0, hash: $0.nationalID.map { vault.lookupHash(of: $0.number) }) }
        try await database.write { sql in
            for start in stride(from: 0, to: rows.count, by: 500) {
                try await Self.insertPeople(Array(rows[start..<min(start + 500, rows.count)]), on: sql)
            }
            try faults?.hit("people-batch-written")
            let groups = people.map { ($0.id, $0.priorityGroups) }
            for start in stride(from: 0, to: groups.count, by: 2000) {
                try await Self.insertGroups(Array(groups[start..<min(start + 2000, groups.count)]), on: sql)
            }
        }
    }

    public func merge(
        survivor: Person.ID,
        duplicate: Person.ID,
        audit: AuditEntry,
        at date: Date
    ) async throws -> Person {
        guard survivor != duplicate else { throw RegistryError.mergeWithItself }
        let auditIDs = (ids.next(at: date), ids.next(at: date))
        try await database.write { sql in
            // Lock both rows (PostgreSQL; SQLite has one writer) in id order, so two merges of the same
            // pair, in either direction, run one after the other and the second sees the first's result.
            let records = try await Self.load(
                where: {
                    $0.where("id", .in, [survivor.description, duplicate.description]).orderBy("id").for(.update)
                },
                on: sql
            )
            guard let kept = records.first(where: { $0.id == survivor.description }) else {
                throw RegistryError.personNotFound(survivor)
            }
            guard let gone = records.first(where: { $0.id == duplicate.description }) else {
                throw RegistryError.personNotFound(duplicate)
            }
            if let into = kept.mergedInto.flatMap(Person.ID.init) { throw RegistryError.merged(survivor, into: into) }
            if let into = gone.mergedInto.flatMap(Person.ID.init) { throw RegistryError.merged(duplicate, into: into) }
            if let keptHash = kept.nationalIDHash, let goneHash = gone.nationalIDHash, keptHash != goneHash {
                throw RegistryError.conflictingNationalIDs
            }
            let now = date.millisecondsSince1970
            // The survivor takes the duplicate's national ID when it has none (the unique index
            // needs the duplicate's copy cleared first).
            if kept.nationalIDHash == nil, let hash = gone.nationalIDHash {
                try await sql.update("people")
                    .set("national_id_type", to: SQLLiteral.null).set("national_id_sealed", to: SQLLiteral.null)
                    .set("national_id_hash", to: SQLLiteral.null)
                    .where("id", .equal, duplicate.description).run()
                try await sql.update("people")
                    .set("national_id_type", to: gone.nationalIDType).set(
                        "national_id_sealed",
                        to: gone.nationalIDSealed
                    )
                    .set("national_id_hash", to: hash)
                    .where("id", .equal, survivor.description).run()
            }
            try await sql.raw(
                """
                INSERT INTO person_priority_groups (person_id, group_code)
                SELECT \(bind: survivor.description), group_code FROM person_priority_groups
                WHERE person_id = \(bind: duplicate.description)
                AND group_code NOT IN (SELECT group_code FROM person_priority_groups WHERE person_id = \(bind: survivor.description))
                """
            ).run()
            try await sql.update("people").set("guardian_id", to: survivor.description)
                .set("updated_at", to: now)
                .where("guardian_id", .equal, duplicate.description).where("id", .notEqual, survivor.description).run()
            if kept.guardianID == duplicate.description {
                try await sql.update("people").set("guardian_id", to: SQLLiteral.null)
                    .set("relationship", to: SQLLiteral.null).where("id", .equal, survivor.description).run()
            }
            try await sql.update("people").set("merged_into", to: survivor.description).set("updated_at", to: now)
                .where("id", .equal, duplicate.description).run()
            try await sql.update("people").set("updated_at", to: now).where("id", .equal, survivor.description).run()
            try await sql.update("duplicate_reviews").set("status", to: "merged").set("resolved_at", to: now)
                .where("status", .equal, "open")
                .where(group: { group in
                    group.where("person_id", .in, [survivor.description, duplicate.description])
                        .where("candidate_id", .in, [survivor.description, duplicate.description])
                })
                .run()
            try await SQLAuditRepository.insert(
                [audit.about(survivor, id: auditIDs.0), audit.about(duplicate, id: auditIDs.1)],
                on: sql
            )
        }
        guard let person = try await find(survivor) else { throw RegistryError.personNotFound(survivor) }
        return person
    }

    // MARK: Reading

    public func find(_ id: Person.ID) async throws -> Person? {
        try await database.read { sql in
            try await Self.load(where: { $0.where("id", .equal, id.description) }, on: sql)
        }.first.map(decode)
    }

    public func search(_ query: PersonQuery, within area: ScopeArea?, limit: Int, offset: Int) async throws -> [Person]
    {
        let hash: String? =
            if case .nationalID(let number) = query { vault.lookupHash(of: number) } else { nil }
        return try await database.read { sql in
            try await Self.load(
                where: { select in
                    select.where("merged_into", .is, SQLLiteral.null)
                    if let area { Self.restrict(select, to: area) }
                    switch query {
                    case .nationalID:
                        select.where("national_id_hash", .equal, hash)
                    case .phone(let phone):
                        select.where("phone", .equal, phone).orderBy("folded_name").orderBy("id")
                    case .namePrefix(let prefix, let dateOfBirth):
                        select.where("folded_name", .greaterThanOrEqual, prefix)
                            .where("folded_name", .lessThan, TextFolding.prefixUpperBound(prefix))
                        if let dateOfBirth { select.where("date_of_birth", .equal, dateOfBirth.description) }
                        select.orderBy("folded_name").orderBy("id")
                    case .commune(let scheme, let code):
                        select.where("unit_scheme", .equal, scheme.rawValue).where("commune_code", .equal, code)
                            .orderBy("folded_name").orderBy("id")
                    }
                    select.limit(limit).offset(offset)
                },
                on: sql
            )
        }.map(decode)
    }

    /// Limits a query to the people living in `area`, each code compared within its own scheme.
    static func restrict(_ select: SQLSelectBuilder, to area: ScopeArea) {
        select.where { group in
            // Always false, so that an empty area matches nobody.
            group.where(SQLLiteral.numeric("1"), .equal, SQLLiteral.numeric("0"))
            for (scheme, column, codes) in [
                ("2025", "province_code", area.provinces), ("2025", "commune_code", area.communes),
                ("2021", "district_code", area.districts2021), ("2021", "commune_code", area.communes2021),
            ] where !codes.isEmpty {
                group.orWhere { part in
                    part.where("unit_scheme", .equal, scheme).where(SQLIdentifier(column), .in, codes.sorted())
                }
            }
            return group
        }
    }

    public func dependants(of guardian: Person.ID) async throws -> [Person] {
        try await database.read { sql in
            try await Self.load(
                where: { select in
                    select.where("guardian_id", .equal, guardian.description).where("merged_into", .is, SQLLiteral.null)
                        .orderBy("date_of_birth")
                },
                on: sql
            )
        }.map(decode)
    }

    public func openDuplicateReviews(limit: Int) async throws -> [DuplicateReview] {
        try await database.read { sql in
            try await sql.select().columns("id", "person_id", "candidate_id", "reason", "created_at")
                .from("duplicate_reviews").where("status", .equal, "open").orderBy("created_at").orderBy("id")
                .limit(limit).all()
        }.map { row in
            DuplicateReview(
                id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
                personID: try Self.personID(try row.decode(column: "person_id", as: String.self)),
                candidateID: try Self.personID(try row.decode(column: "candidate_id", as: String.self)),
                reason: try row.decode(column: "reason", as: String.self),
                createdAt: Date(millisecondsSince1970: try row.decode(column: "created_at", as: Int64.self))
            )
        }
    }
}

// MARK: - Rows

/// A `people` row as stored, with its priority groups.
struct PersonRecord: Sendable {
    var id: String
    var fullName: String
    var dateOfBirth: String
    var sex: String
    var phone: String?
    var nationalIDType: String?
    var nationalIDSealed: String?
    var nationalIDHash: String?
    var healthInsuranceNumber: String?
    var occupation: String?
    var workplace: String?
    var ethnicity: String?
    var nationality: String
    var unitScheme: String
    var provinceCode: String
    var districtCode: String?
    var communeCode: String
    var street: String?
    var primaryPriorityGroup: Int
    var guardianID: String?
    var relationship: String?
    var mergedInto: String?
    var createdAt: Int64
    var groups: [Int]
}

extension SQLPersonRepository {
    static let columns = [
        "id", "full_name", "folded_name", "date_of_birth", "sex", "phone", "national_id_type", "national_id_sealed",
        "national_id_hash", "health_insurance_number", "occupation", "workplace", "ethnicity", "nationality",
        "unit_scheme", "province_code", "district_code", "commune_code", "street", "primary_priority_group",
        "guardian_id", "relationship", "merged_into", "created_at", "updated_at",
    ]

    func rowValues(_ person: Person, hash: String?) throws -> [any SQLExpression] {
        rowValues(person, sealed: try person.nationalID.map { try vault.seal($0.number) }, hash: hash)
    }

    /// The row of a person whose national ID is already sealed and hashed.
    func rowValues(_ person: Person, sealed: String?, hash: String?) -> [any SQLExpression] {
        let created = person.createdAt.millisecondsSince1970
        return [
            SQLBind(person.id.description), SQLBind(person.fullName), SQLBind(person.foldedName),
            SQLBind(person.dateOfBirth.description), SQLBind(person.sex.rawValue), SQLBind(person.phone),
            SQLBind(person.nationalID?.type.rawValue), SQLBind(sealed), SQLBind(hash),
            SQLBind(person.healthInsuranceNumber), SQLBind(person.occupation), SQLBind(person.workplace),
            SQLBind(person.ethnicity), SQLBind(person.nationality), SQLBind(person.address.scheme.rawValue),
            SQLBind(person.address.provinceCode), SQLBind(person.address.districtCode),
            SQLBind(person.address.communeCode), SQLBind(person.address.street), SQLBind(person.primaryPriorityGroup),
            SQLBind(person.guardianID?.description), SQLBind(person.relationship?.rawValue),
            SQLBind(person.mergedInto?.description), SQLBind(created), SQLBind(created),
        ]
    }

    static func insertPeople(_ rows: [[any SQLExpression]], on sql: any SQLDatabase) async throws {
        guard !rows.isEmpty else { return }
        let insert = sql.insert(into: "people").columns(columns)
        for row in rows { insert.values(row) }
        try await insert.run()
    }

    static func insertGroups(_ people: [(Person.ID, [Int])], on sql: any SQLDatabase) async throws {
        let insert = sql.insert(into: "person_priority_groups").columns("person_id", "group_code")
        var any = false
        for (id, groups) in people {
            for group in groups {
                insert.values(SQLBind(id.description), SQLBind(group))
                any = true
            }
        }
        if any { try await insert.run() }
    }

    static func personID(withHash hash: String, on sql: any SQLDatabase) async throws -> Person.ID? {
        guard
            let row = try await sql.select().columns("id", "merged_into").from("people")
                .where("national_id_hash", .equal, hash).first()
        else { return nil }
        let merged = try row.decode(column: "merged_into", as: String?.self)
        return try personID(merged ?? row.decode(column: "id", as: String.self))
    }

    static func likelyDuplicates(of person: Person, on sql: any SQLDatabase) async throws -> [Person.ID] {
        guard let phone = person.phone else { return [] }
        return try await sql.select().column("id").from("people")
            .where("folded_name", .equal, person.foldedName)
            .where("date_of_birth", .equal, person.dateOfBirth.description)
            .where("phone", .equal, phone)
            .where("merged_into", .is, SQLLiteral.null)
            .where("id", .notEqual, person.id.description)
            .orderBy("id").all(decodingColumn: "id", as: String.self).map(personID)
    }

    static func personID(_ text: String) throws -> Person.ID {
        guard let id = Person.ID(text) else { throw StorageError.corruptRow("people.id \(text)") }
        return id
    }

    static func load(where filter: (SQLSelectBuilder) -> Void, on sql: any SQLDatabase) async throws -> [PersonRecord] {
        let select = sql.select().columns(columns.map { SQLIdentifier($0) }).from("people")
        filter(select)
        var records = try await select.all().map { row in
            PersonRecord(
                id: try row.decode(column: "id", as: String.self),
                fullName: try row.decode(column: "full_name", as: String.self),
                dateOfBirth: try row.decode(column: "date_of_birth", as: String.self),
                sex: try row.decode(column: "sex", as: String.self),
                phone: try row.decode(column: "phone", as: String?.self),
                nationalIDType: try row.decode(column: "national_id_type", as: String?.self),
                nationalIDSealed: try row.decode(column: "national_id_sealed", as: String?.self),
                nationalIDHash: try row.decode(column: "national_id_hash", as: String?.self),
                healthInsuranceNumber: try row.decode(column: "health_insurance_number", as: String?.self),
                occupation: try row.decode(column: "occupation", as: String?.self),
                workplace: try row.decode(column: "workplace", as: String?.self),
                ethnicity: try row.decode(column: "ethnicity", as: String?.self),
                nationality: try row.decode(column: "nationality", as: String.self),
                unitScheme: try row.decode(column: "unit_scheme", as: String.self),
                provinceCode: try row.decode(column: "province_code", as: String.self),
                districtCode: try row.decode(column: "district_code", as: String?.self),
                communeCode: try row.decode(column: "commune_code", as: String.self),
                street: try row.decode(column: "street", as: String?.self),
                primaryPriorityGroup: try row.decode(column: "primary_priority_group", as: Int.self),
                guardianID: try row.decode(column: "guardian_id", as: String?.self),
                relationship: try row.decode(column: "relationship", as: String?.self),
                mergedInto: try row.decode(column: "merged_into", as: String?.self),
                createdAt: try row.decode(column: "created_at", as: Int64.self),
                groups: []
            )
        }
        guard !records.isEmpty else { return [] }
        let groupRows = try await sql.select().columns("person_id", "group_code").from("person_priority_groups")
            .where("person_id", .in, records.map(\.id)).orderBy("group_code").all()
        var groups: [String: [Int]] = [:]
        for row in groupRows {
            groups[try row.decode(column: "person_id", as: String.self), default: []]
                .append(try row.decode(column: "group_code", as: Int.self))
        }
        for index in records.indices { records[index].groups = groups[records[index].id] ?? [] }
        return records
    }

    func decode(_ record: PersonRecord) throws -> Person {
        var nationalID: NationalID?
        if let type = record.nationalIDType.flatMap(NationalIDType.init), let sealed = record.nationalIDSealed {
            nationalID = NationalID(alreadyValidated: type, number: try vault.open(sealed))
        }
        guard let dateOfBirth = LocalDate(iso: record.dateOfBirth), let sex = Sex(rawValue: record.sex),
            let scheme = UnitScheme(rawValue: record.unitScheme)
        else { throw StorageError.corruptRow("people \(record.id)") }
        return Person(
            id: try Self.personID(record.id),
            fullName: record.fullName,
            dateOfBirth: dateOfBirth,
            sex: sex,
            phone: record.phone,
            nationalID: nationalID,
            healthInsuranceNumber: record.healthInsuranceNumber,
            occupation: record.occupation,
            workplace: record.workplace,
            ethnicity: record.ethnicity,
            nationality: record.nationality,
            address: Person.Address(
                scheme: scheme,
                provinceCode: record.provinceCode,
                districtCode: record.districtCode,
                communeCode: record.communeCode,
                street: record.street
            ),
            priorityGroups: record.groups,
            primaryPriorityGroup: record.primaryPriorityGroup,
            guardianID: record.guardianID.flatMap(Person.ID.init),
            relationship: record.relationship.flatMap(Relationship.init),
            mergedInto: record.mergedInto.flatMap(Person.ID.init),
            createdAt: Date(millisecondsSince1970: record.createdAt)
        )
    }
}

/// Data in the database that this build cannot read.
public enum StorageError: Error, CustomStringConvertible {
    /// A row breaks an invariant the schema cannot express.
    case corruptRow(String)

    public var description: String {
        switch self {
        case .corruptRow(let what): "corrupt row: \(what)"
        }
    }
}
