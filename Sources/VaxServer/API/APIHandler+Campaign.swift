import Foundation
import OpenAPIRuntime
import VaxAPI
import VaxDomain
import VaxStorage

extension APIHandler {
    // MARK: Reference data

    func listVaccines(_ input: Operations.ListVaccines.Input) async throws -> Operations.ListVaccines.Output {
        let catalogue = campaign.catalogue
        return .ok(
            .init(
                body: .json(
                    .init(
                        products: catalogue.products.map { product in
                            .init(
                                code: product.code,
                                name: product.name,
                                medicinalProduct: product.medicinalProduct,
                                manufacturer: product.manufacturer,
                                prophylaxis: product.prophylaxis,
                                primaryDoses: product.primaryDoses,
                                intervals: product.intervals.map {
                                    .init(
                                        minimumDays: $0.minimumDays,
                                        recommendedDays: $0.recommendedDays,
                                        maximumDays: $0.maximumDays
                                    )
                                }
                            )
                        },
                        mixing: catalogue.mixing.map { .init(after: $0.after, allowed: $0.allowed) },
                        boosterMinimumDays: catalogue.boosterMinimumDays,
                        additionalMinimumDays: catalogue.additionalMinimumDays
                    )
                )
            )
        )
    }

    func listScreeningChecklists(
        _ input: Operations.ListScreeningChecklists.Input
    ) async throws
        -> Operations.ListScreeningChecklists.Output
    {
        .ok(
            .init(
                body: .json(
                    .init(
                        items: campaign.checklists.checklists.map { list in
                            .init(
                                version: list.version,
                                title: list.title,
                                effectiveFrom: list.effectiveFrom.description,
                                items: list.items.map {
                                    .init(
                                        code: $0.code,
                                        text: $0.text,
                                        textEnglish: $0.textEnglish,
                                        outcome: .init(rawValue: $0.outcome.rawValue) ?? .eligible,
                                        deferDays: $0.deferDays
                                    )
                                }
                            )
                        }
                    )
                )
            )
        )
    }

    // MARK: Registration

