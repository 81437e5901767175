import Foundation
import VaxDomain
import VaxStorage

/// Settings of the campaign.
public struct CampaignSettings: Sendable {
    /// Minutes of observation after a dose (MoH: at least 30).
    public var observationMinutes: Int = 30
    /// How long a personal QR token is valid.
    public var personalCodeHours: Int = 24

    /// Defaults.
    public init() {}
}

/// The campaign's rules: the registration queue, sessions and invitations, the 4-step site workflow,
/// adverse events and corrections. Every staff read of a person is audited; every change lands with
/// its audit entries, messages and events in one transaction.
public struct CampaignService: Sendable {
    let store: CampaignStore
    let registry: PersonRegistry
    let people: any PersonRepository
    let units: any AdminUnitRepository
    let vault: NationalIDVault
    let catalogue: VaccineCatalogue
    let checklists: ChecklistLibrary
    let settings: CampaignSettings
    let clock: WallClock
    let ids: IdentifierGenerator
    /// Sessions and their facilities as the site steps read them (each step of each person needs them).
    let sites = SiteCache()

    /// A service over its store and the registry.
    public init(
        store: CampaignStore,
        registry: PersonRegistry,
        people: any PersonRepository,
        units: any AdminUnitRepository,
        vault: NationalIDVault,
        catalogue: VaccineCatalogue = .standard,
        checklists: ChecklistLibrary = .standard,
        settings: CampaignSettings = .init(),
        clock: WallClock = .system,
        ids: IdentifierGenerator = .uuidV7
    ) {
        self.store = store
        self.registry = registry
        self.people = people
        self.units = units
        self.vault = vault
        self.catalogue = catalogue
        self.checklists = checklists
        self.settings = settings
        self.clock = clock
        self.ids = ids
    }

    // MARK: Registration

    /// Who a registration is for: someone already in the registry, or a new person.
    public enum Registrant: Sendable {
        /// An existing person (the caller's own record or a dependant's, for a citizen).
        case existing(Person.ID)
        /// A new person from a form.
        case new(PersonDraft)
    }

    /// Puts a person in the queue with a priority group. A citizen registers themselves (the form's
    /// phone must be the signed-in phone) or a dependant they manage. Registering twice returns the
    /// open registration.
    public func register(
        _ registrant: Registrant,
        priorityGroup: Int,
        preferredDate: LocalDate?,
        by actor: Actor
    ) async throws -> (registration: Registration, created: Bool) {
        let now = clock.now()
        let principal = actor.principal
        let source = principal.role == .citizen ? "citizen" : "staff"
        if let preferredDate, preferredDate < LocalDate(at: now) {
            throw AppError.invalidField("preferredDate", "The preferred date \(preferredDate) is in the past.")
        }
        let person: Person
        var newPerson: Person?
        switch registrant {
        case .existing(let id):
            person = try await registry.read(id, by: actor)
        case .new(let draft):
            if principal.role == .citizen {
                guard let phone = principal.phone,
                    draft.phone.flatMap({ try? PhoneNumber.normalise($0).get() }) == phone
                else {
                    throw AppError.invalidField(
                        "person.phone",
                        "Register yourself with the phone you signed in with, or add a dependant first.",
                        code: "not_own_phone"
                    )
                }
            }
            let prepared = try await registry.prepare(draft, guardian: nil, at: now)
            if principal.role != .citizen, !principal.reaches(prepared.address) {
                throw AppError(.forbidden, code: "out_of_scope", message: "This person lives outside your scope.")
            }
            newPerson = prepared
            person = prepared
        }
        guard (1...16).contains(priorityGroup) else {
            throw AppError.invalidField("priorityGroup", "Priority groups are 1 to 16 (Decision 3355/QĐ-BYT).")
        }
        // A citizen queues under one of the groups on their record; staff, who check the papers, may set any.
        if principal.role == .citizen, !person.priorityGroups.contains(priorityGroup) {
            throw AppError.invalidField(
                "priorityGroup",
                "Group \(priorityGroup) is not on this person's record (\(person.priorityGroups.map(String.init).joined(separator: ", "))); staff at the site can change it.",
                code: "not_on_record"
            )
        }
        let registration = Registration(
            id: ids.next(at: now),
            personID: person.id,
            priorityGroup: priorityGroup,
            source: source,
            organisation: nil,
            importID: nil,
            preferredDate: preferredDate,
            unitScheme: person.address.scheme.rawValue,
            communeCode: person.address.communeCode,
            status: "waiting",
            registeredAt: now
        )
        var audit = [registry.entry("registration.create", about: person.id, by: actor, at: now)]
        if newPerson != nil {
            audit.insert(registry.entry("person.create", about: person.id, by: actor, at: now), at: 0)
        }
        let result = try await store.enqueue(
            registration,
            newPerson: newPerson,
            audit: audit,
            event: event("registration.created", subject: registration.id.lower, ["priorityGroup": "\(priorityGroup)"])
        )
        switch result {
        case .created(let registration, _): return (registration, true)
        case .existing(let registration): return (registration, false)
        }
    }

