import Foundation
import SQLKit
import Synchronization
import VaxDomain

/// What the campaign store refuses, for the service to turn into answers.
public enum CampaignStoreError: Error, Equatable {
    /// The appointment is no longer in the state the change expected.
    case stateConflict(current: AppointmentState)
    /// A record with this client id exists but is something else.
    case idTaken(String)
    /// A lot is known with another expiry.
    case lotExpiryMismatch(known: LocalDate)
    /// An adverse-event case moved on (another decision came first).
    case stageConflict(current: String)
    /// The dose number is already recorded for this person (two tablets at once).
    case doseExists(number: Int)
    /// The same file is being imported right now.
    case importRunning
    /// The national ID is registered to someone with another name or date of birth.
    case identityMismatch
}

/// The campaign's records over SQLKit on both engines. Each change and its audit entries, messages
/// and events land in one transaction.
public struct CampaignStore: Sendable {
    let database: VaxDatabase
    let people: SQLPersonRepository
    let json = JSONEncoder.sorted
    /// Lots already stored, with their expiry: a lot row never changes once committed, so a dose of a
    /// known lot is checked without a query.
    let lots = LotCache()

    /// A store over the database; `people` seals national IDs for registrations that create a person.
    public init(database: VaxDatabase, people: SQLPersonRepository) {
        self.database = database
        self.people = people
    }

    // MARK: Facilities