    func registerForVaccination(
        _ input: Operations.RegisterForVaccination.Input
    ) async throws
        -> Operations.RegisterForVaccination.Output
    {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "vaccination registration")
        let registrant: CampaignService.Registrant
        switch (body.personId, body.person) {
        case (let id?, nil): registrant = .existing(try personID(id))
        case (nil, let person?): registrant = .new(PersonDraft(api: person))
        default: throw AppError.invalidField("personId", "Give either personId or person, not both or neither.")
        }
        let preferred = try body.preferredDate.map { try date($0, field: "preferredDate") }
        let result: (registration: Registration, created: Bool)
        do {
            result = try await campaign.register(
                registrant,
                priorityGroup: body.priorityGroup,
                preferredDate: preferred,
                by: actor
            )
        } catch let failure as ValidationFailure {
            throw ValidationFailure(
                failure.errors.map { FieldError(field: "person." + $0.field, code: $0.code, message: $0.message) }
            )
        }
        let payload = Components.Schemas.Registration(result.registration)
        return result.created ? .created(.init(body: .json(payload))) : .ok(.init(body: .json(payload)))
    }

    func importRegistrations(
        _ input: Operations.ImportRegistrations.Input
    ) async throws
        -> Operations.ImportRegistrations.Output
    {
        let actor = try actor(reason: "list upload")
        let body: HTTPBody
        switch input.body {
        case .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet(let data): body = data
        case .csv(let data): body = data
        }
        // BodyLimitMiddleware has already refused a body over HTTP_UPLOAD_LIMIT.
        let data = try await Data(collecting: body, upTo: .max)
        let summary = try await campaign.importList(data, organisation: input.query.organisation, by: actor)
        return .ok(
            .init(
                body: .json(
                    .init(
                        id: summary.upload.id.lower,
                        organisation: summary.upload.organisation,
                        format: .init(rawValue: summary.upload.format) ?? .csv,
                        total: summary.upload.total,
                        created: summary.upload.created,
                        matched: summary.upload.matched,
                        rejected: summary.upload.rejected,
                        replayed: summary.replayed,
                        rows: summary.rows.map { row in
                            .init(
                                row: row.row,
                                status: .init(rawValue: row.status) ?? .rejected,
                                personId: row.personId,
                                doses: row.doses,
                                errors: row.errors.map { .init(field: $0.field, code: $0.code, message: $0.message) }
                            )
                        }
                    )
                )
            )
        )
    }

    // MARK: Facilities and sessions

    func saveFacility(_ input: Operations.SaveFacility.Input) async throws -> Operations.SaveFacility.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "facility administration")
        let saved = try await campaign.saveFacility(
            CampaignFacility(
                id: body.id,
                name: body.name,
                unitCode: body.unitCode,
                kind: body.kind.rawValue,
                catchment: (body.catchment ?? []).map {
                    CatchmentUnit(scheme: UnitScheme(api: $0.scheme).rawValue, code: $0.code)
                }
            ),
            by: actor
        )
        return .ok(.init(body: .json(.init(saved))))
    }

    func planSession(_ input: Operations.PlanSession.Input) async throws -> Operations.PlanSession.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "session planning")
        let session = try await campaign.planSession(
            facilityID: body.facilityId,
            date: try date(body.date, field: "date"),
            productCode: body.productCode,
            doseKinds: body.doseKinds.compactMap { DoseKind(rawValue: $0.rawValue) },
            slots: body.slots.map { ($0.start, $0.end, $0.capacity) },
            by: actor
        )
        return .created(.init(body: .json(.init(session))))
    }

    func getVaccinationSession(
        _ input: Operations.GetVaccinationSession.Input
    ) async throws
        -> Operations.GetVaccinationSession.Output
    {
        let actor = try actor(reason: "session view")
        let (session, _) = try await campaign.session(try uuid(input.path.sessionId, field: "sessionId"), by: actor)
        return .ok(.init(body: .json(.init(session))))
    }

    func listSessions(_ input: Operations.ListSessions.Input) async throws -> Operations.ListSessions.Output {
        let actor = try actor(reason: "sessions of the day")
        let day = try input.query.date.map { try date($0, field: "date") } ?? LocalDate(at: campaign.clock.now())
        let found = try await campaign.sessions(on: day, by: actor)
        return .ok(
            .init(body: .json(.init(items: found.map { .init(session: .init($0.0), facilityName: $0.1.name) })))
        )
    }

    func inviteToSession(_ input: Operations.InviteToSession.Input) async throws -> Operations.InviteToSession.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "invitations")
        let limit = body.limit ?? 500
        guard (1...5000).contains(limit) else {
            throw AppError.invalidField("limit", "Invite 1 to 5000 people at a time.")
        }
        let made = try await campaign.invite(
            session: try uuid(input.path.sessionId, field: "sessionId"),
            limit: limit,
            by: actor
        )
        return .ok(.init(body: .json(.init(items: made.map { .init($0, showCode: false) }))))
    }

    func listSessionAppointments(
        _ input: Operations.ListSessionAppointments.Input
    ) async throws
        -> Operations.ListSessionAppointments.Output
    {
        let actor = try actor(reason: "session list", accessReason: input.headers.xAccessReason)
        let limit = input.query.limit ?? 500
        guard (1...2000).contains(limit) else { throw AppError.invalidField("limit", "The limit is 1 to 2000.") }
        let found = try await campaign.appointments(
            session: try uuid(input.path.sessionId, field: "sessionId"),
            limit: limit,
            by: actor
        )
        var names: [Person.ID: Person] = [:]
        for id in Set(found.map(\.personID)) { names[id] = try await campaign.people.find(id) }
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: found.map { appointment in
                            var item = Components.Schemas.Appointment(appointment, showCode: true)
                            if let person = names[appointment.personID] {
                                item.person = .init(
                                    fullName: person.fullName,
                                    dateOfBirth: person.dateOfBirth.description
                                )
                            }
                            return item
                        }
                    )
                )
            )
        )
    }

    func listMyAppointments(
        _ input: Operations.ListMyAppointments.Input
    ) async throws -> Operations.ListMyAppointments.Output {
        let actor = try actor(reason: "own appointments")
        let found = try await campaign.myAppointments(by: actor)
        var sessions: [UUID: (VaccinationSession, CampaignFacility?)] = [:]
        for id in Set(found.map(\.sessionID)) {
            guard let session = try await campaign.store.session(id: id) else { continue }
            sessions[id] = (session, try await campaign.store.facility(id: session.facilityID))
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: found.map { appointment in
                            var item = Components.Schemas.Appointment(appointment, showCode: true)
                            if let (session, facility) = sessions[appointment.sessionID],
                                let slot = session.slots.first(where: { $0.index == appointment.slotIndex })
                            {
                                item.session = .init(
                                    date: session.date.description,
                                    start: slot.startsAt,
                                    end: slot.endsAt,
                                    facilityId: session.facilityID,
                                    facilityName: facility?.name ?? session.facilityID,
                                    productCode: session.productCode
                                )
                            }
                            return item
                        }
                    )
                )
            )
        )
    }

    func listMyPeople(_ input: Operations.ListMyPeople.Input) async throws -> Operations.ListMyPeople.Output {
        let actor = try actor(reason: "own records")
        let found = try await campaign.myPeople(by: actor)
        return .ok(.init(body: .json(.init(items: found.map { Components.Schemas.Person($0) }))))
    }

    func actOnAppointment(_ input: Operations.ActOnAppointment.Input) async throws -> Operations.ActOnAppointment.Output
    {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "appointment change")
        guard let action = AppointmentAction(rawValue: body.action.rawValue) else {
            throw AppError.invalidField("action", "Unknown action.")
        }
        if let reason = body.reason, reason.count > 500 || reason.hasControlCharacters {
            throw AppError.invalidField("reason", "At most 500 characters, no control characters.")
        }
        let appointment = try await campaign.act(
            on: try uuid(input.path.appointmentId, field: "appointmentId"),
            action: action,
            reason: body.reason,
            by: actor
        )
        return .ok(.init(body: .json(.init(appointment, showCode: true))))
    }

    // MARK: The site

    func checkIn(_ input: Operations.CheckIn.Input) async throws -> Operations.CheckIn.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "check-in")
        let result = try await checkIn(
            session: try uuid(input.path.sessionId, field: "sessionId"),
            body,
            at: nil,
            actor: actor
        )
        return .ok(.init(body: .json(.init(result.result))))
    }

    func checkIn(
        session: UUID,
        _ body: Components.Schemas.CheckInInput,
        at: Date?,
        actor: Actor
    ) async throws
        -> (result: CheckInResult, replayed: Bool)
    {
        let given = [
            body.code != nil, body.checkInCode != nil, body.nationalId != nil, body.fullName != nil, body.walkIn != nil,
        ]
        .filter { $0 }.count
        guard given == 1 else {
            throw AppError.invalidField(
                "code",
                "Give exactly one of code, checkInCode, nationalId, fullName (with dateOfBirth) or walkIn."
            )
        }
        let method: CheckInMethod
        if let code = body.code {
            method = .scanned(code)
        } else if let code = body.checkInCode {
            method = .checkInCode(code)
        } else if let number = body.nationalId {
            method = .nationalID(number)
        } else if let name = body.fullName {
            guard let text = body.dateOfBirth else {
                throw AppError.invalidField("dateOfBirth", "A name search needs the date of birth.")
            }
            method = .nameAndBirth(name, try date(text, field: "dateOfBirth"))
        } else if let walkIn = body.walkIn {
            method = .walkIn(PersonDraft(api: walkIn.person), priorityGroup: walkIn.priorityGroup)
        } else {
            throw AppError.invalidField("code", "Give one way to find the person.")
        }
        let id = try body.id.map { try uuid($0, field: "id") }
        do {
            return try await campaign.checkIn(session: session, by: method, id: id, at: at, actor: actor)
        } catch let failure as ValidationFailure where body.walkIn != nil {
            throw ValidationFailure(
                failure.errors.map {
                    FieldError(field: "walkIn.person." + $0.field, code: $0.code, message: $0.message)
                }
            )
        }
    }

    func screenAppointment(
        _ input: Operations.ScreenAppointment.Input
    ) async throws -> Operations.ScreenAppointment.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "screening")
        let result = try await screen(
            appointment: try uuid(input.path.appointmentId, field: "appointmentId"),
            body,
            at: nil,
            actor: actor
        )
        return .created(.init(body: .json(.init(result.screening, state: result.appointment.state))))
    }

    func screen(
        appointment: UUID,
        _ body: Components.Schemas.ScreeningInput,
        at: Date?,
        actor: Actor
    ) async throws
        -> (screening: Screening, appointment: Appointment, replayed: Bool)
    {
        let override = try body.override.map { value in
            (
                outcome: ScreeningOutcome(rawValue: value.outcome.rawValue) ?? .eligible,
                reason: value.reason,
                deferUntil: try value.deferUntil.map { try date($0, field: "override.deferUntil") }
            )
        }
        let input = ScreeningInput(
            checklistVersion: body.checklistVersion,
            answers: body.answers.additionalProperties,
            vitals: body.vitals.map {
                VitalSigns(
                    temperatureCelsius: $0.temperatureCelsius,
                    pulsePerMinute: $0.pulsePerMinute,
                    systolic: $0.systolic,
                    diastolic: $0.diastolic,
                    respiratoryRatePerMinute: $0.respiratoryRatePerMinute
                )
            },
            consent: body.consent,
            override: override
        )
        return try await campaign.screen(
            appointment: appointment,
            input,
            id: try body.id.map { try uuid($0, field: "id") },
            at: at,
            by: actor
        )
    }

    func recordDose(_ input: Operations.RecordDose.Input) async throws -> Operations.RecordDose.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "vaccination")
        let result = try await dose(
            appointment: try uuid(input.path.appointmentId, field: "appointmentId"),
            body,
            actor: actor
        )
        return .created(.init(body: .json(.init(result.dose))))
    }

    func dose(
        appointment: UUID,
        _ body: Components.Schemas.DoseInput,
        actor: Actor
    ) async throws
        -> (dose: DoseRecord, appointment: Appointment, replayed: Bool)
    {
        guard let kind = DoseKind(rawValue: body.kind.rawValue) else {
            throw AppError.invalidField("kind", "Unknown kind.")
        }
        if let vaccinator = body.vaccinator, vaccinator.count > 100 || vaccinator.hasControlCharacters {
            throw AppError.invalidField("vaccinator", "At most 100 characters.")
        }
        return try await campaign.recordDose(
            appointment: appointment,
            DoseInput(
                productCode: body.productCode,
                lotNumber: body.lotNumber,
                lotExpiry: try date(body.lotExpiry, field: "lotExpiry"),
                doseNumber: body.doseNumber,
                kind: kind,
                administeredAt: body.administeredAt,
                injectionSite: body.injectionSite,
                vaccinator: body.vaccinator
            ),
            id: try body.id.map { try uuid($0, field: "id") },
            by: actor
        )
    }

    func recordObservation(
        _ input: Operations.RecordObservation.Input
    ) async throws -> Operations.RecordObservation.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "observation")
        let result = try await observe(
            appointment: try uuid(input.path.appointmentId, field: "appointmentId"),
            body,
            at: nil,
            actor: actor
        )
        return .ok(.init(body: .json(.init(result.dose))))
    }

    func observe(
        appointment: UUID,
        _ body: Components.Schemas.ObservationInput,
        at: Date?,
        actor: Actor
    ) async throws
        -> (dose: DoseRecord, appointment: Appointment, replayed: Bool)
    {
        if let reason = body.endEarlyReason, reason.count > 500 || reason.hasControlCharacters {
            throw AppError.invalidField("endEarlyReason", "At most 500 characters.")
        }
        return try await campaign.observe(
            appointment: appointment,
            reactions: body.reactions,
            endEarlyReason: body.endEarlyReason,
            id: try body.id.map { try uuid($0, field: "id") },
            at: at,
            by: actor
        )
    }

    func syncSiteBatch(_ input: Operations.SyncSiteBatch.Input) async throws -> Operations.SyncSiteBatch.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "offline sync")
        guard (1...500).contains(body.records.count) else {
            throw AppError.invalidField("records", "Send 1 to 500 records at a time.")
        }
        var results: [Components.Schemas.BatchResult.ResultsPayloadPayload] = []
        for (index, record) in body.records.enumerated() {
            var result = Components.Schemas.BatchResult.ResultsPayloadPayload(id: record.id, status: .rejected)
            do {
                let id = try uuid(record.id, field: "records[\(index)].id")
                let (appointmentID, replayed) = try await apply(record, id: id, actor: actor)
                result.status = replayed ? .replayed : .applied
                result.appointmentId = appointmentID.lower
            } catch {
                let problem =
                    AppError(mapping: error)
                    ?? AppError(.internalServerError, code: "internal", message: "This record could not be applied.")
                if problem.status == .internalServerError {
                    CallContext.current?.logger.error("batch record failed", metadata: ["error": "\(type(of: error))"])
                }
                result.error = .init(code: problem.code, message: problem.message, field: problem.field)
            }
            results.append(result)
        }
        return .ok(.init(body: .json(.init(results: results))))
    }

    /// Applies one offline record with the record's own id, so that a replay finds it.
    private func apply(_ record: Components.Schemas.BatchRecord, id: UUID, actor: Actor) async throws -> (UUID, Bool) {
        func appointment() throws -> UUID {
            guard let text = record.appointmentId else {
                throw AppError.invalidField(
                    "appointmentId",
                    "A \(record._type.rawValue) record needs the appointmentId."
                )
            }
            return try uuid(text, field: "appointmentId")
        }
        switch record._type {
        case .checkIn:
            guard let text = record.sessionId, var body = record.checkIn else {
                throw AppError.invalidField("checkIn", "A check_in record needs sessionId and checkIn.")
            }
            body.id = id.lower
            let result = try await checkIn(
                session: try uuid(text, field: "sessionId"),
                body,
                at: record.occurredAt,
                actor: actor
            )
            return (result.result.appointment.id, result.replayed)
        case .screening:
            guard var body = record.screening else {
                throw AppError.invalidField("screening", "A screening record needs screening.")
            }
            body.id = id.lower
            let result = try await screen(appointment: try appointment(), body, at: record.occurredAt, actor: actor)
            return (result.appointment.id, result.replayed)
        case .dose:
            guard var body = record.dose else { throw AppError.invalidField("dose", "A dose record needs dose.") }
            body.id = id.lower
            if body.administeredAt == nil { body.administeredAt = record.occurredAt }
            let result = try await dose(appointment: try appointment(), body, actor: actor)
            return (result.appointment.id, result.replayed)
        case .observation:
            guard var body = record.observation else {
                throw AppError.invalidField("observation", "An observation record needs observation.")
            }
            body.id = id.lower
            let result = try await observe(appointment: try appointment(), body, at: record.occurredAt, actor: actor)
            return (result.appointment.id, result.replayed)
        }
    }

    // MARK: Records, codes and corrections

    func getVaccinationRecord(
        _ input: Operations.GetVaccinationRecord.Input
    ) async throws
        -> Operations.GetVaccinationRecord.Output
    {
        let actor = try actor(reason: "vaccination record", accessReason: input.headers.xAccessReason)
        let record = try await campaign.vaccinationRecord(of: try personID(input.path.personId), by: actor)
        return .ok(
            .init(
                body: .json(
                    .init(
                        personId: record.person.id.description,
                        status: .init(record.status),
                        doses: record.doses.map(Components.Schemas.Dose.init)
                    )
                )
            )
        )
    }

    func getPersonalCode(_ input: Operations.GetPersonalCode.Input) async throws -> Operations.GetPersonalCode.Output {
        let actor = try actor(reason: "personal QR")
        let code = try await campaign.personalCode(of: try personID(input.path.personId), by: actor)
        return .ok(.init(body: .json(.init(code: code.token, expiresAt: code.expiresAt))))
    }

    func correctPerson(_ input: Operations.CorrectPerson.Input) async throws -> Operations.CorrectPerson.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "correction")
        let (_, correction) = try await campaign.correctPerson(
            try personID(input.path.personId),
            PersonChanges(
                fullName: body.fullName,
                dateOfBirth: try body.dateOfBirth.map { try date($0, field: "dateOfBirth") },
                sex: body.sex.flatMap { Sex(rawValue: $0.rawValue) },
                phone: body.phone
            ),
            reason: body.reason,
            by: actor
        )
        return .ok(.init(body: .json(try .init(correction))))
    }

    func listDoseCorrections(
        _ input: Operations.ListDoseCorrections.Input
    ) async throws
        -> Operations.ListDoseCorrections.Output
    {
        let actor = try actor(reason: "correction history")
        let found = try await campaign.corrections(ofDose: try uuid(input.path.doseId, field: "doseId"), by: actor)
        return .ok(.init(body: .json(.init(items: try found.map { try .init($0) }))))
    }

    func correctDose(_ input: Operations.CorrectDose.Input) async throws -> Operations.CorrectDose.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "correction")
        let (_, correction) = try await campaign.correctDose(
            try uuid(input.path.doseId, field: "doseId"),
            DoseChanges(
                productCode: body.productCode,
                lotNumber: body.lotNumber,
                lotExpiry: try body.lotExpiry.map { try date($0, field: "lotExpiry") },
                doseNumber: body.doseNumber,
                kind: body.kind.flatMap { DoseKind(rawValue: $0.rawValue) },
                administeredAt: body.administeredAt,
                injectionSite: body.injectionSite
            ),
            reason: body.reason,
            by: actor
        )
        return .ok(.init(body: .json(try .init(correction))))
    }

    // MARK: Adverse events

    func reportAdverseEvent(
        _ input: Operations.ReportAdverseEvent.Input
    ) async throws -> Operations.ReportAdverseEvent.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "adverse event report")
        var details: [String: String] = [:]
        if let d = body.details {
            let pairs: [(String, String?)] = [
                ("medicalHistory", d.medicalHistory), ("otherVaccines", d.otherVaccines), ("diluentLot", d.diluentLot),
                ("reporterName", d.reporterName), ("reporterInstitution", d.reporterInstitution),
                ("reporterPosition", d.reporterPosition), ("reporterEmail", d.reporterEmail),
                ("reporterPhone", d.reporterPhone), ("comments", d.comments),
            ]
            for (key, value) in pairs { if let value { details[key] = value } }
        }
        let (report, _) = try await campaign.reportAEFI(
            AEFIInput(
                personID: try personID(body.personId),
                doseID: try body.doseId.map { try uuid($0, field: "doseId") },
                onsetAt: body.onsetAt,
                events: body.events,
                outcome: body.outcome.rawValue,
                deathOn: try body.deathOn.map { try date($0, field: "deathOn") },
                seriousness: (body.seriousness ?? []).map(\.rawValue),
                details: details
            ),
            id: try body.id.map { try uuid($0, field: "id") },
            by: actor
        )
        return .created(.init(body: .json(.init(report))))
    }

    func getAdverseEvent(_ input: Operations.GetAdverseEvent.Input) async throws -> Operations.GetAdverseEvent.Output {
        let actor = try actor(reason: "adverse event view")
        let report = try await campaign.aefiReport(try uuid(input.path.reportId, field: "reportId"), by: actor)
        return .ok(.init(body: .json(.init(report))))
    }

    func decideAdverseEventInvestigation(
        _ input: Operations.DecideAdverseEventInvestigation.Input
    ) async throws
        -> Operations.DecideAdverseEventInvestigation.Output
    {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "adverse event decision")
        let report = try await campaign.decideInvestigation(
            try uuid(input.path.reportId, field: "reportId"),
            investigate: body.investigate,
            note: body.note,
            by: actor
        )
        return .ok(.init(body: .json(.init(report))))
    }

    func reviewAdverseEventCausality(
        _ input: Operations.ReviewAdverseEventCausality.Input
    ) async throws
        -> Operations.ReviewAdverseEventCausality.Output
    {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "causality review")
        let report = try await campaign.reviewCausality(
            try uuid(input.path.reportId, field: "reportId"),
            classification: body.classification.rawValue,
            note: body.note,
            by: actor
        )
        return .ok(.init(body: .json(.init(report))))
    }

    func listNotifications(
        _ input: Operations.ListNotifications.Input
    ) async throws -> Operations.ListNotifications.Output {
        let actor = try actor(reason: "notifications")
        let found = try await campaign.notifications(by: actor, limit: try limit(input.query.limit))
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: found.map {
                            .init(
                                id: $0.id.lower,
                                kind: $0.kind,
                                subjectId: $0.subjectID,
                                message: $0.message,
                                createdAt: $0.createdAt
                            )
                        }
                    )
                )
            )
        )
    }

    // MARK: Parsing

    func uuid(_ text: String, field: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw AppError.invalidField(field, "\(field) is not a UUID.") }
        return id
    }

    func date(_ text: String, field: String) throws -> LocalDate {
        guard let date = LocalDate(iso: text) else {
            throw AppError.invalidField(field, "\(field) is not a real date in the form yyyy-mm-dd.")
        }
        return date
    }
}