    // MARK: Facilities and sessions

    /// Creates or updates a facility with its kind and catchment units.
    public func saveFacility(_ facility: CampaignFacility, by actor: Actor) async throws -> CampaignFacility {
        var errors: [FieldError] = []
        if facility.id.isEmpty || facility.id.count > 40
            || !facility.id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") })
        {
            errors.append(
                FieldError(
                    field: "id",
                    code: "invalid_format",
                    message: "The KCB code is 1 to 40 letters, digits or hyphens."
                )
            )
        }
        let name = facility.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 200 || name.hasControlCharacters {
            errors.append(
                FieldError(field: "name", code: "invalid_format", message: "The name is 1 to 200 characters.")
            )
        }
        if try await unit(facility.unitCode) == nil {
            errors.append(
                FieldError(field: "unitCode", code: "unknown_unit", message: "\(facility.unitCode) is not a unit code.")
            )
        }
        if facility.catchment.count > 500 {
            errors.append(FieldError(field: "catchment", code: "too_many", message: "At most 500 catchment units."))
        }
        for (index, unit) in facility.catchment.enumerated().prefix(500) {
            guard let scheme = UnitScheme(rawValue: unit.scheme),
                try await units.unit(scheme: scheme, code: unit.code) != nil
            else {
                errors.append(
                    FieldError(
                        field: "catchment[\(index)]",
                        code: "unknown_unit",
                        message: "\(unit.code) is not a unit of the \(unit.scheme) scheme."
                    )
                )
                continue
            }
        }
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        try await authorizeFacilityUnit(facility.unitCode, by: actor.principal)
        if let stored = try await store.facility(id: facility.id) {
            // An official may change a facility of their own unit only, and never move it elsewhere.
            try await authorizeFacilityUnit(stored.unitCode, by: actor.principal)
            guard stored.unitCode == facility.unitCode || actor.principal.scope == .all else {
                throw AppError(
                    .forbidden,
                    code: "not_permitted",
                    message: "Only a system administrator moves a facility to another unit."
                )
            }
        }
        var saved = facility
        saved.name = name
        let now = clock.now()
        await sites.clear()
        try await store.save(saved, at: now, audit: [registry.entry("facility.save", about: nil, by: actor, at: now)])
        return saved
    }

    /// Plans a session at a facility.
    public func planSession(
        facilityID: String,
        date: LocalDate,
        productCode: String,
        doseKinds: [DoseKind],
        slots: [(start: String, end: String, capacity: Int)],
        by actor: Actor
    ) async throws -> VaccinationSession {
        let facility = try await requireFacility(facilityID)
        try await authorizeFacilityUnit(facility.unitCode, by: actor.principal, facilityID: facility.id)
        let now = clock.now()
        var errors: [FieldError] = []
        if date < LocalDate(at: now) {
            errors.append(
                FieldError(field: "date", code: "in_past", message: "The session date \(date) is in the past.")
            )
        }
        if catalogue.product(productCode) == nil {
            errors.append(unknownProduct(productCode))
        }
        if doseKinds.isEmpty || Set(doseKinds).count != doseKinds.count {
            errors.append(
                FieldError(field: "doseKinds", code: "invalid", message: "Give each dose kind once, at least one.")
            )
        }
        if slots.isEmpty || slots.count > 48 {
            errors.append(FieldError(field: "slots", code: "invalid", message: "Give 1 to 48 time slots."))
        }
        var previousEnd = ""
        for (index, slot) in slots.enumerated() {
            guard Self.isClockTime(slot.start), Self.isClockTime(slot.end), slot.start < slot.end else {
                errors.append(
                    FieldError(
                        field: "slots[\(index)]",
                        code: "invalid_time",
                        message: "A slot runs from HH:MM to a later HH:MM."
                    )
                )
                continue
            }
            if slot.start < previousEnd {
                errors.append(
                    FieldError(
                        field: "slots[\(index)].start",
                        code: "overlap",
                        message: "Slots must not overlap and must be in order."
                    )
                )
            }
            if !(1...10_000).contains(slot.capacity) {
                errors.append(
                    FieldError(
                        field: "slots[\(index)].capacity",
                        code: "out_of_range",
                        message: "A slot takes 1 to 10000 people."
                    )
                )
            }
            previousEnd = slot.end
        }
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        let session = VaccinationSession(
            id: ids.next(at: now),
            facilityID: facilityID,
            date: date,
            productCode: productCode,
            doseKinds: doseKinds,
            slots: slots.enumerated().map { index, slot in
                .init(index: index, startsAt: slot.start, endsAt: slot.end, capacity: slot.capacity, booked: 0)
            },
            createdBy: actor.principal.subject,
            createdAt: now
        )
        try await store.insert(session, audit: [registry.entry("session.plan", about: nil, by: actor, at: now)])
        return session
    }