    /// Creates or replaces a facility with its kind and catchment.
    public func save(_ facility: CampaignFacility, at now: Date, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            if try await sql.select().column("id").from("facilities").where("id", .equal, facility.id).first() == nil {
                try await sql.insert(into: "facilities").columns("id", "name", "unit_code", "kind", "created_at")
                    .values(
                        SQLBind(facility.id),
                        SQLBind(facility.name),
                        SQLBind(facility.unitCode),
                        SQLBind(facility.kind),
                        SQLBind(now.millisecondsSince1970)
                    ).run()
            } else {
                let moved = try await sql.update("facilities").set("name", to: facility.name).set(
                    "unit_code",
                    to: facility.unitCode
                )
                .set("kind", to: facility.kind).where("id", .equal, facility.id)
                .where("unit_code", .notEqual, facility.unitCode).returning("id").all()
                if moved.isEmpty {
                    try await sql.update("facilities").set("name", to: facility.name).set("kind", to: facility.kind)
                        .where("id", .equal, facility.id).run()
                } else {
                    // The dashboards count the facility's doses under its unit (see RollupStore).
                    try await Self.insert(
                        [
                            OutboxEvent(
                                id: IdentifierGenerator.uuidV7.next(at: now),
                                kind: "facility.moved",
                                subjectID: facility.id,
                                payload: "{}",
                                createdAt: now
                            )
                        ],
                        on: sql
                    )
                }
            }
            try await sql.delete(from: "facility_catchment").where("facility_id", .equal, facility.id).run()
            if !facility.catchment.isEmpty {
                let insert = sql.insert(into: "facility_catchment").columns("facility_id", "unit_scheme", "unit_code")
                for unit in facility.catchment {
                    insert.values(SQLBind(facility.id), SQLBind(unit.scheme), SQLBind(unit.code))
                }
                try await insert.run()
            }
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// A facility with its catchment.
    public func facility(id: String) async throws -> CampaignFacility? {
        try await database.read { sql in
            guard
                let row = try await sql.select().columns("id", "name", "unit_code", "kind").from("facilities")
                    .where("id", .equal, id).first()
            else { return nil }
            let units = try await sql.select().columns("unit_scheme", "unit_code").from("facility_catchment")
                .where("facility_id", .equal, id).orderBy("unit_code").all()
            return CampaignFacility(
                id: try row.decode(column: "id", as: String.self),
                name: try row.decode(column: "name", as: String.self),
                unitCode: try row.decode(column: "unit_code", as: String.self),
                kind: try row.decode(column: "kind", as: String.self),
                catchment: try units.map {
                    CatchmentUnit(
                        scheme: try $0.decode(column: "unit_scheme", as: String.self),
                        code: try $0.decode(column: "unit_code", as: String.self)
                    )
                }
            )
        }
    }

    // MARK: Registrations

    /// The result of putting a person in the queue.
    public enum Enqueued: Sendable, Equatable {
        /// A new registration (and, when one was given, a new person).
        case created(Registration, personCreated: Bool)
        /// The person already had an open registration; nothing changed.
        case existing(Registration)
    }

    /// Queues `registration`, creating `newPerson` first when given; an existing person with the same
    /// national ID is used instead of a new one. One transaction: never a person without a registration.
    public func enqueue(
        _ registration: Registration,
        newPerson: Person?,
        audit: [AuditEntry],
        event: OutboxEvent
    ) async throws -> Enqueued {
        let prepared = try newPerson.map { person in
            let hash = person.nationalID.map { people.vault.lookupHash(of: $0.number) }
            return (person, hash, try people.rowValues(person, hash: hash))
        }
        return try await database.write { sql in
            var registration = registration
            var created = false
            if let (person, hash, values) = prepared {
                if let hash, let existing = try await SQLPersonRepository.personID(withHash: hash, on: sql) {
                    // The same number under another name or birth date is a typing error or worse: never
                    // queue (and later vaccinate) someone on another person's record.
                    let row = try await sql.select().columns("folded_name", "date_of_birth").from("people")
                        .where("id", .equal, existing.description).first()
                    guard try row?.decode(column: "folded_name", as: String.self) == person.foldedName,
                        try row?.decode(column: "date_of_birth", as: String.self) == person.dateOfBirth.description
                    else { throw CampaignStoreError.identityMismatch }
                    registration.personID = existing
                } else {
                    try await SQLPersonRepository.insertPeople([values], on: sql)
                    try await SQLPersonRepository.insertGroups([(person.id, person.priorityGroups)], on: sql)
                    created = true
                }
            }
            if let open = try await Self.openRegistration(of: registration.personID, on: sql) {
                return .existing(open)
            }
            try await Self.insert([registration], on: sql)
            try await Self.insert([event], on: sql)
            try await AuditChain.append(
                created ? audit : audit.filter { $0.action != "person.create" },
                on: sql
            )
            return .created(registration, personCreated: created)
        }
    }

    /// The open registration of a person.
    public func openRegistration(of person: Person.ID) async throws -> Registration? {
        try await database.read { try await Self.openRegistration(of: person, on: $0) }
    }

    static func openRegistration(of person: Person.ID, on sql: any SQLDatabase) async throws -> Registration? {
        try await sql.select().columns(registrationColumns.map { SQLIdentifier($0) }).from("registrations")
            .where("person_id", .equal, person.description).where("status", .notEqual, "closed").first()
            .map(registration(from:))
    }

    static let registrationColumns = [
        "id", "person_id", "priority_group", "source", "organisation", "import_id", "preferred_date", "unit_scheme",
        "commune_code", "status", "registered_at", "updated_at",
    ]

    static func insert(_ registrations: [Registration], on sql: any SQLDatabase) async throws {
        guard !registrations.isEmpty else { return }
        let insert = sql.insert(into: "registrations").columns(registrationColumns)
        for r in registrations {
            insert.values(
                SQLBind(r.id.lower),
                SQLBind(r.personID.description),
                SQLBind(r.priorityGroup),
                SQLBind(r.source),
                SQLBind(r.organisation),
                SQLBind(r.importID?.lower),
                SQLBind(r.preferredDate?.description),
                SQLBind(r.unitScheme),
                SQLBind(r.communeCode),
                SQLBind(r.status),
                SQLBind(r.registeredAt.millisecondsSince1970),
                SQLBind(r.registeredAt.millisecondsSince1970)
            )
        }
        try await insert.run()
    }

    static func registration(from row: any SQLRow) throws -> Registration {
        Registration(
            id: try row.uuid("id"),
            personID: try row.personID("person_id"),
            priorityGroup: try row.decode(column: "priority_group", as: Int.self),
            source: try row.decode(column: "source", as: String.self),
            organisation: try row.decode(column: "organisation", as: String?.self),
            importID: try row.decode(column: "import_id", as: String?.self).flatMap(UUID.init(uuidString:)),
            preferredDate: try row.decode(column: "preferred_date", as: String?.self).flatMap { LocalDate(iso: $0) },
            unitScheme: try row.decode(column: "unit_scheme", as: String.self),
            communeCode: try row.decode(column: "commune_code", as: String.self),
            status: try row.decode(column: "status", as: String.self),
            registeredAt: try row.date("registered_at")
        )
    }

    // MARK: Sessions and invitations

    /// Stores a planned session with its slots.
    public func insert(_ session: VaccinationSession, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await sql.insert(into: "vaccination_sessions")
                .columns("id", "facility_id", "session_date", "product_code", "dose_kinds", "created_by", "created_at")
                .values(
                    SQLBind(session.id.lower),
                    SQLBind(session.facilityID),
                    SQLBind(session.date.description),
                    SQLBind(session.productCode),
                    SQLBind(session.doseKinds.map(\.rawValue).joined(separator: ",")),
                    SQLBind(session.createdBy),
                    SQLBind(session.createdAt.millisecondsSince1970)
                ).run()
            let insert = sql.insert(into: "session_slots")
                .columns("session_id", "slot_index", "starts_at", "ends_at", "capacity", "booked")
            for slot in session.slots {
                insert.values(
                    SQLBind(session.id.lower),
                    SQLBind(slot.index),
                    SQLBind(slot.startsAt),
                    SQLBind(slot.endsAt),
                    SQLBind(slot.capacity),
                    SQLBind(0)
                )
            }
            try await insert.run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// The ids of the sessions held on `date` (at most `limit`, by facility).
    public func sessionIDs(on date: LocalDate, limit: Int) async throws -> [UUID] {
        try await database.read { sql in
            try await sql.select().column("id").from("vaccination_sessions")
                .where("session_date", .equal, date.description)
                .orderBy("facility_id").orderBy("id").limit(limit)
                .all(decodingColumn: "id", as: String.self)
                .compactMap(UUID.init(uuidString:))
        }
    }

    /// A session with its slots and bookings.
    public func session(id: UUID) async throws -> VaccinationSession? {
        try await database.read { try await Self.session(id: id, on: $0) }
    }

    static func session(id: UUID, on sql: any SQLDatabase) async throws -> VaccinationSession? {
        guard
            let row = try await sql.select()
                .columns("id", "facility_id", "session_date", "product_code", "dose_kinds", "created_by", "created_at")
                .from("vaccination_sessions").where("id", .equal, id.lower).first()
        else { return nil }
        let slots = try await sql.select().columns("slot_index", "starts_at", "ends_at", "capacity", "booked")
            .from("session_slots").where("session_id", .equal, id.lower).orderBy("slot_index").all()
        guard let date = LocalDate(iso: try row.decode(column: "session_date", as: String.self)) else {
            throw StorageError.corruptRow("vaccination_sessions.session_date")
        }
        return VaccinationSession(
            id: id,
            facilityID: try row.decode(column: "facility_id", as: String.self),
            date: date,
            productCode: try row.decode(column: "product_code", as: String.self),
            doseKinds: try row.decode(column: "dose_kinds", as: String.self).split(separator: ",")
                .compactMap { DoseKind(rawValue: String($0)) },
            slots: try slots.map {
                VaccinationSession.Slot(
                    index: try $0.decode(column: "slot_index", as: Int.self),
                    startsAt: try $0.decode(column: "starts_at", as: String.self),
                    endsAt: try $0.decode(column: "ends_at", as: String.self),
                    capacity: try $0.decode(column: "capacity", as: Int.self),
                    booked: try $0.decode(column: "booked", as: Int.self)
                )
            },
            createdBy: try row.decode(column: "created_by", as: String.self),
            createdAt: try row.date("created_at")
        )
    }

    /// Someone the queue offers for a session: the registration and where to send the SMS.
    public struct Candidate: Sendable {
        /// The registration.
        public var registration: Registration
        /// The person's phone, or their guardian's for a dependant.
        public var phone: String?
    }

    /// Invites up to `limit` waiting registrants of the catchment into the free slots of a session, by
    /// priority group, then registration time. `makeInvitation` builds each appointment and its SMS.
    public func invite(
        session sessionID: UUID,
        catchment: [CatchmentUnit],
        limit: Int,
        audit: AuditEntry,
        makeInvitation: @escaping @Sendable (Candidate, VaccinationSession.Slot) -> (Appointment, OutboxMessage?)
    ) async throws -> [Appointment] {
        try await database.write { sql in
            guard let session = try await Self.session(id: sessionID, on: sql) else { return [] }
            let free = session.slots.reduce(0) { $0 + $1.capacity - $1.booked }
            let wanted = min(limit, free)
            guard wanted > 0, !catchment.isEmpty else { return [] }
            let select = sql.select().columns(Self.registrationColumns.map { SQLColumn($0, table: "r") })
                .column(SQLColumn("phone", table: "p"), as: "phone")
                .column(SQLColumn("phone", table: "g"), as: "guardian_phone")
                .from(SQLAlias(SQLIdentifier("registrations"), as: SQLIdentifier("r")))
                .join(
                    SQLAlias(SQLIdentifier("people"), as: SQLIdentifier("p")),
                    on: SQLColumn("id", table: "p"),
                    .equal,
                    SQLColumn("person_id", table: "r")
                )
                .join(
                    SQLAlias(SQLIdentifier("people"), as: SQLIdentifier("g")),
                    method: SQLJoinMethod.left,
                    on: SQLColumn("id", table: "g"),
                    .equal,
                    SQLColumn("guardian_id", table: "p")
                )
                .where(SQLColumn("status", table: "r"), .equal, SQLBind("waiting"))
                .where { group in
                    for unit in catchment {
                        let column =
                            switch unit.code.count {
                            case 2: "province_code"
                            case 3: "district_code"
                            default: "commune_code"
                            }
                        group.orWhere { both in
                            both.where(SQLColumn("unit_scheme", table: "p"), .equal, SQLBind(unit.scheme))
                                .where(SQLColumn(column, table: "p"), .equal, SQLBind(unit.code))
                        }
                    }
                    return group
                }
                .orderBy(SQLColumn("priority_group", table: "r")).orderBy(SQLColumn("registered_at", table: "r"))
                .orderBy(SQLColumn("id", table: "r"))
                .limit(wanted)
            let rows = try await select.all()
            var made: [Appointment] = []
            var slotIndex = 0
            for row in rows {
                let candidate = Candidate(
                    registration: try Self.registration(from: row),
                    phone: try row.decode(column: "guardian_phone", as: String?.self)
                        ?? row.decode(column: "phone", as: String?.self)
                )
                if try await Self.appointment(session: sessionID, person: candidate.registration.personID, on: sql)
                    != nil
                {
                    continue
                }
                // Conditional updates, so that two invitation runs at once never invite one person twice
                // nor overbook a slot.
                let taken = try await sql.update("registrations").set("status", to: "invited")
                    .set("updated_at", to: audit.occurredAt.millisecondsSince1970)
                    .where("id", .equal, candidate.registration.id.lower).where("status", .equal, "waiting")
                    .returning("id").all()
                guard !taken.isEmpty else { continue }
                var slot: VaccinationSession.Slot?
                while slot == nil, slotIndex < session.slots.count {
                    let booked = try await sql.update("session_slots").set(
                        SQLIdentifier("booked"),
                        to: SQLRaw("booked + 1")
                    )
                    .where("session_id", .equal, sessionID.lower).where(
                        "slot_index",
                        .equal,
                        session.slots[slotIndex].index
                    )
                    .where(SQLIdentifier("booked"), .lessThan, SQLIdentifier("capacity"))
                    .returning("booked").all()
                    if booked.isEmpty { slotIndex += 1 } else { slot = session.slots[slotIndex] }
                }
                guard let slot else {
                    try await sql.update("registrations").set("status", to: "waiting")
                        .where("id", .equal, candidate.registration.id.lower).run()
                    break
                }
                let (appointment, message) = makeInvitation(candidate, slot)
                try await Self.insert(appointment, on: sql)
                if let message { try await IdentityStore.insert(message, on: sql) }
                made.append(appointment)
            }
            if !made.isEmpty { try await AuditChain.append([audit], on: sql) }
            return made
        }
    }

    // MARK: Appointments

    static let appointmentColumns = [
        "id", "session_id", "slot_index", "person_id", "registration_id", "dose_kind", "state", "check_in_code",
        "walk_in", "created_at", "updated_at",
    ]

    static func insert(_ a: Appointment, on sql: any SQLDatabase) async throws {
        try await sql.insert(into: "appointments").columns(appointmentColumns)
            .values(
                SQLBind(a.id.lower),
                SQLBind(a.sessionID.lower),
                SQLBind(a.slotIndex),
                SQLBind(a.personID.description),
                SQLBind(a.registrationID?.lower),
                SQLBind(a.doseKind.rawValue),
                SQLBind(a.state.rawValue),
                SQLBind(a.checkInCode),
                SQLBind(a.walkIn ? 1 : 0),
                SQLBind(a.createdAt.millisecondsSince1970),
                SQLBind(a.updatedAt.millisecondsSince1970)
            ).run()
        try await insert(
            [.made("appointment.created", subject: a.id.lower, person: a.personID, at: a.createdAt)],
            on: sql
        )
    }

    /// Adds a walk-in appointment (no slot) and its check-in in one transaction.
    public func insertWalkIn(
        _ appointment: Appointment,
        registration: Registration?,
        transition: AppointmentTransition,
        audit: [AuditEntry]
    ) async throws -> Appointment {
        try await database.write { sql in
            if let existing = try await Self.appointment(
                session: appointment.sessionID,
                person: appointment.personID,
                on: sql
            ) {
                return existing
            }
            if let registration, try await Self.openRegistration(of: registration.personID, on: sql) == nil {
                try await Self.insert([registration], on: sql)
            }
            var stored = appointment
            stored.state = transition.from
            try await Self.insert(stored, on: sql)
            try await Self.apply(transition, to: appointment.id, on: sql)
            try await AuditChain.append(audit, on: sql)
            stored.state = transition.to
            return stored
        }
    }

    /// An appointment by id.
    public func appointment(id: UUID) async throws -> Appointment? {
        try await database.read { sql in
            try await sql.select().columns(Self.appointmentColumns.map { SQLIdentifier($0) }).from("appointments")
                .where("id", .equal, id.lower).first().map(Self.appointment(from:))
        }
    }

    /// An appointment by its check-in code.
    public func appointment(checkInCode: String) async throws -> Appointment? {
        try await database.read { sql in
            try await sql.select().columns(Self.appointmentColumns.map { SQLIdentifier($0) }).from("appointments")
                .where("check_in_code", .equal, checkInCode).first().map(Self.appointment(from:))
        }
    }

    /// A person's appointment at a session.
    public func appointment(session: UUID, person: Person.ID) async throws -> Appointment? {
        try await database.read { try await Self.appointment(session: session, person: person, on: $0) }
    }

    static func appointment(session: UUID, person: Person.ID, on sql: any SQLDatabase) async throws -> Appointment? {
        try await sql.select().columns(appointmentColumns.map { SQLIdentifier($0) }).from("appointments")
            .where("session_id", .equal, session.lower).where("person_id", .equal, person.description).first()
            .map(appointment(from:))
    }

    /// The appointments of a session, by slot.
    public func appointments(session: UUID, limit: Int) async throws -> [Appointment] {
        try await database.read { sql in
            try await sql.select().columns(Self.appointmentColumns.map { SQLIdentifier($0) }).from("appointments")
                .where("session_id", .equal, session.lower).orderBy("created_at").orderBy("id").limit(limit)
                .all().map(Self.appointment(from:))
        }
    }

    /// The appointments of some people, newest first.
    public func appointments(people: [Person.ID], limit: Int) async throws -> [Appointment] {
        guard !people.isEmpty else { return [] }
        return try await database.read { sql in
            try await sql.select().columns(Self.appointmentColumns.map { SQLIdentifier($0) }).from("appointments")
                .where("person_id", .in, people.map(\.description)).orderBy("created_at", .descending).limit(limit)
                .all().map(Self.appointment(from:))
        }
    }

    static func appointment(from row: any SQLRow) throws -> Appointment {
        guard let kind = DoseKind(rawValue: try row.decode(column: "dose_kind", as: String.self)),
            let state = AppointmentState(rawValue: try row.decode(column: "state", as: String.self))
        else { throw StorageError.corruptRow("appointments.state") }
        return Appointment(
            id: try row.uuid("id"),
            sessionID: try row.uuid("session_id"),
            slotIndex: try row.decode(column: "slot_index", as: Int?.self),
            personID: try row.personID("person_id"),
            registrationID: try row.decode(column: "registration_id", as: String?.self).flatMap(UUID.init(uuidString:)),
            doseKind: kind,
            state: state,
            checkInCode: try row.decode(column: "check_in_code", as: String.self),
            walkIn: try row.decode(column: "walk_in", as: Int.self) == 1,
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at")
        )
    }

    /// The appointment a transition with this id moved (a replayed offline record).
    public func appointment(forEvent id: UUID) async throws -> Appointment? {
        try await database.read { sql in
            guard
                let appointment = try await sql.select().column("appointment_id").from("appointment_events")
                    .where("id", .equal, id.lower).first()?.decode(column: "appointment_id", as: String.self)
            else { return nil }
            return try await sql.select().columns(Self.appointmentColumns.map { SQLIdentifier($0) }).from(
                "appointments"
            )
            .where("id", .equal, appointment).first().map(Self.appointment(from:))
        }
    }

    /// Whether a transition with this id was applied already (a replayed offline record).
    public func transitionExists(_ id: UUID) async throws -> Bool {
        try await database.read { sql in
            try await sql.select().column("id").from("appointment_events").where("id", .equal, id.lower).first() != nil
        }
    }

    /// Moves an appointment from `transition.from` to `transition.to`; throws `stateConflict` with the
    /// current state when another change got there first.
    public func apply(_ transition: AppointmentTransition, to appointment: UUID, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await Self.apply(transition, to: appointment, on: sql)
            try await AuditChain.append(audit, on: sql)
        }
    }

    static func apply(_ t: AppointmentTransition, to appointment: UUID, on sql: any SQLDatabase) async throws {
        try await run(transition(t, of: appointment), of: appointment, expecting: t.from, on: sql)
    }

    /// Runs a batch guarded by an appointment's transition; a 0 means the appointment moved on first.
    static func run(
        _ batch: WriteBatch,
        of appointment: UUID,
        expecting state: AppointmentState,
        on sql: any SQLDatabase
    ) async throws {
        guard try await batch.run(on: sql) == 0 else { return }
        let current = try await sql.select().column("state").from("appointments")
            .where("id", .equal, appointment.lower).first()?.decode(column: "state", as: String.self)
        throw CampaignStoreError.stateConflict(current: current.flatMap(AppointmentState.init(rawValue:)) ?? state)
    }

    /// The writes of an appointment's transition, guarded by its expected state: the move, its event,
    /// and the registration following it.
    static func transition(_ t: AppointmentTransition, of appointment: UUID) -> WriteBatch {
        let at = t.at.millisecondsSince1970
        var batch = WriteBatch(
            guard: SQLQueryString(
                """
                UPDATE appointments SET state = \(bind: t.to.rawValue), updated_at = \(bind: at)
                WHERE id = \(bind: appointment.lower) AND state = \(bind: t.from.rawValue) RETURNING id
                """
            )
        )
        batch.insert(
            into: "appointment_events",
            columns: ["id", "appointment_id", "action", "from_state", "to_state", "actor", "reason", "occurred_at"],
            rows: [
                [
                    SQLBind(t.id.lower), SQLBind(appointment.lower), SQLBind(t.action.rawValue),
                    SQLBind(t.from.rawValue), SQLBind(t.to.rawValue), SQLBind(t.actor), SQLBind(t.reason), SQLBind(at),
                ]
            ]
        )
        // The queue follows the appointment: vaccinated or declined leaves it; deferred, referred or
        // absent people wait again.
        let status: String? =
            switch t.to {
            case .vaccinated, .declined: "closed"
            case .deferred, .referred, .noShow: "waiting"
            case .checkedIn: "invited"
            default: nil
            }
        if let status {
            batch.add(
                SQLQueryString(
                    """
                    UPDATE registrations SET status = \(bind: status), updated_at = \(bind: at)
                    WHERE id = (SELECT registration_id FROM appointments WHERE id = \(bind: appointment.lower))
                    AND status <> 'closed'
                    """
                )
            )
        }
        return batch
    }

    // MARK: Screening

    /// Stores a screening and moves the appointment, in one transaction.
    public func insert(_ s: Screening, transition: AppointmentTransition, audit: [AuditEntry]) async throws {
        let answers = String(decoding: try json.encode(s.answers), as: UTF8.self)
        let vitals = try s.vitals.map { String(decoding: try json.encode($0), as: UTF8.self) }
        let reasons = String(decoding: try json.encode(s.reasons), as: UTF8.self)
        try await database.write { sql in
            try await Self.apply(transition, to: s.appointmentID, on: sql)
            try await sql.insert(into: "screenings")
                .columns(
                    "id",
                    "appointment_id",
                    "person_id",
                    "checklist_version",
                    "answers",
                    "vitals",
                    "computed_outcome",
                    "outcome",
                    "reasons",
                    "defer_until",
                    "override_reason",
                    "consent",
                    "screened_by",
                    "screened_at"
                )
                .values(
                    SQLBind(s.id.lower),
                    SQLBind(s.appointmentID.lower),
                    SQLBind(s.personID.description),
                    SQLBind(s.checklistVersion),
                    SQLBind(answers),
                    SQLBind(vitals),
                    SQLBind(s.computedOutcome.rawValue),
                    SQLBind(s.outcome.rawValue),
                    SQLBind(reasons),
                    SQLBind(s.deferUntil?.description),
                    SQLBind(s.overrideReason),
                    SQLBind(s.consent ? 1 : 0),
                    SQLBind(s.screenedBy),
                    SQLBind(s.screenedAt.millisecondsSince1970)
                ).run()
            try await Self.insert(
                [.made("screening.recorded", subject: s.id.lower, person: s.personID, at: s.screenedAt)],
                on: sql
            )
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// A screening by id.
    public func screening(id: UUID) async throws -> Screening? {
        try await database.read { sql in
            try await sql.select().columns(SQLLiteral.all).from("screenings").where("id", .equal, id.lower).first()
                .map(Self.screening(from:))
        }
    }

    static func screening(from row: any SQLRow) throws -> Screening {
        let decoder = JSONDecoder()
        guard let computed = ScreeningOutcome(rawValue: try row.decode(column: "computed_outcome", as: String.self)),
            let outcome = ScreeningOutcome(rawValue: try row.decode(column: "outcome", as: String.self))
        else { throw StorageError.corruptRow("screenings.outcome") }
        return Screening(
            id: try row.uuid("id"),
            appointmentID: try row.uuid("appointment_id"),
            personID: try row.personID("person_id"),
            checklistVersion: try row.decode(column: "checklist_version", as: String.self),
            answers: try decoder.decode(
                [String: Bool].self,
                from: Data(try row.decode(column: "answers", as: String.self).utf8)
            ),
            vitals: try row.decode(column: "vitals", as: String?.self).map {
                try decoder.decode(VitalSigns.self, from: Data($0.utf8))
            },
            computedOutcome: computed,
            outcome: outcome,
            reasons: try decoder.decode(
                [String].self,
                from: Data(try row.decode(column: "reasons", as: String.self).utf8)
            ),
            deferUntil: try row.decode(column: "defer_until", as: String?.self).flatMap { LocalDate(iso: $0) },
            overrideReason: try row.decode(column: "override_reason", as: String?.self),
            consent: try row.decode(column: "consent", as: Int.self) == 1,
            screenedBy: try row.decode(column: "screened_by", as: String.self),
            screenedAt: try row.date("screened_at")
        )
    }

    // MARK: Doses

    static let doseColumns = [
        "id", "person_id", "appointment_id", "product_code", "lot_number", "lot_expiry", "dose_number", "kind",
        "administered_at", "administered_on", "facility_id", "injection_site", "vaccinator", "retrospective",
        "next_due_on", "observation_ends_at", "observed_at", "immediate_reactions", "recorded_by", "recorded_at",
        "updated_at",
    ]

    /// Records doses (with their lots, an optional appointment transition, SMS and events) in one
    /// transaction. A lot seen for the first time is registered with the expiry given; a known lot
    /// must have the same expiry.
    public func insert(
        _ doses: [DoseRecord],
        transition: AppointmentTransition?,
        messages: [OutboxMessage],
        events: [OutboxEvent],
        audit: [AuditEntry]
    ) async throws {
        try await database.write { sql in
            try await Self.registerLots(of: doses, cache: lots, on: sql)
            // One batch (one statement on PostgreSQL): the appointment's move, the doses (a dose number
            // given twice is stopped by the unique index; the caller names it), SMS, events, audit.
            let appointment = doses.first?.appointmentID
            var batch =
                if let transition, let appointment { Self.transition(transition, of: appointment) } else {
                    WriteBatch()
                }
            try Self.add(doses, to: &batch)
            for message in messages { IdentityStore.add(message, to: &batch) }
            Self.add(events, to: &batch)
            let queued = AuditChain.queue(audit, in: &batch, on: sql)
            if let transition, let appointment {
                try await Self.run(batch, of: appointment, expecting: transition.from, on: sql)
            } else {
                _ = try await batch.run(on: sql)
            }
            if !queued { try await AuditChain.append(audit, on: sql) }
        }
    }

    static func insertDoses(_ doses: [DoseRecord], on sql: any SQLDatabase) async throws {
        try await registerLots(of: doses, on: sql)
        var batch = WriteBatch()
        try add(doses, to: &batch)
        _ = try await batch.run(on: sql)
    }

    /// Registers the lots of doses (see `registerLot`).
    static func registerLots(of doses: [DoseRecord], cache: LotCache? = nil, on sql: any SQLDatabase) async throws {
        guard !doses.isEmpty else { return }
        var lots: [String: (String, String, LocalDate)] = [:]
        for dose in doses {
            guard let expiry = dose.lotExpiry else { continue }
            lots[dose.productCode + "\u{1}" + dose.lotNumber] = (dose.productCode, dose.lotNumber, expiry)
        }
        for (product, number, expiry) in lots.values.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
            try await registerLot(
                product: product,
                number: number,
                expiry: expiry,
                at: doses[0].recordedAt,
                cache: cache,
                on: sql
            )
        }
    }

    /// Adds the inserts of doses to a batch.
    static func add(_ doses: [DoseRecord], to batch: inout WriteBatch) throws {
        let encoder = JSONEncoder.sorted
        batch.insert(
            into: "doses",
            columns: doseColumns,
            rows: try doses.map { d in
                let reactions = try d.immediateReactions.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
                return [
                    SQLBind(d.id.lower),
                    SQLBind(d.personID.description),
                    SQLBind(d.appointmentID?.lower),
                    SQLBind(d.productCode),
                    SQLBind(d.lotNumber),
                    SQLBind(d.lotExpiry?.description),
                    SQLBind(d.doseNumber),
                    SQLBind(d.kind.rawValue),
                    SQLBind(d.administeredAt.millisecondsSince1970),
                    SQLBind(d.administeredOn.description),
                    SQLBind(d.facilityID),
                    SQLBind(d.injectionSite),
                    SQLBind(d.vaccinator),
                    SQLBind(d.retrospective ? 1 : 0),
                    SQLBind(d.nextDueOn?.description),
                    SQLBind(d.observationEndsAt?.millisecondsSince1970),
                    SQLBind(d.observedAt?.millisecondsSince1970),
                    SQLBind(reactions),
                    SQLBind(d.recordedBy),
                    SQLBind(d.recordedAt.millisecondsSince1970),
                    SQLBind(d.recordedAt.millisecondsSince1970),
                ]
            }
        )
    }

    /// Registers a lot seen for the first time; a known lot must have the same expiry. Two sites
    /// registering the same new lot at once both succeed (the insert yields to the other's row).
    static func registerLot(
        product: String,
        number: String,
        expiry: LocalDate,
        at now: Date,
        cache: LotCache? = nil,
        on sql: any SQLDatabase
    )
        async throws
    {
        if let known = cache?.expiry(product: product, lot: number) {
            guard known == expiry else { throw CampaignStoreError.lotExpiryMismatch(known: known) }
            return
        }
        let inserted = try await sql.raw(
            """
            INSERT INTO vaccine_lots (product_code, lot_number, expiry, created_at)
            VALUES (\(bind: product), \(bind: number), \(bind: expiry.description), \(bind: now.millisecondsSince1970))
            ON CONFLICT (product_code, lot_number) DO NOTHING RETURNING lot_number
            """
        ).all()
        guard inserted.isEmpty else { return }  // new: cached once it is read back committed
        guard
            let row = try await sql.select().column("expiry").from("vaccine_lots")
                .where("product_code", .equal, product).where("lot_number", .equal, number).first(),
            let known = LocalDate(iso: try row.decode(column: "expiry", as: String.self))
        else { throw StorageError.corruptRow("vaccine_lots.expiry") }
        cache?.remember(product: product, lot: number, expiry: known)
        guard known == expiry else { throw CampaignStoreError.lotExpiryMismatch(known: known) }
    }

    /// A dose by id.
    public func dose(id: UUID) async throws -> DoseRecord? {
        try await database.read { sql in
            try await sql.select().columns(Self.doseColumns.map { SQLIdentifier($0) }).from("doses")
                .where("id", .equal, id.lower).first().map(Self.dose(from:))
        }
    }

    /// The dose given at an appointment.
    public func dose(appointment: UUID) async throws -> DoseRecord? {
        try await database.read { sql in
            try await sql.select().columns(Self.doseColumns.map { SQLIdentifier($0) }).from("doses")
                .where("appointment_id", .equal, appointment.lower).first().map(Self.dose(from:))
        }
    }

    /// A person's doses, oldest first.
    public func doses(of person: Person.ID) async throws -> [DoseRecord] {
        try await database.read { try await Self.doses(of: [person], on: $0)[person] ?? [] }
    }

    /// What recording a dose reads, on one connection: the appointment, its latest screening, a dose
    /// already stored under the client's id, and the person (birth date, where to text them — their
    /// phone, else their guardian's — and their doses). Nil when the appointment is unknown.
    public func doseContext(appointment id: UUID, doseID: UUID?) async throws -> DoseContext? {
        try await database.read { sql in
            guard
                let appointment = try await sql.select().column(SQLRaw(Self.appointmentColumns.joined(separator: ", ")))
                    .from("appointments").where("id", .equal, id.lower).first().map(Self.appointment(from:))
            else { return nil }
            let screening = try await sql.select().columns(SQLLiteral.all).from("screenings")
                .where("appointment_id", .equal, id.lower).orderBy("id", .descending).first().map(Self.screening(from:))
            var existing: DoseRecord?
            if let doseID {
                existing = try await sql.select().columns(Self.doseColumns.map { SQLIdentifier($0) }).from("doses")
                    .where("id", .equal, doseID.lower).first().map(Self.dose(from:))
            }
            var person: DoseContext.Person?
            if let row = try await sql.raw(
                """
                SELECT p.date_of_birth, COALESCE(p.phone, g.phone) AS phone FROM people p
                LEFT JOIN people g ON g.id = p.guardian_id WHERE p.id = \(bind: appointment.personID.description)
                """
            ).first() {
                guard let born = LocalDate(iso: try row.decode(column: "date_of_birth", as: String.self)) else {
                    throw StorageError.corruptRow("people.date_of_birth")
                }
                person = DoseContext.Person(
                    dateOfBirth: born,
                    phone: try row.decode(column: "phone", as: String?.self),
                    doses: try await Self.doses(of: [appointment.personID], on: sql)[appointment.personID] ?? []
                )
            }
            return DoseContext(appointment: appointment, screening: screening, existingDose: existing, person: person)
        }
    }

    static func doses(of people: [Person.ID], on sql: any SQLDatabase) async throws -> [Person.ID: [DoseRecord]] {
        guard !people.isEmpty else { return [:] }
        let rows = try await sql.select().column(SQLRaw(doseColumns.joined(separator: ", "))).from("doses")
            .where("person_id", .in, people.map(\.description)).orderBy("administered_at").orderBy("dose_number").all()
        return Dictionary(grouping: try rows.map(dose(from:)), by: \.personID)
    }

    static func dose(from row: any SQLRow) throws -> DoseRecord {
        guard let kind = DoseKind(rawValue: try row.decode(column: "kind", as: String.self)),
            let day = LocalDate(iso: try row.decode(column: "administered_on", as: String.self))
        else { throw StorageError.corruptRow("doses") }
        return DoseRecord(
            id: try row.uuid("id"),
            personID: try row.personID("person_id"),
            appointmentID: try row.decode(column: "appointment_id", as: String?.self).flatMap(UUID.init(uuidString:)),
            productCode: try row.decode(column: "product_code", as: String.self),
            lotNumber: try row.decode(column: "lot_number", as: String.self),
            lotExpiry: try row.decode(column: "lot_expiry", as: String?.self).flatMap { LocalDate(iso: $0) },
            doseNumber: try row.decode(column: "dose_number", as: Int.self),
            kind: kind,
            administeredAt: try row.date("administered_at"),
            administeredOn: day,
            facilityID: try row.decode(column: "facility_id", as: String?.self),
            injectionSite: try row.decode(column: "injection_site", as: String?.self),
            vaccinator: try row.decode(column: "vaccinator", as: String?.self),
            retrospective: try row.decode(column: "retrospective", as: Int.self) == 1,
            nextDueOn: try row.decode(column: "next_due_on", as: String?.self).flatMap { LocalDate(iso: $0) },
            observationEndsAt: try row.decode(column: "observation_ends_at", as: Int64?.self)
                .map(Date.init(millisecondsSince1970:)),
            observedAt: try row.decode(column: "observed_at", as: Int64?.self).map(Date.init(millisecondsSince1970:)),
            immediateReactions: try row.decode(column: "immediate_reactions", as: String?.self).map {
                try JSONDecoder().decode([String].self, from: Data($0.utf8))
            },
            recordedBy: try row.decode(column: "recorded_by", as: String.self),
            recordedAt: try row.date("recorded_at")
        )
    }

    /// Closes the observation of a dose and moves its appointment, in one transaction.
    public func observe(
        dose: UUID,
        reactions: [String],
        at now: Date,
        transition: AppointmentTransition,
        appointment: UUID,
        audit: [AuditEntry]
    ) async throws {
        let text = String(decoding: try json.encode(reactions), as: UTF8.self)
        try await database.write { sql in
            try await Self.apply(transition, to: appointment, on: sql)
            try await sql.update("doses").set("observed_at", to: now.millisecondsSince1970)
                .set("immediate_reactions", to: text).set("updated_at", to: now.millisecondsSince1970)
                .where("id", .equal, dose.lower).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    // MARK: Corrections

    /// Replaces a dose's values, keeping the old ones in the correction history.
    public func correct(
        dose: DoseRecord,
        correction: Correction,
        events: [OutboxEvent],
        audit: [AuditEntry]
    ) async throws {
        try await database.write { sql in
            if let expiry = dose.lotExpiry {
                try await Self.registerLot(
                    product: dose.productCode,
                    number: dose.lotNumber,
                    expiry: expiry,
                    at: correction.correctedAt,
                    on: sql
                )
            }
            try await sql.update("doses").set("product_code", to: dose.productCode)
                .set("lot_number", to: dose.lotNumber).set("lot_expiry", to: dose.lotExpiry?.description)
                .set("dose_number", to: dose.doseNumber).set("kind", to: dose.kind.rawValue)
                .set("administered_at", to: dose.administeredAt.millisecondsSince1970)
                .set("administered_on", to: dose.administeredOn.description)
                .set("injection_site", to: dose.injectionSite).set("next_due_on", to: dose.nextDueOn?.description)
                .set("updated_at", to: correction.correctedAt.millisecondsSince1970)
                .where("id", .equal, dose.id.lower).run()
            try await Self.insert(correction, on: sql)
            try await Self.insert(events, on: sql)
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Replaces a person's core details (name, date of birth, sex, phone), keeping the old values.
    /// The person's id, and so every dose and certificate link, never changes.
    public func correct(person: Person, correction: Correction, events: [OutboxEvent], audit: [AuditEntry]) async throws
    {
        try await database.write { sql in
            try await sql.update("people").set("full_name", to: person.fullName).set(
                "folded_name",
                to: person.foldedName
            )
            .set("date_of_birth", to: person.dateOfBirth.description).set("sex", to: person.sex.rawValue)
            .set("phone", to: person.phone).set("updated_at", to: correction.correctedAt.millisecondsSince1970)
            .where("id", .equal, person.id.description).run()
            try await Self.insert(correction, on: sql)
            try await Self.insert(events, on: sql)
            try await AuditChain.append(audit, on: sql)
        }
    }

    static func insert(_ c: Correction, on sql: any SQLDatabase) async throws {
        try await sql.insert(into: "record_corrections")
            .columns(
                "id",
                "record_kind",
                "record_id",
                "old_values",
                "new_values",
                "reason",
                "corrected_by",
                "corrected_at"
            )
            .values(
                SQLBind(c.id.lower),
                SQLBind(c.recordKind),
                SQLBind(c.recordID),
                SQLBind(c.oldValues),
                SQLBind(c.newValues),
                SQLBind(c.reason),
                SQLBind(c.correctedBy),
                SQLBind(c.correctedAt.millisecondsSince1970)
            ).run()
    }

    /// The capacity of the sessions planned at facilities from one day through another, per facility
    /// and product.
    public func plannedDoses(
        at facilities: [String],
        from: LocalDate,
        through: LocalDate
    ) async throws
        -> [String: [String: Int]]
    {
        guard !facilities.isEmpty else { return [:] }
        return try await database.read { sql in
            var found: [String: [String: Int]] = [:]
            for row in try await sql.raw(
                """
                SELECT s.facility_id, s.product_code, SUM(l.capacity) AS doses FROM vaccination_sessions s
                JOIN session_slots l ON l.session_id = s.id
                WHERE s.facility_id IN \(SQLGroupExpression(facilities.map { SQLBind($0) as any SQLExpression }))
                AND s.session_date >= \(bind: from.description) AND s.session_date <= \(bind: through.description)
                GROUP BY s.facility_id, s.product_code
                """
            ).all() {
                found[try row.decode(column: "facility_id", as: String.self), default: [:]][
                    try row.decode(column: "product_code", as: String.self)
                ] = try row.decode(column: "doses", as: Int.self)
            }
            return found
        }
    }

    /// The people given a dose at a facility from one day through another, by their first dose there
    /// (at most `limit`).
    public func peopleVaccinated(
        at facility: String,
        from: LocalDate,
        through: LocalDate,
        limit: Int
    ) async throws
        -> [Person.ID]
    {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT person_id, MIN(administered_at) AS first_at FROM doses WHERE facility_id = \(bind: facility)
                AND administered_on >= \(bind: from.description) AND administered_on <= \(bind: through.description)
                GROUP BY person_id ORDER BY first_at, person_id LIMIT \(bind: limit)
                """
            ).all().map { try $0.personID("person_id") }
        }
    }

    /// The corrections of a record, oldest first.
    public func corrections(kind: String, id: String) async throws -> [Correction] {
        try await database.read { sql in
            try await sql.select().columns(SQLLiteral.all).from("record_corrections")
                .where("record_kind", .equal, kind).where("record_id", .equal, id).orderBy("corrected_at").all()
                .map { row in
                    Correction(
                        id: try row.uuid("id"),
                        recordKind: try row.decode(column: "record_kind", as: String.self),
                        recordID: try row.decode(column: "record_id", as: String.self),
                        oldValues: try row.decode(column: "old_values", as: String.self),
                        newValues: try row.decode(column: "new_values", as: String.self),
                        reason: try row.decode(column: "reason", as: String.self),
                        correctedBy: try row.decode(column: "corrected_by", as: String.self),
                        correctedAt: try row.date("corrected_at")
                    )
                }
        }
    }

    // MARK: Events

    static func insert(_ events: [OutboxEvent], on sql: any SQLDatabase) async throws {
        var batch = WriteBatch()
        add(events, to: &batch)
        _ = try await batch.run(on: sql)
    }

    /// Adds the inserts of outbox events, and of their consumers' pending rows, to a batch.
    static func add(_ events: [OutboxEvent], to batch: inout WriteBatch) {
        batch.insert(
            into: "outbox_events",
            columns: ["id", "kind", "subject_id", "payload", "created_at"],
            rows: events.map { e in
                [
                    SQLBind(e.id.lower), SQLBind(e.kind), SQLBind(e.subjectID), SQLBind(e.payload),
                    SQLBind(e.createdAt.millisecondsSince1970),
                ]
            }
        )
        OutboxPending.add(events, to: &batch)
    }

    /// Events of a kind, oldest first (for tests and the consumers of later issues).
    public func events(kind: String, limit: Int) async throws -> [OutboxEvent] {
        try await database.read { sql in
            try await sql.select().columns("id", "kind", "subject_id", "payload", "created_at").from("outbox_events")
                .where("kind", .equal, kind).orderBy("created_at").limit(limit).all().map(OutboxEvent.init(row:))
        }
    }
}

extension OutboxEvent {
    /// An event the store writes itself, about a record of a person (the payload names only the person's id).
    static func made(_ kind: String, subject: String, person: Person.ID, at time: Date) -> OutboxEvent {
        OutboxEvent(
            id: IdentifierGenerator.uuidV7.next(at: time),
            kind: kind,
            subjectID: subject,
            payload: #"{"personId":"\#(person.description)"}"#,
            createdAt: time
        )
    }

    /// An event from a row of `outbox_events` (id, kind, subject_id, payload, created_at).
    init(row: any SQLRow) throws {
        self.init(
            id: try row.uuid("id"),
            kind: try row.decode(column: "kind", as: String.self),
            subjectID: try row.decode(column: "subject_id", as: String.self),
            payload: try row.decode(column: "payload", as: String.self),
            createdAt: try row.date("created_at")
        )
    }
}

extension UUID {
    /// The canonical lower-case text, as stored.
    public var lower: String { uuidString.lowercased() }
}

extension JSONEncoder {
    /// An encoder with sorted keys, so stored JSON is stable.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension SQLRow {
    func uuid(_ column: String) throws -> UUID {
        guard let id = UUID(uuidString: try decode(column: column, as: String.self)) else {
            throw StorageError.corruptRow("\(column) is not a UUID")
        }
        return id
    }

    func personID(_ column: String) throws -> Person.ID {
        try SQLPersonRepository.personID(try decode(column: column, as: String.self))
    }

    func date(_ column: String) throws -> Date {
        Date(millisecondsSince1970: try decode(column: column, as: Int64.self))
    }
}

/// The expiry of lots known to be committed (see `CampaignStore.lots`).
final class LotCache: Sendable {
    private let known = Mutex<[String: LocalDate]>([:])

    func expiry(product: String, lot: String) -> LocalDate? {
        known.withLock { $0[product + "\u{1}" + lot] }
    }

    func remember(product: String, lot: String, expiry: LocalDate) {
        known.withLock { known in
            if known.count > 10_000 { known.removeAll() }
            known[product + "\u{1}" + lot] = expiry
        }
    }
}

/// What recording a dose reads first (see `CampaignStore.doseContext`).
public struct DoseContext: Sendable {
    /// What is needed of the person.
    public struct Person: Sendable {
        /// Their date of birth.
        public var dateOfBirth: LocalDate
        /// Their phone, else their guardian's.
        public var phone: String?
        /// Their doses so far.
        public var doses: [DoseRecord]
    }

    /// The appointment.
    public var appointment: Appointment
    /// Its latest screening.
    public var screening: Screening?
    /// A dose already stored under the client's id (a replay).
    public var existingDose: DoseRecord?
    /// The person, unless their record is gone.
    public var person: Person?
}
