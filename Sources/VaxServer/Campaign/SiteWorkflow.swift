import Foundation
import VaxDomain
import VaxStorage

/// How a person is found at check-in.
public enum CheckInMethod: Sendable {
    /// A scanned code: our personal QR, the unified 1405 QR or the CCCD chip-card QR.
    case scanned(String)
    /// The code from the invitation SMS.
    case checkInCode(String)
    /// A national ID number typed in.
    case nationalID(String)
    /// Name and date of birth.
    case nameAndBirth(String, LocalDate)
    /// Someone not yet registered, registered on the spot.
    case walkIn(PersonDraft, priorityGroup: Int)
}

/// A screening as the site enters it.
public struct ScreeningInput: Sendable {
    /// The checklist version; the one in force today when `nil`.
    public var checklistVersion: String?
    /// Item code -> yes/no.
    public var answers: [String: Bool]
    /// Vital signs.
    public var vitals: VitalSigns?
    /// Whether the person consented.
    public var consent: Bool
    /// A different outcome chosen by the screener, with the reason.
    public var override: (outcome: ScreeningOutcome, reason: String, deferUntil: LocalDate?)?

    /// A screening input.
    public init(
        checklistVersion: String?,
        answers: [String: Bool],
        vitals: VitalSigns?,
        consent: Bool,
        override: (outcome: ScreeningOutcome, reason: String, deferUntil: LocalDate?)?
    ) {
        self.checklistVersion = checklistVersion
        self.answers = answers
        self.vitals = vitals
        self.consent = consent
        self.override = override
    }
}

/// A dose as the site enters it.
public struct DoseInput: Sendable {
    /// Must be the session's product when given.
    public var productCode: String?
    /// The lot number.
    public var lotNumber: String
    /// The lot's expiry.
    public var lotExpiry: LocalDate
    /// The dose number.
    public var doseNumber: Int
    /// Primary, additional or booster.
    public var kind: DoseKind
    /// When it was given; now when `nil`.
    public var administeredAt: Date?
    /// Where on the body.
    public var injectionSite: String?
    /// Who gave it; the caller when `nil`.
    public var vaccinator: String?

    /// A dose input.
    public init(
        productCode: String?,
        lotNumber: String,
        lotExpiry: LocalDate,
        doseNumber: Int,
        kind: DoseKind,
        administeredAt: Date?,
        injectionSite: String?,
        vaccinator: String?
    ) {
        self.productCode = productCode
        self.lotNumber = lotNumber
        self.lotExpiry = lotExpiry
        self.doseNumber = doseNumber
        self.kind = kind
        self.administeredAt = administeredAt
        self.injectionSite = injectionSite
        self.vaccinator = vaccinator
    }
}

/// What the site sees after check-in.
public struct CheckInResult: Sendable {
    /// The appointment, now checked in.
    public var appointment: Appointment
    /// The person.
    public var person: Person
    /// Their doses so far.
    public var doses: [DoseRecord]
    /// Their status.
    public var status: VaccinationStatus
}

extension CampaignService {
    // MARK: Check-in