extension Components.Schemas.Registration {
    init(_ r: Registration) {
        self.init(
            id: r.id.lower,
            personId: r.personID.description,
            priorityGroup: r.priorityGroup,
            source: .init(rawValue: r.source) ?? .staff,
            organisation: r.organisation,
            preferredDate: r.preferredDate?.description,
            status: .init(rawValue: r.status) ?? .waiting,
            registeredAt: r.registeredAt
        )
    }
}

extension Components.Schemas.Facility {
    init(_ f: CampaignFacility) {
        self.init(
            id: f.id,
            name: f.name,
            unitCode: f.unitCode,
            kind: .init(rawValue: f.kind) ?? .fixed,
            catchment: f.catchment.map { .init(scheme: .init(rawValue: $0.scheme) ?? ._2025, code: $0.code) }
        )
    }
}

extension Components.Schemas.VaccinationSession {
    init(_ s: VaccinationSession) {
        self.init(
            id: s.id.lower,
            facilityId: s.facilityID,
            date: s.date.description,
            productCode: s.productCode,
            doseKinds: s.doseKinds.compactMap { .init(rawValue: $0.rawValue) },
            slots: s.slots.map {
                .init(index: $0.index, start: $0.startsAt, end: $0.endsAt, capacity: $0.capacity, booked: $0.booked)
            }
        )
    }
}

