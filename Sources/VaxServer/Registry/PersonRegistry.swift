import Foundation
import VaxDomain
import VaxStorage

/// Who is acting, for the audit trail.
public struct Actor: Sendable {
    /// The principal.
    public var principal: Principal
    /// The request id.
    public var requestID: String
    /// The purpose given (`X-Access-Reason`), or the operation's default.
    public var reason: String

    /// An actor.
    public init(principal: Principal, requestID: String, reason: String) {
        self.principal = principal
        self.requestID = requestID
        self.reason = reason
    }
}

extension Actor {
    /// The audit entry of `action` by this actor, about `person` when it concerns one.
    func auditEntry(_ action: String, about person: Person.ID?, at date: Date, id: UUID) -> AuditEntry {
        AuditEntry(
            id: id,
            occurredAt: date,
            actor: principal.subject,
            actorRole: principal.role.rawValue,
            actorScope: principal.scope.description,
            action: action,
            personID: person,
            reason: reason,
            requestID: requestID
        )
    }
}

/// The registry's rules: validation, unit checks, de-duplication, audit of every staff read.
public struct PersonRegistry: Sendable {
    let people: any PersonRepository
    let units: any AdminUnitRepository
    let audit: any AuditRepository
    let priorityGroups: any PriorityGroupRepository
    let clock: WallClock
    let ids: IdentifierGenerator
    /// Refusals are audited once a minute per caller and person, so a loop cannot flood the chain.
    let denials = RateLimiter()

    /// A registry over its repositories.
    public init(
        people: any PersonRepository,
        units: any AdminUnitRepository,
        audit: any AuditRepository,
        priorityGroups: any PriorityGroupRepository,
        clock: WallClock = .system,
        ids: IdentifierGenerator = .uuidV7
    ) {
        self.people = people
        self.units = units
        self.audit = audit
        self.priorityGroups = priorityGroups
        self.clock = clock
        self.ids = ids
    }

    /// Validates and creates a person (or a dependant under `guardian`).
    ///
    /// Throws `ValidationFailure` listing every bad field, or `RegistryError.duplicateNationalID`
    /// with the existing record when the national ID number is already registered.
    public func register(
        _ draft: PersonDraft,
        guardian: (id: Person.ID, relationship: Relationship)?,
        by actor: Actor
    ) async throws -> (person: Person, likelyDuplicates: [Person.ID]) {
        let now = clock.now()
        let person = try await prepare(draft, guardian: guardian, at: now)
        switch try await people.create(person, audit: entry("person.create", about: person.id, by: actor, at: now)) {
        case .created(let person, let duplicates):
            return (person, duplicates)
        case .existing(let existing):
            throw RegistryError.duplicateNationalID(existing: try await visibleDuplicate(existing, by: actor))
        }
    }

    /// Validates a draft into a new person (not stored): every field checked, units resolved.
    func prepare(
        _ draft: PersonDraft,
        guardian: (id: Person.ID, relationship: Relationship)?,
        at now: Date
    ) async throws -> Person {
        let today = LocalDate(at: now)
        if let guardian { try await requirePerson(guardian.id) }
        let groups = try await priorityGroups.codes(validOn: today)
        let validated = try PersonValidator.validate(
            draft,
            today: today,
            isDependant: guardian != nil,
            knownPriorityGroups: groups
        ).get()
        let address = try await resolve(validated.address, on: validated.addressValidOn)
        return Person(
            id: Person.ID(ids.next(at: now)),
            fullName: validated.fullName,
            dateOfBirth: validated.dateOfBirth,
            sex: validated.sex,
            phone: validated.phone,
            nationalID: validated.nationalID,
            healthInsuranceNumber: validated.healthInsuranceNumber,
            occupation: validated.occupation,
            workplace: validated.workplace,
            ethnicity: validated.ethnicity,
            nationality: validated.nationality,
            address: address,
            priorityGroups: validated.priorityGroups,
            primaryPriorityGroup: validated.primaryPriorityGroup,
            guardianID: guardian?.id,
            relationship: guardian?.relationship,
            mergedInto: nil,
            createdAt: now
        )
    }

