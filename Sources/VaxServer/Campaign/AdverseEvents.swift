import Foundation
import VaxDomain
import VaxStorage

/// An adverse-event report as entered (WHO core variables).
public struct AEFIInput: Sendable {
    /// The person.
    public var personID: Person.ID
    /// The suspect dose; the person's latest dose when `nil`.
    public var doseID: UUID?
    /// When the reaction began.
    public var onsetAt: Date
    /// Diagnoses or signs.
    public var events: [String]
    /// recovered, recovering, not_recovered, sequelae, fatal, unknown.
    public var outcome: String
    /// For a fatal outcome.
    public var deathOn: LocalDate?
    /// Seriousness criteria (empty: not serious).
    public var seriousness: [String]
    /// The other core variables (medical history, reporter, comments…), as key-value text.
    public var details: [String: String]

    /// An input.
    public init(
        personID: Person.ID,
        doseID: UUID?,
        onsetAt: Date,
        events: [String],
        outcome: String,
        deathOn: LocalDate?,
        seriousness: [String],
        details: [String: String]
    ) {
        self.personID = personID
        self.doseID = doseID
        self.onsetAt = onsetAt
        self.events = events
        self.outcome = outcome
        self.deathOn = deathOn
        self.seriousness = seriousness
        self.details = details
    }
}

extension CampaignService {
    static let aefiOutcomes: Set<String> = ["recovered", "recovering", "not_recovered", "sequelae", "fatal", "unknown"]
    static let seriousnessCriteria: Set<String> = [
        "death", "life_threatening", "disability", "hospitalisation", "congenital_anomaly",
    ]
    static let causalityCategories: Set<String> = [
        "consistent", "indeterminate", "inconsistent", "unclassifiable",
    ]
    static let detailKeys: Set<String> = [
        "medicalHistory", "otherVaccines", "diluentLot", "reporterName", "reporterInstitution", "reporterPosition",
        "reporterEmail", "reporterPhone", "comments",
    ]