extension Components.Schemas.Appointment {
    init(_ a: Appointment, showCode: Bool) {
        self.init(
            id: a.id.lower,
            sessionId: a.sessionID.lower,
            slot: a.slotIndex,
            personId: a.personID.description,
            doseKind: .init(rawValue: a.doseKind.rawValue) ?? .primary,
            state: .init(rawValue: a.state.rawValue) ?? .invited,
            checkInCode: showCode ? a.checkInCode : nil,
            walkIn: a.walkIn,
            allowedActions: a.state.allowedActions.map(\.rawValue),
            updatedAt: a.updatedAt
        )
    }
}

extension Components.Schemas.CheckInResult {
    init(_ r: CheckInResult) {
        self.init(
            appointment: .init(r.appointment, showCode: true),
            person: .init(r.person),
            status: .init(r.status),
            doses: r.doses.map(Components.Schemas.Dose.init)
        )
    }
}

extension Components.Schemas.VaccinationStatus {
    init(_ s: VaccinationStatus) {
        self.init(
            level: .init(rawValue: s.level.rawValue) ?? .notVaccinated,
            colour: Components.Schemas.VaccinationStatus.ColourPayload(rawValue: s.colour) ?? .none,
            label: s.label,
            labelEnglish: s.labelEnglish,
            dosesGiven: s.dosesGiven,
            primaryCompletedOn: s.primaryCompletedOn?.description,
            nextDueDate: s.nextDueDate?.description,
            nextKind: s.nextKind.flatMap { .init(rawValue: $0.rawValue) }
        )
    }
}