    /// Checks the address codes against the scheme valid on `date`: each unit exists at its level and
    /// sits under the one above it.
    func resolve(_ input: PersonDraft.AddressInput, on date: LocalDate) async throws -> Person.Address {
        guard let scheme = UnitScheme.valid(on: date) else { throw RegistryError.noSchemeOnDate(date) }
        var errors: [FieldError] = []
        let province = try await units.unit(scheme: scheme, code: input.provinceCode)
        if province?.level != .province {
            errors.append(unknown("address.provinceCode", input.provinceCode, scheme, level: "province"))
        }
        var communeParent = input.provinceCode
        if scheme.hasDistricts {
            if let districtCode = input.districtCode, !districtCode.isEmpty {
                let district = try await units.unit(scheme: scheme, code: districtCode)
                if district?.level != .district {
                    errors.append(unknown("address.districtCode", districtCode, scheme, level: "district"))
                } else if district?.parentCode != input.provinceCode, province != nil {
                    errors.append(
                        FieldError(
                            field: "address.districtCode",
                            code: "not_in_parent",
                            message: "District \(districtCode) is not in province \(input.provinceCode)."
                        )
                    )
                }
                communeParent = districtCode
            } else {
                errors.append(
                    FieldError(
                        field: "address.districtCode",
                        code: "required",
                        message: "The 2021 scheme needs a district code."
                    )
                )
            }
        } else if let districtCode = input.districtCode, !districtCode.isEmpty {
            errors.append(
                FieldError(
                    field: "address.districtCode",
                    code: "not_in_scheme",
                    message: "The 2025 scheme (from 1 Jul 2025) has no districts; give the province and commune only."
                )
            )
        }
        let commune = try await units.unit(scheme: scheme, code: input.communeCode)
        if commune?.level != .commune {
            errors.append(unknown("address.communeCode", input.communeCode, scheme, level: "commune"))
        } else if commune?.parentCode != communeParent, errors.isEmpty {
            errors.append(
                FieldError(
                    field: "address.communeCode",
                    code: "not_in_parent",
                    message: "Commune \(input.communeCode) is not in \(communeParent)."
                )
            )
        }
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        return Person.Address(
            scheme: scheme,
            provinceCode: input.provinceCode,
            districtCode: scheme.hasDistricts ? input.districtCode : nil,
            communeCode: input.communeCode,
            street: input.street?.isEmpty == true ? nil : input.street
        )
    }

    /// One person, audited when a staff member reads someone else's record; a refusal is audited too.
    public func read(_ id: Person.ID, by actor: Actor) async throws -> Person {
        guard let person = try await people.find(id) else { throw RegistryError.personNotFound(id) }
        try await authorizeRead(person, by: actor)
        try await auditReads([person.id], action: "person.read", by: actor)
        return person
    }

    /// A page of people in the caller's scope, and whether there are more; every returned person is
    /// audited (the one row fetched to learn whether there is a next page is not returned, so not audited).
    public func search(
        _ query: PersonQuery,
        limit: Int,
        offset: Int,
        by actor: Actor
    ) async throws
        -> (people: [Person], hasMore: Bool)
    {
        let principal = actor.principal
        let area: ScopeArea?
        if principal.scope == .all {
            area = nil
        } else if let scoped = principal.area, principal.role.seesPeopleInScope {
            area = scoped
        } else {
            return ([], false)
        }
        let found = try await people.search(query, within: area, limit: limit + 1, offset: offset)
        let page = Array(found.prefix(limit))
        try await auditReads(page.map(\.id), action: "person.search", by: actor)
        return (page, found.count > limit)
    }

    /// The dependants of an account holder.
    public func dependants(of guardian: Person.ID, by actor: Actor) async throws -> [Person] {
        let holder = try await read(guardian, by: actor)
        let found = try await people.dependants(of: holder.id)
        try await auditReads(found.map(\.id), action: "person.read", by: actor)
        return found
    }

    /// Registers a dependant under an account holder the caller may manage.
    public func registerDependant(
        _ draft: PersonDraft,
        guardian id: Person.ID,
        relationship: Relationship,
        by actor: Actor
    ) async throws -> (person: Person, likelyDuplicates: [Person.ID]) {
        guard let guardian = try await people.find(id) else { throw RegistryError.personNotFound(id) }
        do {
            try Policy.authorizeManageDependants(of: guardian, by: actor.principal)
        } catch {
            try await auditDenial(of: guardian.id, by: actor)
            throw error
        }
        return try await register(draft, guardian: (id, relationship), by: actor)
    }