    /// Files a report by the citizen (their own or a dependant's) or by staff. A serious event opens a
    /// case and notifies the district (or, in the 2025 scheme without districts, the province).
    public func reportAEFI(_ input: AEFIInput, id: UUID? = nil, by actor: Actor) async throws -> (AEFIReport, Bool) {
        let person = try await registry.read(input.personID, by: actor)
        if let id, let existing = try await store.aefiReport(id: id) {
            guard existing.personID == person.id else { throw Self.map(.idTaken(id.lower)) }
            return (existing, true)
        }
        let doses = try await store.doses(of: person.id)
        let now = clock.now()
        var errors: [FieldError] = []
        let dose: DoseRecord?
        if let doseID = input.doseID {
            dose = doses.first { $0.id == doseID }
            if dose == nil {
                errors.append(
                    FieldError(field: "doseId", code: "unknown_dose", message: "This person has no dose with this id.")
                )
            }
        } else {
            dose = doses.last
        }
        if let dose, input.onsetAt < dose.administeredAt {
            errors.append(
                FieldError(
                    field: "onsetAt",
                    code: "before_vaccination",
                    message: "The onset cannot be before the vaccination (\(dose.administeredOn))."
                )
            )
        }
        if LocalDate(at: input.onsetAt) < person.dateOfBirth {
            errors.append(
                FieldError(field: "onsetAt", code: "before_birth", message: "The onset is before the date of birth.")
            )
        }
        if input.onsetAt > now.addingTimeInterval(300) {
            errors.append(FieldError(field: "onsetAt", code: "in_future", message: "The onset is in the future."))
        }
        if input.events.isEmpty || input.events.count > 20
            || input.events.contains(where: {
                $0.trimmingCharacters(in: .whitespaces).isEmpty || $0.count > 200 || $0.hasControlCharacters
            })
        {
            errors.append(
                FieldError(
                    field: "events",
                    code: "invalid",
                    message: "Give 1 to 20 events (diagnoses or signs), each 1 to 200 characters."
                )
            )
        }
        if !Self.aefiOutcomes.contains(input.outcome) {
            errors.append(
                FieldError(
                    field: "outcome",
                    code: "invalid",
                    message: "The outcome is one of \(Self.aefiOutcomes.sorted().joined(separator: ", "))."
                )
            )
        }
        if input.seriousness.count > 5 {
            errors.append(FieldError(field: "seriousness", code: "invalid", message: "At most the 5 criteria."))
        }
        for (index, criterion) in input.seriousness.enumerated() where !Self.seriousnessCriteria.contains(criterion) {
            errors.append(
                FieldError(
                    field: "seriousness[\(index)]",
                    code: "invalid",
                    message: "Not a seriousness criterion: \(criterion)."
                )
            )
        }
        if input.outcome == "fatal" {
            if let death = input.deathOn {
                if death < LocalDate(at: input.onsetAt) {
                    errors.append(
                        FieldError(field: "deathOn", code: "before_onset", message: "Death cannot be before the onset.")
                    )
                }
            } else {
                errors.append(
                    FieldError(field: "deathOn", code: "required", message: "A fatal outcome needs the date of death.")
                )
            }
            if !input.seriousness.contains("death") {
                errors.append(
                    FieldError(
                        field: "seriousness",
                        code: "death_missing",
                        message: "A fatal outcome is serious: include death."
                    )
                )
            }
            if let death = input.deathOn, death > LocalDate(at: now) {
                errors.append(
                    FieldError(field: "deathOn", code: "in_future", message: "The date of death is in the future.")
                )
            }
        } else if input.deathOn != nil {
            errors.append(
                FieldError(field: "deathOn", code: "not_fatal", message: "A date of death needs the outcome fatal.")
            )
        }
        for (key, value) in input.details {
            if !Self.detailKeys.contains(key) {
                errors.append(
                    FieldError(field: "details.\(key)", code: "unknown_field", message: "Unknown detail \(key).")
                )
            } else if value.count > 1000 || value.hasControlCharacters {
                errors.append(FieldError(field: "details.\(key)", code: "invalid", message: "At most 1000 characters."))
            }
        }
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        let serious = !input.seriousness.isEmpty
        let report = AEFIReport(
            id: id ?? ids.next(at: now),
            personID: person.id,
            doseID: dose?.id,
            source: actor.principal.role == .citizen ? "citizen" : "staff",
            address: person.address,
            onsetAt: input.onsetAt,
            events: input.events.map { $0.trimmingCharacters(in: .whitespaces) },
            outcome: input.outcome,
            deathOn: input.deathOn,
            serious: serious,
            seriousness: input.seriousness,
            details: String(decoding: try JSONEncoder.sortedKeys.encode(input.details), as: UTF8.self),
            stage: serious ? "reported" : "closed",
            investigate: nil,
            decisionNote: nil,
            causality: nil,
            causalityNote: nil,
            reportedBy: actor.principal.subject,
            receivedAt: now,
            updatedAt: now
        )
        let notifications = serious ? [notification(for: report, stage: "reported", at: now)] : []
        try await store.insert(
            report,
            notifications: notifications,
            events: [event("aefi.reported", subject: report.id.lower, ["serious": serious ? "true" : "false"])],
            audit: [registry.entry("aefi.report", about: person.id, by: actor, at: now)]
        )
        return (report, false)
    }

    /// Who acts next on a case: the district decides on investigation (the province where the
    /// address has no district), the province reviews causality, and the district hears the result.
    func notification(for report: AEFIReport, stage: String, at now: Date) -> OfficialNotification {
        let district = report.address.districtCode
        let (role, unit, message): (String, String, String) =
            switch stage {
            case "reported":
                district.map {
                    ("district_official", $0, "A serious adverse event was reported; decide whether to investigate.")
                }
                    ?? (
                        "province_official", report.address.provinceCode,
                        "A serious adverse event was reported; decide whether to investigate."
                    )
            case "investigation":
                (
                    "province_official", report.address.provinceCode,
                    "An adverse event is under investigation; review causality."
                )
            default:
                (
                    district == nil ? "province_official" : "district_official",
                    district ?? report.address.provinceCode,
                    "The causality review of an adverse event is complete."
                )
            }
        return OfficialNotification(
            id: ids.next(at: now),
            role: role,
            unitCode: unit,
            kind: "aefi.\(stage)",
            subjectID: report.id.lower,
            message: message,
            createdAt: now
        )
    }