    /// Finds the person, and their appointment at this session (a walk-in appointment when they have
    /// none), and checks them in. `id` is the client's record id (offline), `at` its time.
    public func checkIn(
        session sessionID: UUID,
        by method: CheckInMethod,
        id: UUID? = nil,
        at time: Date? = nil,
        actor: Actor
    ) async throws -> (result: CheckInResult, replayed: Bool) {
        let (session, _) = try await siteSession(sessionID, by: actor)
        let now = try eventTime(time)
        // A replayed offline check-in answers what the first one did, without registering anyone again.
        if let id, let earlier = try await store.appointment(forEvent: id) {
            guard earlier.sessionID == sessionID else { throw Self.map(.idTaken(id.lower)) }
            let person = try await requirePerson(earlier.personID)
            try await registry.auditReads([person.id], action: "person.read", by: actor)
            return (try await checkInResult(earlier, person), true)
        }
        guard LocalDate(at: now) == session.date else {
            throw AppError(
                .conflict,
                code: "not_session_day",
                message: "The session is on \(session.date); check-in is open on that day only."
            )
        }
        var appointment: Appointment?
        var person: Person
        switch method {
        case .checkInCode(let code):
            let code = code.uppercased().trimmingCharacters(in: .whitespaces)
            guard let found = try await store.appointment(checkInCode: code), found.sessionID == sessionID else {
                throw AppError(
                    .notFound,
                    code: "not_found",
                    message: "No appointment at this session has the code \(code)."
                )
            }
            appointment = found
            person = try await requirePerson(found.personID)
        case .walkIn(let draft, let group):
            let (registration, _) = try await register(.new(draft), priorityGroup: group, preferredDate: nil, by: actor)
            person = try await requirePerson(registration.personID)
        default:
            person = try await findPerson(method)
        }
        if let mergedInto = person.mergedInto { person = try await requirePerson(mergedInto) }
        if appointment == nil { appointment = try await store.appointment(session: sessionID, person: person.id) }
        let eventID = id ?? ids.next(at: now)
        let audit = [registry.entry("appointment.check_in", about: person.id, by: actor, at: now)]
        let doses = try await store.doses(of: person.id)
        if var existing = appointment {
            let next = try transition(existing, .checkIn)
            try await apply(
                AppointmentTransition(
                    id: eventID,
                    action: .checkIn,
                    from: existing.state,
                    to: next,
                    actor: actor.principal.subject,
                    reason: nil,
                    at: now
                ),
                to: existing.id,
                audit: audit
            )
            existing.state = next
            return (try await checkInResult(existing, person, doses: doses), false)
        }
        let status = DoseRules.status(history: doses.map(\.given), catalogue: catalogue)
        let kind: DoseKind =
            status.level == .notVaccinated || status.level == .partiallyVaccinated ? .primary : .booster
        let open = try await store.openRegistration(of: person.id)
        let registration =
            open
            ?? Registration(
                id: ids.next(at: now),
                personID: person.id,
                priorityGroup: person.primaryPriorityGroup,
                source: "walk_in",
                organisation: nil,
                importID: nil,
                preferredDate: nil,
                unitScheme: person.address.scheme.rawValue,
                communeCode: person.address.communeCode,
                status: "invited",
                registeredAt: now
            )
        let walkIn = try await store.insertWalkIn(
            Appointment(
                id: ids.next(at: now),
                sessionID: sessionID,
                slotIndex: nil,
                personID: person.id,
                registrationID: registration.id,
                doseKind: kind,
                state: .checkedIn,
                checkInCode: Self.checkInCode(),
                walkIn: true,
                createdAt: now,
                updatedAt: now
            ),
            registration: open == nil ? registration : nil,
            transition: AppointmentTransition(
                id: eventID,
                action: .checkIn,
                from: .invited,
                to: .checkedIn,
                actor: actor.principal.subject,
                reason: "walk-in",
                at: now
            ),
            audit: audit
        )
        return (try await checkInResult(walkIn, person, doses: doses), false)
    }

    func checkInResult(
        _ appointment: Appointment,
        _ person: Person,
        doses: [DoseRecord]? = nil
    ) async throws
        -> CheckInResult
    {
        var found = doses ?? []
        if doses == nil { found = try await store.doses(of: person.id) }
        let doses = found
        return CheckInResult(
            appointment: appointment,
            person: person,
            doses: doses,
            status: DoseRules.status(history: doses.map(\.given), catalogue: catalogue)
        )
    }

    /// The time of a record: the client's (offline), which may not be in the future, or now.
    func eventTime(_ time: Date?) throws -> Date {
        let now = clock.now()
        guard let time else { return now }
        guard time <= now.addingTimeInterval(300) else {
            throw AppError.invalidField("occurredAt", "The record's time is in the future.")
        }
        return time
    }

    func requirePerson(_ id: Person.ID) async throws -> Person {
        guard let person = try await people.find(id) else { throw RegistryError.personNotFound(id) }
        return person
    }