    /// A reasoned, audited look-up by an official, a tracer or an administrator: by id or national ID
    /// number, in the caller's scope. The attempt is audited even when nobody is found.
    public func breakGlass(
        personID: Person.ID?,
        nationalID: String?,
        by actor: Actor
    ) async throws -> [Person] {
        let found: [Person]
        if let personID {
            found = try await people.find(personID).map { [$0] } ?? []
        } else if let nationalID {
            found = try await people.search(.nationalID(nationalID), limit: 1, offset: 0)
        } else {
            found = []
        }
        for person in found {
            do {
                try Policy.authorizeBreakGlass(of: person, reason: actor.reason, by: actor.principal)
            } catch {
                try await auditDenial(of: person.id, by: actor)
                throw error
            }
        }
        let now = clock.now()
        let entries =
            found.isEmpty
            ? [entry("person.break_glass", about: nil, by: actor, at: now)]
            : found.map { entry("person.break_glass", about: $0.id, by: actor, at: now) }
        try await audit.record(entries)
        return found
    }

    /// Merges a duplicate into a survivor.
    public func merge(
        duplicate: Person.ID,
        into survivor: Person.ID,
        reason: String,
        by actor: Actor
    ) async throws
        -> Person
    {
        for id in [survivor, duplicate] {
            guard let person = try await people.find(id) else { throw RegistryError.personNotFound(id) }
            try await authorizeRead(person, by: actor)
        }
        var actor = actor
        actor.reason = "merge \(duplicate) into \(survivor): \(reason)"
        let now = clock.now()
        return try await people.merge(
            survivor: survivor,
            duplicate: duplicate,
            audit: entry("person.merge", about: survivor, by: actor, at: now),
            at: now
        )
    }

    /// Open duplicate reviews.
    public func duplicateReviews(limit: Int) async throws -> [DuplicateReview] {
        try await people.openDuplicateReviews(limit: limit)
    }

    // MARK: - Helpers

    private func requirePerson(_ id: Person.ID) async throws {
        guard let person = try await people.find(id) else { throw RegistryError.personNotFound(id) }
        if let into = person.mergedInto { throw RegistryError.merged(id, into: into) }
    }

    /// The existing record's id when the caller may read it (audited as a read), `nil` otherwise: a
    /// duplicate must not tell a vaccinator who, elsewhere, holds an ID number.
    private func visibleDuplicate(_ id: Person.ID, by actor: Actor) async throws -> Person.ID? {
        guard actor.principal.role != .citizen, let person = try await people.find(id) else { return nil }
        let guardian: Person? = nil
        guard (try? Policy.authorizeRead(of: person, guardian: guardian, by: actor.principal)) != nil else {
            return nil
        }
        var reading = actor
        reading.reason = "duplicate national ID at registration"
        try await auditReads([id], action: "person.read", by: reading)
        return id
    }

    func authorizeRead(_ person: Person, by actor: Actor) async throws {
        let guardian: Person? =
            if actor.principal.role == .citizen, let guardianID = person.guardianID {
                try await people.find(guardianID)
            } else { nil }
        do {
            try Policy.authorizeRead(of: person, guardian: guardian, by: actor.principal)
        } catch {
            try await auditDenial(of: person.id, by: actor)
            throw error
        }
    }

    private func auditDenial(of person: Person.ID, by actor: Actor) async throws {
        guard denials.hit("\(actor.principal.subject):\(person)", limit: 1, per: 60) == nil else { return }
        try await audit.record([entry("access.denied", about: person, by: actor, at: clock.now())])
    }

    func auditReads(_ ids: [Person.ID], action: String, by actor: Actor) async throws {
        guard Policy.isAuditedReader(actor.principal) else { return }
        let now = clock.now()
        try await audit.record(ids.map { entry(action, about: $0, by: actor, at: now) })
    }

    func entry(_ action: String, about person: Person.ID?, by actor: Actor, at date: Date) -> AuditEntry {
        actor.auditEntry(action, about: person, at: date, id: ids.next(at: date))
    }

    private func unknown(_ field: String, _ code: String, _ scheme: UnitScheme, level: String) -> FieldError {
        FieldError(
            field: field,
            code: "unknown_unit",
            message: "\(code) is not a \(level) of the \(scheme.rawValue) scheme (valid on the address date)."
        )
    }
}