    /// A session the caller may see.
    public func session(_ id: UUID, by actor: Actor) async throws -> (VaccinationSession, CampaignFacility) {
        guard let session = try await store.session(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No session has this id.")
        }
        let facility = try await requireFacility(session.facilityID)
        try await authorizeFacilityUnit(facility.unitCode, by: actor.principal, facilityID: facility.id)
        return (session, facility)
    }

    /// The sessions held on `date` at the facilities in the caller's scope, with their facilities.
    public func sessions(on date: LocalDate, by actor: Actor) async throws -> [(VaccinationSession, CampaignFacility)] {
        var found: [(VaccinationSession, CampaignFacility)] = []
        for id in try await store.sessionIDs(on: date, limit: 2000) {
            guard let session = try await store.session(id: id) else { continue }
            let facility = try await requireFacility(session.facilityID)
            do {
                try await authorizeFacilityUnit(facility.unitCode, by: actor.principal, facilityID: facility.id)
            } catch let error as AppError where error.status == .forbidden {
                continue
            }
            found.append((session, facility))
            if found.count == 200 { break }
        }
        return found
    }

    /// Invites the next registrants of the facility's catchment into the session's free slots: by
    /// priority group, then registration time. Each gets an SMS with the slot and a check-in code.
    public func invite(session id: UUID, limit: Int, by actor: Actor) async throws -> [Appointment] {
        let (session, facility) = try await session(id, by: actor)
        guard !facility.catchment.isEmpty else {
            throw AppError(
                .conflict,
                code: "no_catchment",
                message: "Facility \(facility.id) has no catchment units; set them before inviting."
            )
        }
        let now = clock.now()
        guard session.date >= LocalDate(at: now) else {
            throw AppError(.conflict, code: "session_past", message: "The session on \(session.date) is over.")
        }
        let product = catalogue.product(session.productCode)?.shortName ?? session.productCode
        let kind = session.doseKinds.first ?? .primary
        let ids = self.ids
        return try await store.invite(
            session: id,
            catchment: facility.catchment,
            limit: limit,
            audit: registry.entry("session.invite", about: nil, by: actor, at: now)
        ) { candidate, slot in
            let code = Self.checkInCode()
            let appointment = Appointment(
                id: ids.next(at: now),
                sessionID: id,
                slotIndex: slot.index,
                personID: candidate.registration.personID,
                registrationID: candidate.registration.id,
                doseKind: kind,
                state: .invited,
                checkInCode: code,
                walkIn: false,
                createdAt: now,
                updatedAt: now
            )
            let message = candidate.phone.map { phone in
                OutboxMessage(
                    id: ids.next(at: now),
                    channel: "sms",
                    recipient: phone,
                    purpose: "invitation",
                    body:
                        "Vaxtrace: moi tiem \(product) ngay \(session.date.vietnamese) \(slot.startsAt)-\(slot.endsAt) tai \(TextFolding.fold(facility.name)). Ma check-in: \(code)",
                    createdAt: now
                )
            }
            return (appointment, message)
        }
    }

    /// The appointments of a session (the site's list); each person listed is audited as read.
    public func appointments(session id: UUID, limit: Int, by actor: Actor) async throws -> [Appointment] {
        _ = try await session(id, by: actor)
        let found = try await store.appointments(session: id, limit: limit)
        try await registry.auditReads(found.map(\.personID), action: "person.read", by: actor)
        return found
    }

    /// The appointments of the caller (a citizen) and their dependants.
    public func myAppointments(by actor: Actor) async throws -> [Appointment] {
        try await store.appointments(people: myPeople(by: actor).map(\.id), limit: 100)
    }