    /// A report, for the reporter's side (citizen: own) or officials in scope.
    public func aefiReport(_ id: UUID, by actor: Actor) async throws -> AEFIReport {
        guard let report = try await store.aefiReport(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No adverse-event report has this id.")
        }
        try await authorizeCase(report, by: actor)
        return report
    }

    private func authorizeCase(_ report: AEFIReport, by actor: Actor) async throws {
        let principal = actor.principal
        switch principal.role {
        case .districtOfficial, .provinceOfficial, .communeOfficial:
            guard principal.reaches(report.address) else {
                throw AppError(.forbidden, code: "out_of_scope", message: "This report is outside your scope.")
            }
            try await registry.auditReads([report.personID], action: "aefi.read", by: actor)
        default:
            _ = try await registry.read(report.personID, by: actor)
        }
    }

    /// The district's decision on a serious case: investigate (then the province reviews causality) or not (closed).
    public func decideInvestigation(
        _ id: UUID,
        investigate: Bool,
        note: String,
        by actor: Actor
    ) async throws -> AEFIReport {
        var report = try await aefiReport(id, by: actor)
        let expectedRole: Role = report.address.districtCode == nil ? .provinceOfficial : .districtOfficial
        guard actor.principal.role == expectedRole || actor.principal.role == .systemAdmin else {
            throw AppError(
                .forbidden,
                code: "not_permitted",
                message: "The investigation decision belongs to the \(expectedRole.rawValue) of the person's unit."
            )
        }
        guard report.stage == "reported" else {
            throw AppError(
                .conflict,
                code: "invalid_stage",
                message: "The case is at \(report.stage); the decision was already made."
            )
        }
        let now = clock.now()
        report.investigate = investigate
        report.decisionNote = try Self.note(note)
        report.stage = investigate ? "investigation" : "closed"
        report.updatedAt = now
        try await store.update(
            report,
            from: "reported",
            notifications: investigate ? [notification(for: report, stage: "investigation", at: now)] : [],
            audit: [registry.entry("aefi.decide", about: report.personID, by: actor, at: now)]
        )
        return report
    }

    /// The province's causality review (WHO categories), which closes the case and tells the district.
    public func reviewCausality(
        _ id: UUID,
        classification: String,
        note: String,
        by actor: Actor
    ) async throws -> AEFIReport {
        var report = try await aefiReport(id, by: actor)
        guard actor.principal.role == .provinceOfficial || actor.principal.role == .systemAdmin else {
            throw AppError(.forbidden, code: "not_permitted", message: "The causality review belongs to the province.")
        }
        guard report.stage == "investigation" else {
            throw AppError(
                .conflict,
                code: "invalid_stage",
                message:
                    "The case is at \(report.stage); causality is reviewed after the district decides to investigate."
            )
        }
        guard Self.causalityCategories.contains(classification) else {
            throw AppError.invalidField(
                "classification",
                "The WHO causality category is one of \(Self.causalityCategories.sorted().joined(separator: ", "))."
            )
        }
        let now = clock.now()
        report.causality = classification
        report.causalityNote = try Self.note(note)
        report.stage = "closed"
        report.updatedAt = now
        try await store.update(
            report,
            from: "investigation",
            notifications: [notification(for: report, stage: "closed", at: now)],
            audit: [registry.entry("aefi.causality", about: report.personID, by: actor, at: now)]
        )
        return report
    }

    static func note(_ text: String) throws -> String {
        let note = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (5...2000).contains(note.count),
            !note.unicodeScalars.contains(where: {
                $0.properties.generalCategory == .control && !"\n\r\t".unicodeScalars.contains($0)
            })
        else {
            throw AppError.invalidField("note", "A note is 5 to 2000 characters.")
        }
        return note
    }

    /// The notifications addressed to the caller's role and unit, newest first.
    public func notifications(by actor: Actor, limit: Int) async throws -> [OfficialNotification] {
        guard case .unit(let code) = actor.principal.scope else { return [] }
        return try await store.notifications(role: actor.principal.role.rawValue, unitCode: code, limit: limit)
    }
}