    /// The one person a code, ID number or name and date of birth names.
    func findPerson(_ method: CheckInMethod) async throws -> Person {
        switch method {
        case .scanned(let text):
            switch ScannedCode.parse(text) {
            case .failure(let error):
                throw error
            case .success(.vaxtrace(let token)):
                return try await requirePerson(try verifyPersonalCode(token))
            case .success(.unified(let qr)):
                let number = qr.documentNumber
                if [9, 12].contains(number.count), number.allSatisfy({ $0.isASCII && $0.isNumber }) {
                    return try await one(.nationalID(number), what: "the ID number in the QR")
                }
                return try await one(
                    .namePrefix(TextFolding.fold(qr.name), dateOfBirth: qr.dateOfBirth),
                    what: "the name and date of birth in the QR",
                    exactName: TextFolding.fold(qr.name)
                )
            case .success(.chipCard(let card)):
                if let cmnd = card.cmnd, !cmnd.isEmpty,
                    try await people.search(.nationalID(card.cccd), within: nil, limit: 1, offset: 0).isEmpty
                {
                    return try await one(.nationalID(cmnd), what: "the CMND number")
                }
                return try await one(.nationalID(card.cccd), what: "the CCCD number")
            }
        case .nationalID(let number):
            let digits = number.trimmingCharacters(in: .whitespaces).uppercased()
            guard (6...20).contains(digits.count), digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) })
            else {
                throw AppError.invalidField("nationalId", "An ID number is 6 to 20 letters or digits.")
            }
            return try await one(.nationalID(digits), what: "this ID number")
        case .nameAndBirth(let name, let date):
            let folded = TextFolding.fold(name)
            guard (2...100).contains(folded.count), !name.hasControlCharacters else {
                throw AppError.invalidField("fullName", "Give the full name, 2 to 100 characters.")
            }
            return try await one(
                .namePrefix(folded, dateOfBirth: date),
                what: "this name and date of birth",
                exactName: folded
            )
        case .checkInCode, .walkIn:
            throw AppError.invalidField("method", "Not a way to find a person.")
        }
    }

    private func one(_ query: PersonQuery, what: String, exactName: String? = nil) async throws -> Person {
        var found = try await people.search(query, within: nil, limit: 5, offset: 0).filter { $0.mergedInto == nil }
        if let exactName { found = found.filter { $0.foldedName == exactName } }
        guard let first = found.first else {
            throw AppError(
                .notFound,
                code: "person_not_found",
                message: "No registered person matches \(what); register them as a walk-in."
            )
        }
        guard found.count == 1 else {
            throw AppError(
                .conflict,
                code: "ambiguous",
                message: "\(found.count) people match \(what); scan their QR or type their ID number."
            )
        }
        return first
    }

    // MARK: Screening

    /// Screens a checked-in person with a versioned checklist; the computed outcome moves the
    /// appointment (eligible or caution: screened; defer or contraindicated: deferred; hospital:
    /// referred, except at a hospital able to treat anaphylaxis).
    public func screen(
        appointment appointmentID: UUID,
        _ input: ScreeningInput,
        id: UUID? = nil,
        at time: Date? = nil,
        by actor: Actor
    ) async throws -> (screening: Screening, appointment: Appointment, replayed: Bool) {
        var appointment = try await requireAppointment(appointmentID)
        let (session, facility) = try await siteAccess(appointment, by: actor)
        if let id, let existing = try await store.screening(id: id) {
            guard existing.appointmentID == appointmentID else { throw Self.map(.idTaken(id.lower)) }
            return (existing, appointment, true)
        }
        let now = try eventTime(time)
        let today = LocalDate(at: now)
        let checklist: ScreeningChecklist
        if let version = input.checklistVersion {
            guard let found = checklists.checklist(version) else {
                throw AppError.invalidField(
                    "checklistVersion",
                    "Unknown checklist \(version); known: \(checklists.checklists.map(\.version).joined(separator: ", "))."
                )
            }
            checklist = found
        } else {
            guard let current = checklists.current(on: today) else {
                throw AppError.invalidField("checklistVersion", "No checklist is in force on \(today).")
            }
            checklist = current
        }
        let evaluation = try checklist.evaluate(
            answers: input.answers,
            vitals: input.vitals,
            productCode: session.productCode,
            on: today
        ).get()
        var outcome = evaluation.outcome
        var deferUntil = evaluation.deferUntil
        var overrideReason: String?
        if let override = input.override, override.outcome != evaluation.outcome {
            let reason = override.reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (5...500).contains(reason.count), !reason.hasControlCharacters else {
                throw AppError.invalidField(
                    "override.reason",
                    "Overriding the computed outcome (\(evaluation.outcome.rawValue)) needs a reason of 5 to 500 characters.",
                    code: "reason_required"
                )
            }
            outcome = override.outcome
            overrideReason = reason
            deferUntil = outcome == .deferred ? (override.deferUntil ?? evaluation.deferUntil) : nil
        }
        if outcome == .deferred, let date = deferUntil, date <= today {
            throw AppError.invalidField("override.deferUntil", "A deferral date must be after today (\(today)).")
        }
        var action = AppointmentState.outcomeAction(outcome)
        if outcome == .referToHospital, facility.kind == "hospital" { action = .screen }
        let next = try transition(appointment, action)
        let screening = Screening(
            id: id ?? ids.next(at: now),
            appointmentID: appointment.id,
            personID: appointment.personID,
            checklistVersion: checklist.version,
            answers: input.answers,
            vitals: input.vitals,
            computedOutcome: evaluation.outcome,
            outcome: outcome,
            reasons: evaluation.reasons,
            deferUntil: deferUntil,
            overrideReason: overrideReason,
            consent: input.consent,
            screenedBy: actor.principal.subject,
            screenedAt: now
        )
        do {
            try await store.insert(
                screening,
                transition: AppointmentTransition(
                    id: ids.next(at: now),
                    action: action,
                    from: appointment.state,
                    to: next,
                    actor: actor.principal.subject,
                    reason: overrideReason,
                    at: now
                ),
                audit: [registry.entry("screening.record", about: appointment.personID, by: actor, at: now)]
            )
        } catch let error as CampaignStoreError {
            throw Self.map(error)
        }
        appointment.state = next
        appointment.updatedAt = now
        return (screening, appointment, false)
    }

    // MARK: Dose

    /// Records the dose of a screened, consenting person: the product is the session's, the lot must
    /// not be expired, and the dose number, kind and interval must fit the person's history. Starts the
    /// observation, tells the person by SMS when the next dose is due, and emits `dose.recorded`.
    public func recordDose(
        appointment appointmentID: UUID,
        _ input: DoseInput,
        id: UUID? = nil,
        by actor: Actor
    ) async throws -> (dose: DoseRecord, appointment: Appointment, replayed: Bool) {
        // The appointment, its screening and the person's birth date, phone and doses in one read: this
        // is the busiest write of a campaign, and each database round trip counts.
        guard let context = try await store.doseContext(appointment: appointmentID, doseID: id) else {
            throw AppError(.notFound, code: "not_found", message: "No appointment has this id.")
        }
        var appointment = context.appointment
        let (session, facility) = try await siteAccess(appointment, by: actor)
        if let id, let existing = context.existingDose {
            guard existing.appointmentID == appointmentID else { throw Self.map(.idTaken(id.lower)) }
            return (existing, appointment, true)
        }
        let now = clock.now()
        let given = input.administeredAt ?? now
        let next = try transition(appointment, .vaccinate)
        guard let screening = context.screening else {
            throw AppError(.conflict, code: "not_screened", message: "Screen the person before recording a dose.")
        }
        guard screening.consent else {
            throw AppError(.conflict, code: "no_consent", message: "The person did not consent at screening.")
        }
        var errors: [FieldError] = []
        if let code = input.productCode, code != session.productCode {
            errors.append(
                FieldError(
                    field: "productCode",
                    code: "not_session_product",
                    message: "This session gives \(session.productCode), not \(code)."
                )
            )
        }
        if !session.doseKinds.contains(input.kind) {
            errors.append(
                FieldError(
                    field: "kind",
                    code: "not_session_kind",
                    message: "This session gives \(session.doseKinds.map(\.rawValue).joined(separator: ", ")) doses."
                )
            )
        }
        if given > now.addingTimeInterval(300) {
            errors.append(FieldError(field: "administeredAt", code: "in_future", message: "The time is in the future."))
        }
        let day = LocalDate(at: given)
        if day != session.date {
            errors.append(
                FieldError(
                    field: "administeredAt",
                    code: "not_session_day",
                    message: "The session is on \(session.date)."
                )
            )
        }
        let lot = input.lotNumber.trimmingCharacters(in: .whitespaces)
        if lot.isEmpty || lot.count > 40 || lot.hasControlCharacters {
            errors.append(
                FieldError(field: "lotNumber", code: "invalid_format", message: "A lot number is 1 to 40 characters.")
            )
        }
        if input.lotExpiry < day {
            errors.append(
                FieldError(
                    field: "lotExpiry",
                    code: "lot_expired",
                    message: "Lot \(lot) expired on \(input.lotExpiry); it must not be used."
                )
            )
        }
        if let site = input.injectionSite, site.count > 40 || site.hasControlCharacters {
            errors.append(FieldError(field: "injectionSite", code: "invalid_format", message: "At most 40 characters."))
        }
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        guard let person = context.person else { throw RegistryError.personNotFound(appointment.personID) }
        let check = try DoseRules.check(
            DosePlan(productCode: session.productCode, doseNumber: input.doseNumber, kind: input.kind, date: day),
            history: person.doses.map(\.given),
            dateOfBirth: person.dateOfBirth,
            catalogue: catalogue
        ).get()
        let dose = DoseRecord(
            id: id ?? ids.next(at: now),
            personID: appointment.personID,
            appointmentID: appointment.id,
            productCode: session.productCode,
            lotNumber: lot,
            lotExpiry: input.lotExpiry,
            doseNumber: input.doseNumber,
            kind: input.kind,
            administeredAt: given,
            administeredOn: day,
            facilityID: facility.id,
            injectionSite: input.injectionSite,
            vaccinator: input.vaccinator ?? actor.principal.subject,
            retrospective: false,
            nextDueOn: check.nextDueDate,
            observationEndsAt: given.addingTimeInterval(Double(settings.observationMinutes * 60)),
            observedAt: nil,
            immediateReactions: nil,
            recordedBy: actor.principal.subject,
            recordedAt: now
        )
        var messages: [OutboxMessage] = []
        if let phone = person.phone {
            let product = catalogue.product(session.productCode)?.shortName ?? session.productCode
            var body = "Vaxtrace: da ghi nhan mui \(dose.doseNumber) \(product) ngay \(day.vietnamese)."
            if let due = check.nextDueDate { body += " Mui tiep theo tu ngay \(due.vietnamese)." }
            messages.append(
                OutboxMessage(
                    id: ids.next(at: now),
                    channel: "sms",
                    recipient: phone,
                    purpose: "dose",
                    body: body,
                    createdAt: now
                )
            )
        }
        do {
            try await store.insert(
                [dose],
                transition: AppointmentTransition(
                    id: ids.next(at: now),
                    action: .vaccinate,
                    from: appointment.state,
                    to: next,
                    actor: actor.principal.subject,
                    reason: nil,
                    at: now
                ),
                messages: messages,
                events: [doseEvent("dose.recorded", dose)],
                audit: [registry.entry("dose.record", about: appointment.personID, by: actor, at: now)]
            )
        } catch let error as CampaignStoreError {
            throw Self.map(error)
        } catch {
            // The unique index stopped a second dose with this number (two tablets at once).
            if try await store.doses(of: appointment.personID).contains(where: { $0.doseNumber == input.doseNumber }) {
                throw Self.map(.doseExists(number: input.doseNumber))
            }
            throw error
        }
        appointment.state = next
        appointment.updatedAt = now
        return (dose, appointment, false)
    }

    func doseEvent(_ kind: String, _ dose: DoseRecord) -> OutboxEvent {
        event(
            kind,
            subject: dose.id.lower,
            [
                "personId": dose.personID.description, "productCode": dose.productCode,
                "doseNumber": "\(dose.doseNumber)", "kind": dose.kind.rawValue,
                "administeredOn": dose.administeredOn.description, "facilityId": dose.facilityID ?? "",
                "retrospective": dose.retrospective ? "true" : "false",
            ]
        )
    }

    // MARK: Observation

    /// Ends the 30-minute observation with the immediate reactions seen (none is an empty list). Ending
    /// it before the 30 minutes needs a reason.
    public func observe(
        appointment appointmentID: UUID,
        reactions: [String],
        endEarlyReason: String?,
        id: UUID? = nil,
        at time: Date? = nil,
        by actor: Actor
    ) async throws -> (dose: DoseRecord, appointment: Appointment, replayed: Bool) {
        var appointment = try await requireAppointment(appointmentID)
        _ = try await siteAccess(appointment, by: actor)
        guard let dose = try await store.dose(appointment: appointment.id) else {
            throw AppError(.conflict, code: "no_dose", message: "No dose is recorded for this appointment.")
        }
        if let id, try await store.transitionExists(id) { return (dose, appointment, true) }
        let now = try eventTime(time)
        guard now.addingTimeInterval(1) >= dose.administeredAt else {
            throw AppError.invalidField("occurredAt", "The observation cannot end before the dose was given.")
        }
        let next = try transition(appointment, .observe)
        if let ends = dose.observationEndsAt, now < ends {
            let reason = endEarlyReason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard reason.count >= 5 else {
                let minutes = Int((ends.timeIntervalSince(now) / 60).rounded(.up))
                throw AppError(
                    .conflict,
                    code: "observation_running",
                    message:
                        "Observation runs \(minutes) more minute(s); ending it early needs a reason (endEarlyReason)."
                )
            }
        }
        guard reactions.count <= 20 else { throw AppError.invalidField("reactions", "At most 20 reactions.") }
        var cleaned: [String] = []
        for (index, reaction) in reactions.enumerated() {
            let text = reaction.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...200).contains(text.count), !text.hasControlCharacters else {
                throw AppError.invalidField("reactions[\(index)]", "A reaction is 1 to 200 characters.")
            }
            cleaned.append(text)
        }
        do {
            try await store.observe(
                dose: dose.id,
                reactions: cleaned,
                at: now,
                transition: AppointmentTransition(
                    id: id ?? ids.next(at: now),
                    action: .observe,
                    from: appointment.state,
                    to: next,
                    actor: actor.principal.subject,
                    reason: endEarlyReason,
                    at: now
                ),
                appointment: appointment.id,
                audit: [registry.entry("dose.observe", about: appointment.personID, by: actor, at: now)]
            )
        } catch let error as CampaignStoreError {
            throw Self.map(error)
        }
        appointment.state = next
        var observed = dose
        observed.observedAt = now
        observed.immediateReactions = cleaned
        return (observed, appointment, false)
    }

    // MARK: Status and personal code

    /// A person's doses, status and corrections, as the health book and the site show them.
    public func vaccinationRecord(
        of id: Person.ID,
        by actor: Actor
    ) async throws
        -> (person: Person, doses: [DoseRecord], status: VaccinationStatus)
    {
        let person = try await registry.read(id, by: actor)
        let doses = try await store.doses(of: person.id)
        return (person, doses, DoseRules.status(history: doses.map(\.given), catalogue: catalogue))
    }

    /// A signed, expiring personal QR token (no national ID in it): `VXP1.<person>.<expiry>.<mac>`.
    public func personalCode(of id: Person.ID, by actor: Actor) async throws -> (token: String, expiresAt: Date) {
        let person = try await registry.read(id, by: actor)
        let expires = clock.now().addingTimeInterval(Double(settings.personalCodeHours * 3600))
        let body =
            "VXP1.\(person.id.uuid.uuidString.replacingOccurrences(of: "-", with: "").lowercased()).\(Int(expires.timeIntervalSince1970))"
        return (body + "." + vault.lookupHash(of: "personal-qr|" + body), expires)
    }

    /// The person a personal QR token names, when its signature holds and it has not expired.
    func verifyPersonalCode(_ token: String) throws -> Person.ID {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let invalid = AppError.invalidField(
            "code",
            "This personal QR is not genuine; ask for the ID card.",
            code: "bad_signature"
        )
        guard parts.count == 4, parts[0] == "VXP1", parts[1].count == 32, let expiry = Int(parts[2]) else {
            throw invalid
        }
        let body = parts[0...2].joined(separator: ".")
        guard Secrets.constantTimeEquals(vault.lookupHash(of: "personal-qr|" + body), parts[3]) else { throw invalid }
        guard Double(expiry) >= clock.now().timeIntervalSince1970 else {
            throw AppError.invalidField(
                "code",
                "This personal QR has expired; open the health book to refresh it.",
                code: "expired"
            )
        }
        let hex = Array(parts[1])
        let dashed = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
        guard let id = Person.ID(dashed) else { throw invalid }
        return id
    }
}