    /// A citizen's own records (by their verified phone), each followed by its dependants.
    public func myPeople(by actor: Actor) async throws -> [Person] {
        guard let phone = actor.principal.phone else { return [] }
        let own = try await people.search(.phone(phone), within: nil, limit: 20, offset: 0)
            .filter { $0.guardianID == nil }
        var found: [Person] = []
        for holder in own { found += [holder] + (try await people.dependants(of: holder.id)) }
        return found
    }

    // MARK: Appointment actions

    /// Confirms, declines, marks a no-show or closes an appointment. A citizen may confirm or decline
    /// their own (or a dependant's) appointments.
    public func act(
        on appointmentID: UUID,
        action: AppointmentAction,
        reason: String?,
        by actor: Actor
    ) async throws -> Appointment {
        guard [.confirm, .decline, .markNoShow, .close].contains(action) else {
            throw AppError.invalidField(
                "action",
                "Only confirm, decline, no_show and close are actions here; the other steps have their own endpoints."
            )
        }
        var appointment = try await requireAppointment(appointmentID)
        if actor.principal.role == .citizen {
            guard action == .confirm || action == .decline else {
                throw AppError(.forbidden, code: "not_permitted", message: "A citizen may only confirm or decline.")
            }
            _ = try await registry.read(appointment.personID, by: actor)
        } else {
            _ = try await siteAccess(appointment, by: actor)
        }
        let next = try transition(appointment, action)
        let now = clock.now()
        try await apply(
            AppointmentTransition(
                id: ids.next(at: now),
                action: action,
                from: appointment.state,
                to: next,
                actor: actor.principal.subject,
                reason: reason,
                at: now
            ),
            to: appointment.id,
            audit: [registry.entry("appointment.\(action.rawValue)", about: appointment.personID, by: actor, at: now)]
        )
        appointment.state = next
        appointment.updatedAt = now
        return appointment
    }

    // MARK: Helpers

    func requireAppointment(_ id: UUID) async throws -> Appointment {
        guard let appointment = try await store.appointment(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No appointment has this id.")
        }
        return appointment
    }

    func requireFacility(_ id: String) async throws -> CampaignFacility {
        guard let facility = try await store.facility(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No facility has the code \(id).")
        }
        return facility
    }

    /// The session and facility of an appointment, when the caller works there.
    func siteAccess(_ appointment: Appointment, by actor: Actor) async throws -> (VaccinationSession, CampaignFacility)
    {
        try await siteSession(appointment.sessionID, by: actor)
    }

    /// A session and its facility for the site steps: from the cache when read in the last 30 s
    /// (slot bookings may be that old; the steps do not use them), the caller's access checked each time.
    func siteSession(_ id: UUID, by actor: Actor) async throws -> (VaccinationSession, CampaignFacility) {
        if let (session, facility) = await sites.get(id) {
            try await authorizeFacilityUnit(facility.unitCode, by: actor.principal, facilityID: facility.id)
            return (session, facility)
        }
        let found = try await session(id, by: actor)
        await sites.put(id, found)
        return found
    }

    /// The next state, or a 409 naming the current one.
    func transition(_ appointment: Appointment, _ action: AppointmentAction) throws -> AppointmentState {
        guard let next = appointment.state.applying(action) else {
            throw AppError(
                .conflict,
                code: "invalid_transition",
                message:
                    "The appointment is \(appointment.state.rawValue); \(action.rawValue) is not possible from there (allowed: \(appointment.state.allowedActions.map(\.rawValue).joined(separator: ", ")))."
            )
        }
        return next
    }

    func apply(_ transition: AppointmentTransition, to appointment: UUID, audit: [AuditEntry]) async throws {
        do {
            try await store.apply(transition, to: appointment, audit: audit)
        } catch let error as CampaignStoreError {
            throw Self.map(error)
        }
    }

    static func map(_ error: CampaignStoreError) -> AppError {
        switch error {
        case .stateConflict(let current):
            AppError(
                .conflict,
                code: "invalid_transition",
                message: "The appointment is \(current.rawValue) now; another change came first."
            )
        case .idTaken(let id):
            AppError(.conflict, code: "id_taken", message: "The id \(id) belongs to another record.")
        case .stageConflict(let current):
            AppError(
                .conflict,
                code: "invalid_stage",
                message: "The case is at \(current) now; another decision came first."
            )
        case .doseExists(let number):
            AppError(
                .conflict,
                code: "dose_exists",
                message: "Dose \(number) of this person is already recorded.",
                field: "doseNumber"
            )
        case .identityMismatch:
            AppError(
                .conflict,
                code: "id_mismatch",
                message:
                    "This ID number is registered to someone with another name or date of birth; check the papers.",
                field: "nationalId.number"
            )
        case .importRunning:
            AppError(
                .conflict,
                code: "import_running",
                message: "This file is being imported right now; try again shortly."
            )
        case .lotExpiryMismatch(let known):
            AppError(
                .badRequest,
                code: "lot_expiry_mismatch",
                message: "This lot is registered with the expiry \(known).",
                field: "lotExpiry"
            )
        }
    }