extension Components.Schemas.Screening {
    init(_ s: Screening, state: AppointmentState) {
        self.init(
            id: s.id.lower,
            appointmentId: s.appointmentID.lower,
            checklistVersion: s.checklistVersion,
            computedOutcome: .init(rawValue: s.computedOutcome.rawValue) ?? .eligible,
            outcome: .init(rawValue: s.outcome.rawValue) ?? .eligible,
            reasons: s.reasons,
            deferUntil: s.deferUntil?.description,
            overrideReason: s.overrideReason,
            consent: s.consent,
            appointmentState: .init(rawValue: state.rawValue) ?? .screened,
            screenedAt: s.screenedAt
        )
    }
}

extension Components.Schemas.Dose {
    init(_ d: DoseRecord) {
        self.init(
            id: d.id.lower,
            personId: d.personID.description,
            appointmentId: d.appointmentID?.lower,
            productCode: d.productCode,
            lotNumber: d.lotNumber,
            lotExpiry: d.lotExpiry?.description,
            doseNumber: d.doseNumber,
            kind: .init(rawValue: d.kind.rawValue) ?? .primary,
            administeredAt: d.administeredAt,
            facilityId: d.facilityID,
            injectionSite: d.injectionSite,
            vaccinator: d.vaccinator,
            retrospective: d.retrospective,
            nextDueOn: d.nextDueOn?.description,
            observationEndsAt: d.observationEndsAt,
            observedAt: d.observedAt,
            immediateReactions: d.immediateReactions
        )
    }
}

