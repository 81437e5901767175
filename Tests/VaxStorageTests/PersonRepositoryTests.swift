import Foundation
import SQLKit
import Testing
import VaxDomain
import VaxStorage
import VaxTestSupport

/// A person in Thái Nguyên (2025 scheme, commune 05692 Xã Đồng Hỷ).
func samplePerson(
    name: String = "Nguyễn Văn Bình",
    cccd: String? = "019087001234",
    phone: String? = "+84912345678",
    birth: String = "1987-03-15",
    groups: [Int] = [8, 9],
    guardian: Person.ID? = nil,
    at date: Date = Date(timeIntervalSince1970: 1_795_000_000)
) -> Person {
    Person(
        id: Person.ID(UUIDv7.make(at: date)),
        fullName: name,
        dateOfBirth: LocalDate(iso: birth)!,
        sex: .male,
        phone: phone,
        nationalID: cccd.map { NationalID(alreadyValidated: .cccd, number: $0) },
        healthInsuranceNumber: nil,
        occupation: "Giáo viên",
        workplace: nil,
        ethnicity: "Kinh",
        nationality: "VN",
        address: .init(scheme: .tier2of2025, provinceCode: "19", districtCode: nil, communeCode: "05692", street: nil),
        priorityGroups: groups,
        primaryPriorityGroup: groups[0],
        guardianID: guardian,
        relationship: guardian == nil ? nil : .child,
        mergedInto: nil,
        createdAt: date
    )
}

func sampleAudit(_ action: String = "person.create") -> AuditEntry {
    AuditEntry(
        id: UUIDv7.make(),
        occurredAt: Date(),
        actor: "tester",
        actorRole: "vaccinator",
        actorScope: "unit/19",
        action: action,
        personID: nil,
        reason: "test",
        requestID: "req-test"
    )
}

let testVault = try! NationalIDVault(base64Key: NationalIDVault.generateBase64Key())

struct InjectedFault: Error {}