    /// Whether the caller may act for a facility in `unitCode`: a system administrator anywhere; a
    /// facility-scoped account only at that facility; a unit-scoped account when the facility's unit
    /// is that unit or inside it.
    func authorizeFacilityUnit(_ unitCode: String, by principal: Principal, facilityID: String? = nil) async throws {
        switch principal.scope {
        case .all:
            return
        case .facility(let id):
            if let facilityID, id == facilityID { return }
        case .unit(let code):
            if try await ancestors(of: unitCode).contains(code) { return }
        default:
            break
        }
        throw AppError(.forbidden, code: "out_of_scope", message: "This facility is outside your scope.")
    }

    /// A unit code and the codes above it, in either scheme (remembered 30 s with the site cache: every
    /// site step of a unit-scoped nurse asks).
    func ancestors(of code: String) async throws -> Set<String> {
        if let known = await sites.ancestors(of: code) { return known }
        var found: Set<String> = [code]
        for scheme in [UnitScheme.tier2of2025, .tier3of2021] {
            var current = try await units.unit(scheme: scheme, code: code)
            while let unit = current, let parent = unit.parentCode {
                found.insert(parent)
                current = try await units.unit(scheme: scheme, code: parent)
            }
        }
        await sites.remember(ancestors: found, of: code)
        return found
    }

    func unit(_ code: String) async throws -> AdminUnit? {
        for scheme in [UnitScheme.tier2of2025, .tier3of2021] {
            if let unit = try await units.unit(scheme: scheme, code: code) { return unit }
        }
        return nil
    }

    func event(_ kind: String, subject: String, _ payload: [String: String]) -> OutboxEvent {
        let now = clock.now()
        let data = (try? JSONEncoder.sortedKeys.encode(payload)) ?? Data("{}".utf8)
        return OutboxEvent(
            id: ids.next(at: now),
            kind: kind,
            subjectID: subject,
            payload: String(decoding: data, as: UTF8.self),
            createdAt: now
        )
    }

    func unknownProduct(_ code: String) -> FieldError {
        FieldError(
            field: "productCode",
            code: "unknown_product",
            message:
                "\(code.prefix(40)) is not in the vaccine catalogue (\(catalogue.products.map(\.code).joined(separator: ", ")))."
        )
    }

    static func isClockTime(_ text: String) -> Bool {
        let parts = text.split(separator: ":")
        guard text.count == 5, parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]) else {
            return false
        }
        return (0...23).contains(hour) && (0...59).contains(minute)
    }

    /// Eight characters without look-alikes (no 0/O, 1/I/L).
    static func checkInCode() -> String {
        let alphabet = Array("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }
}

extension JSONEncoder {
    /// Sorted keys, so JSON payloads are stable.
    static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension LocalDate {
    /// `dd/mm/yyyy`, as Vietnamese forms write dates.
    var vietnamese: String {
        let text = description
        return "\(text.suffix(2))/\(text.dropFirst(5).prefix(2))/\(text.prefix(4))"
    }
}

/// A short-lived cache of sessions with their facilities.
actor SiteCache {
    private var entries:
        [UUID: (session: VaccinationSession, facility: CampaignFacility, at: ContinuousClock.Instant)] = [:]

    func get(_ id: UUID) -> (VaccinationSession, CampaignFacility)? {
        guard let entry = entries[id], ContinuousClock.now - entry.at < .seconds(30) else { return nil }
        return (entry.session, entry.facility)
    }

    func put(_ id: UUID, _ value: (VaccinationSession, CampaignFacility)) {
        if entries.count > 10_000 { entries.removeAll() }
        entries[id] = (value.0, value.1, ContinuousClock.now)
    }

    private var above: [String: (codes: Set<String>, at: ContinuousClock.Instant)] = [:]

    func ancestors(of code: String) -> Set<String>? {
        guard let entry = above[code], ContinuousClock.now - entry.at < .seconds(30) else { return nil }
        return entry.codes
    }

    func remember(ancestors codes: Set<String>, of code: String) {
        if above.count > 10_000 { above.removeAll() }
        above[code] = (codes, ContinuousClock.now)
    }

    func clear() {
        entries.removeAll()
        above.removeAll()
    }
}