extension Components.Schemas.Correction {
    init(_ c: Correction) throws {
        let decoder = JSONDecoder()
        self.init(
            id: c.id.lower,
            recordKind: .init(rawValue: c.recordKind) ?? .dose,
            recordId: c.recordID,
            oldValues: .init(
                additionalProperties: try decoder.decode([String: String].self, from: Data(c.oldValues.utf8))
            ),
            newValues: .init(
                additionalProperties: try decoder.decode([String: String].self, from: Data(c.newValues.utf8))
            ),
            reason: c.reason,
            correctedBy: c.correctedBy,
            correctedAt: c.correctedAt
        )
    }
}

extension Components.Schemas.AEFIReport {
    init(_ r: AEFIReport) {
        self.init(
            id: r.id.lower,
            personId: r.personID.description,
            doseId: r.doseID?.lower,
            source: .init(rawValue: r.source) ?? .staff,
            onsetAt: r.onsetAt,
            events: r.events,
            outcome: r.outcome,
            deathOn: r.deathOn?.description,
            serious: r.serious,
            seriousness: r.seriousness,
            stage: .init(rawValue: r.stage) ?? .reported,
            investigate: r.investigate,
            decisionNote: r.decisionNote,
            causality: r.causality,
            causalityNote: r.causalityNote,
            receivedAt: r.receivedAt
        )
    }
}