@Suite struct PersonRepositoryTests {
    @Test(arguments: TestDatabase.engines)
    func createsAndFindsByEveryKey(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            let person = samplePerson()
            #expect(try await people.create(person, audit: sampleAudit()) == .created(person, likelyDuplicates: []))
            #expect(try await people.find(person.id) == person)
            #expect(try await people.search(.nationalID("019087001234"), limit: 10, offset: 0) == [person])
            #expect(try await people.search(.phone("+84912345678"), limit: 10, offset: 0) == [person])
            #expect(
                try await people.search(.namePrefix("nguyen van b", dateOfBirth: nil), limit: 10, offset: 0) == [person]
            )
            #expect(
                try await people.search(
                    .namePrefix("nguyen van", dateOfBirth: LocalDate(iso: "1987-03-15")),
                    limit: 10,
                    offset: 0
                ) == [person]
            )
            #expect(
                try await people.search(
                    .namePrefix("nguyen van", dateOfBirth: LocalDate(iso: "1987-03-16")),
                    limit: 10,
                    offset: 0
                ).isEmpty
            )
            #expect(try await people.search(.namePrefix("nguyen vo", dateOfBirth: nil), limit: 10, offset: 0).isEmpty)
            #expect(
                try await people.search(.commune(scheme: .tier2of2025, code: "05692"), limit: 10, offset: 0) == [person]
            )
            #expect(try await people.search(.nationalID("019087001235"), limit: 10, offset: 0).isEmpty)
            let audit = try await SQLAuditRepository(database: database).entries(about: person.id)
            #expect(audit.map(\.action) == ["person.create"])
        }
    }

    @Test(arguments: TestDatabase.engines)
    func nationalIDIsSealedAtRest(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            _ = try await people.create(samplePerson(), audit: sampleAudit())
            let raw = try await database.read { sql in
                try await sql.raw("SELECT national_id_sealed, national_id_hash FROM people").first()
            }
            let sealed = try raw?.decode(column: "national_id_sealed", as: String.self) ?? ""
            let hash = try raw?.decode(column: "national_id_hash", as: String.self) ?? ""
            #expect(!sealed.contains("019087001234") && !hash.contains("019087001234"))
            #expect(try testVault.open(sealed) == "019087001234")
            // Another key opens nothing.
            let otherVault = try NationalIDVault(base64Key: NationalIDVault.generateBase64Key())
            #expect(throws: (any Error).self) { try otherVault.open(sealed) }
        }
    }

    @Test(arguments: TestDatabase.engines)
    func sameNationalIDReturnsTheExistingPerson(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            let first = samplePerson()
            _ = try await people.create(first, audit: sampleAudit())
            let again = samplePerson(name: "Nguyen Van Binh", phone: "+84987654321")
            #expect(try await people.create(again, audit: sampleAudit()) == .existing(first.id))
            #expect(try await people.find(again.id) == nil)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func flagsLikelyDuplicatesForReview(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            let first = samplePerson(cccd: nil)
            _ = try await people.create(first, audit: sampleAudit())
            let second = samplePerson(name: "NGUYỄN VĂN BÌNH", cccd: "019087009999")
            #expect(
                try await people.create(second, audit: sampleAudit()) == .created(second, likelyDuplicates: [first.id])
            )
            let reviews = try await people.openDuplicateReviews(limit: 10)
            #expect(reviews.map(\.personID) == [second.id])
            #expect(reviews.map(\.candidateID) == [first.id])
            // A different phone is not flagged.
            let third = samplePerson(cccd: "019087008888", phone: "+84911111111")
            #expect(try await people.create(third, audit: sampleAudit()) == .created(third, likelyDuplicates: []))
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aFailureBetweenTheRowsLeavesNothing(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            for point in ["person-row-written", "groups-written"] {
                let failing = SQLPersonRepository(
                    database: database,
                    vault: testVault,
                    faults: FaultInjector { if $0 == point { throw InjectedFault() } }
                )
                let person = samplePerson()
                await #expect(throws: InjectedFault.self) { try await failing.create(person, audit: sampleAudit()) }
                #expect(try await failing.find(person.id) == nil)
                let counts = try await database.read { sql in
                    try await sql.raw(
                        """
                        SELECT (SELECT COUNT(*) FROM people) + (SELECT COUNT(*) FROM person_priority_groups)
                             + (SELECT COUNT(*) FROM audit_log) + (SELECT COUNT(*) FROM audit_queue) AS n
                        """
                    ).first(decodingColumn: "n", as: Int.self)
                }
                #expect(counts == 0, "rows left after a failure at \(point)")
            }
            // The bulk load is one transaction too.
            let failingBatch = SQLPersonRepository(
                database: database,
                vault: testVault,
                faults: FaultInjector { if $0 == "people-batch-written" { throw InjectedFault() } }
            )
            let batch = (0..<3).map {
                samplePerson(cccd: "01908700000\($0)", at: Date(timeIntervalSince1970: 1_795_000_000 + Double($0)))
            }
            await #expect(throws: InjectedFault.self) { try await failingBatch.insertBatch(batch) }
            #expect(try await failingBatch.search(.namePrefix("", dateOfBirth: nil), limit: 10, offset: 0).isEmpty)
            // And the same person can be created afterwards.
            let people = SQLPersonRepository(database: database, vault: testVault)
            let person = samplePerson()
            #expect(try await people.create(person, audit: sampleAudit()) == .created(person, likelyDuplicates: []))
        }
    }

    @Test(arguments: TestDatabase.engines)
    func schemaRejectsAnUnknownPriorityGroupAndRollsBack(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            let person = samplePerson(groups: [8, 99])
            await #expect(throws: (any Error).self) { try await people.create(person, audit: sampleAudit()) }
            let found = try await people.find(person.id)
            #expect(found == nil)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func dependantsAndMerge(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            let parent = samplePerson(cccd: nil, groups: [8])
            let duplicate = samplePerson(
                name: "Nguyen Van Binh",
                cccd: "019087001234",
                groups: [9],
                at: Date(timeIntervalSince1970: 1_795_000_100)
            )
            _ = try await people.create(parent, audit: sampleAudit())
            _ = try await people.create(duplicate, audit: sampleAudit())
            let child = samplePerson(
                name: "Nguyễn Minh An",
                cccd: nil,
                phone: nil,
                birth: "2018-06-01",
                guardian: duplicate.id,
                at: Date(timeIntervalSince1970: 1_795_000_200)
            )
            _ = try await people.create(child, audit: sampleAudit())
            #expect(try await people.dependants(of: duplicate.id).map(\.id) == [child.id])

            let merged = try await people.merge(
                survivor: parent.id,
                duplicate: duplicate.id,
                audit: sampleAudit("person.merge"),
                at: Date()
            )
            #expect(merged.priorityGroups == [8, 9])
            #expect(merged.nationalID?.number == "019087001234")
            #expect(try await people.dependants(of: parent.id).map(\.id) == [child.id])
            #expect(try await people.find(duplicate.id)?.mergedInto == parent.id)
            // The ID now finds the survivor; the merged record is out of searches.
            #expect(try await people.search(.nationalID("019087001234"), limit: 5, offset: 0).map(\.id) == [parent.id])
            #expect(
                try await people.search(.namePrefix("nguyen van binh", dateOfBirth: nil), limit: 5, offset: 0).map(\.id)
                    == [parent.id]
            )
            #expect(try await people.openDuplicateReviews(limit: 10).isEmpty)
            let trail = try await SQLAuditRepository(database: database).entries(about: duplicate.id)
            #expect(trail.map(\.action) == ["person.create", "person.merge"])
            await #expect(throws: RegistryError.merged(duplicate.id, into: parent.id)) {
                try await people.merge(
                    survivor: parent.id,
                    duplicate: duplicate.id,
                    audit: sampleAudit("person.merge"),
                    at: Date()
                )
            }
            await #expect(throws: RegistryError.mergeWithItself) {
                try await people.merge(
                    survivor: parent.id,
                    duplicate: parent.id,
                    audit: sampleAudit("person.merge"),
                    at: Date()
                )
            }
        }
    }

    @Test(arguments: TestDatabase.engines)
    func mergeRefusesTwoDifferentNationalIDs(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            let one = samplePerson(cccd: "019087001234")
            let two = samplePerson(cccd: "019087005678", at: Date(timeIntervalSince1970: 1_795_000_100))
            _ = try await people.create(one, audit: sampleAudit())
            _ = try await people.create(two, audit: sampleAudit())
            await #expect(throws: RegistryError.conflictingNationalIDs) {
                try await people.merge(
                    survivor: one.id,
                    duplicate: two.id,
                    audit: sampleAudit("person.merge"),
                    at: Date()
                )
            }
            #expect(try await people.find(two.id)?.mergedInto == nil)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func concurrentCreatesWithTheSameIDMakeOnePerson(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            let outcomes = try await withThrowingTaskGroup(of: PersonCreation.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await people.create(
                            samplePerson(at: Date(timeIntervalSince1970: 1_795_000_000 + Double(index))),
                            audit: sampleAudit()
                        )
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let created = outcomes.compactMap { if case .created(let person, _) = $0 { person.id } else { nil } }
            #expect(created.count == 1)
            #expect(outcomes.allSatisfy { if case .existing(let id) = $0 { id == created[0] } else { true } })
        }
    }

    @Test(arguments: TestDatabase.engines)
    func paginatesNameSearch(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let people = SQLPersonRepository(database: database, vault: testVault)
            let batch = (0..<25).map { index in
                samplePerson(
                    name: "Trần Thị Lan",
                    cccd: nil,
                    phone: nil,
                    at: Date(timeIntervalSince1970: 1_795_000_000 + Double(index))
                )
            }
            try await people.insertBatch(batch)
            let first = try await people.search(.namePrefix("tran thi", dateOfBirth: nil), limit: 10, offset: 0)
            let third = try await people.search(.namePrefix("tran thi", dateOfBirth: nil), limit: 10, offset: 20)
            #expect(first.count == 10 && third.count == 5)
            #expect(Set(first.map(\.id)).isDisjoint(with: third.map(\.id)))
        }
    }
}
