import Foundation
import VaxDomain
import VaxStorage

/// Changes to a dose; `nil` keeps the value.
public struct DoseChanges: Sendable {
    /// The product.
    public var productCode: String?
    /// The lot number.
    public var lotNumber: String?
    /// The lot's expiry.
    public var lotExpiry: LocalDate?
    /// The dose number.
    public var doseNumber: Int?
    /// The kind.
    public var kind: DoseKind?
    /// When it was given.
    public var administeredAt: Date?
    /// Where on the body.
    public var injectionSite: String?

    /// Changes.
    public init(
        productCode: String? = nil,
        lotNumber: String? = nil,
        lotExpiry: LocalDate? = nil,
        doseNumber: Int? = nil,
        kind: DoseKind? = nil,
        administeredAt: Date? = nil,
        injectionSite: String? = nil
    ) {
        self.productCode = productCode
        self.lotNumber = lotNumber
        self.lotExpiry = lotExpiry
        self.doseNumber = doseNumber
        self.kind = kind
        self.administeredAt = administeredAt
        self.injectionSite = injectionSite
    }
}

/// Changes to a person's core details; `nil` keeps the value.
public struct PersonChanges: Sendable {
    /// The full name.
    public var fullName: String?
    /// The date of birth.
    public var dateOfBirth: LocalDate?
    /// The sex.
    public var sex: Sex?
    /// The phone.
    public var phone: String?

    /// Changes.
    public init(fullName: String? = nil, dateOfBirth: LocalDate? = nil, sex: Sex? = nil, phone: String? = nil) {
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.phone = phone
    }
}

extension CampaignService {
    /// Corrects a dose with a reason; the old values stay in the history, the dose keeps its id and
    /// its person, and `dose.corrected` tells the certificate issuer to re-issue.
    public func correctDose(
        _ id: UUID,
        _ changes: DoseChanges,
        reason: String,
        by actor: Actor
    ) async throws
        -> (DoseRecord, Correction)
    {
        guard let old = try await store.dose(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No dose has this id.")
        }
        let person = try await registry.read(old.personID, by: actor)
        let reason = try Self.reason(reason)
        let now = clock.now()
        var new = old
        var before: [String: String] = [:]
        var after: [String: String] = [:]
        func note(_ field: String, _ old: String?, _ new: String?) {
            guard old != new else { return }
            before[field] = old ?? ""
            after[field] = new ?? ""
        }
        if let code = changes.productCode {
            guard catalogue.product(code) != nil else { throw ValidationFailure([unknownProduct(code)]) }
            note("productCode", old.productCode, code)
            new.productCode = code
        }
        if let lot = changes.lotNumber?.trimmingCharacters(in: .whitespaces) {
            guard (1...40).contains(lot.count), !lot.hasControlCharacters else {
                throw AppError.invalidField("lotNumber", "A lot number is 1 to 40 characters.")
            }
            note("lotNumber", old.lotNumber, lot)
            new.lotNumber = lot
        }
        if let expiry = changes.lotExpiry {
            note("lotExpiry", old.lotExpiry?.description, expiry.description)
            new.lotExpiry = expiry
        }
        if let number = changes.doseNumber {
            note("doseNumber", "\(old.doseNumber)", "\(number)")
            new.doseNumber = number
        }
        if let kind = changes.kind {
            note("kind", old.kind.rawValue, kind.rawValue)
            new.kind = kind
        }
        if let at = changes.administeredAt {
            guard at <= now.addingTimeInterval(300) else {
                throw AppError.invalidField("administeredAt", "The time is in the future.")
            }
            note(
                "administeredAt",
                ISO8601DateFormatter().string(from: old.administeredAt),
                ISO8601DateFormatter().string(from: at)
            )
            new.administeredAt = at
            new.administeredOn = LocalDate(at: at)
        }
        if let site = changes.injectionSite {
            guard site.count <= 40, !site.hasControlCharacters else {
                throw AppError.invalidField("injectionSite", "At most 40 characters.")
            }
            note("injectionSite", old.injectionSite, site)
            new.injectionSite = site
        }
        guard !after.isEmpty else {
            throw AppError.invalidField(
                "changes",
                "Nothing would change; give at least one new value.",
                code: "no_change"
            )
        }
        if let expiry = new.lotExpiry, expiry < new.administeredOn {
            throw AppError.invalidField(
                "lotExpiry",
                "Lot \(new.lotNumber) expired on \(expiry), before the dose (\(new.administeredOn)).",
                code: "lot_expired"
            )
        }
        let others = try await store.doses(of: person.id).filter { $0.id != id }
        let check = try DoseRules.check(
            DosePlan(
                productCode: new.productCode,
                doseNumber: new.doseNumber,
                kind: new.kind,
                date: new.administeredOn
            ),
            history: others.filter { $0.administeredAt < new.administeredAt }.map(\.given),
            dateOfBirth: person.dateOfBirth,
            catalogue: catalogue
        ).get()
        new.nextDueOn = check.nextDueDate
        let correction = try correction(
            "dose",
            id.lower,
            before: before,
            after: after,
            reason: reason,
            by: actor,
            at: now
        )
        do {
            try await store.correct(
                dose: new,
                correction: correction,
                events: [doseEvent("dose.corrected", new)],
                audit: [registry.entry("dose.correct", about: person.id, by: actor, at: now)]
            )
        } catch let error as CampaignStoreError {
            throw Self.map(error)
        }
        return (new, correction)
    }

    /// Corrects a person's name, date of birth, sex or phone with a reason. The person keeps their id,
    /// so their doses and certificates stay linked; the old values stay in the history.
    public func correctPerson(
        _ id: Person.ID,
        _ changes: PersonChanges,
        reason: String,
        by actor: Actor
    ) async throws
        -> (Person, Correction)
    {
        let old = try await registry.read(id, by: actor)
        let reason = try Self.reason(reason)
        let now = clock.now()
        var new = old
        var before: [String: String] = [:]
        var after: [String: String] = [:]
        var errors: [FieldError] = []
        if let raw = changes.fullName {
            let name = raw.precomposedStringWithCanonicalMapping.split(whereSeparator: \.isWhitespace).joined(
                separator: " "
            )
            if name.isEmpty || name.unicodeScalars.count > 100 || name.hasControlCharacters
                || name.contains(where: { $0.isNumber || "<>{}[]|\\/@#$%^*=+;:\"".contains($0) })
            {
                errors.append(
                    FieldError(
                        field: "fullName",
                        code: "invalid_format",
                        message: "A full name has letters and spaces only, at most 100 characters."
                    )
                )
            } else if name != old.fullName {
                before["fullName"] = old.fullName
                after["fullName"] = name
                new.fullName = name
            }
        }
        if let date = changes.dateOfBirth, date != old.dateOfBirth {
            let firstDose = try await store.doses(of: id).first?.administeredOn
            if date > LocalDate(at: now) || date < LocalDate(year: 1900, month: 1, day: 1)! {
                errors.append(
                    FieldError(
                        field: "dateOfBirth",
                        code: "out_of_range",
                        message: "The date of birth is in the future or before 1900."
                    )
                )
            } else if let firstDose, date > firstDose {
                errors.append(
                    FieldError(
                        field: "dateOfBirth",
                        code: "after_vaccination",
                        message: "The date of birth is after the first dose (\(firstDose))."
                    )
                )
            } else {
                before["dateOfBirth"] = old.dateOfBirth.description
                after["dateOfBirth"] = date.description
                new.dateOfBirth = date
            }
        }
        if let sex = changes.sex, sex != old.sex {
            before["sex"] = old.sex.rawValue
            after["sex"] = sex.rawValue
            new.sex = sex
        }
        if let raw = changes.phone {
            switch PhoneNumber.normalise(raw) {
            case .success(let phone) where phone != old.phone:
                before["phone"] = old.phone ?? ""
                after["phone"] = phone
                new.phone = phone
            case .success: break
            case .failure(let error): errors.append(error)
            }
        }
        guard errors.isEmpty else { throw ValidationFailure(errors) }
        guard !after.isEmpty else {
            throw AppError.invalidField(
                "changes",
                "Nothing would change; give at least one new value.",
                code: "no_change"
            )
        }
        let correction = try correction(
            "person",
            id.description,
            before: before,
            after: after,
            reason: reason,
            by: actor,
            at: now
        )
        try await store.correct(
            person: new,
            correction: correction,
            events: [
                event(
                    "person.corrected",
                    subject: id.description,
                    ["fields": after.keys.sorted().joined(separator: ",")]
                )
            ],
            audit: [registry.entry("person.correct", about: id, by: actor, at: now)]
        )
        return (new, correction)
    }

    /// The correction history of a record the caller may read.
    public func corrections(ofDose id: UUID, by actor: Actor) async throws -> [Correction] {
        guard let dose = try await store.dose(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No dose has this id.")
        }
        _ = try await registry.read(dose.personID, by: actor)
        return try await store.corrections(kind: "dose", id: id.lower)
    }

    /// The history record of a correction: the changed fields' old and new values.
    private func correction(
        _ kind: String,
        _ id: String,
        before: [String: String],
        after: [String: String],
        reason: String,
        by actor: Actor,
        at now: Date
    ) throws -> Correction {
        let encoder = JSONEncoder.sortedKeys
        return Correction(
            id: ids.next(at: now),
            recordKind: kind,
            recordID: id,
            oldValues: String(decoding: try encoder.encode(before), as: UTF8.self),
            newValues: String(decoding: try encoder.encode(after), as: UTF8.self),
            reason: reason,
            correctedBy: actor.principal.subject,
            correctedAt: now
        )
    }

    static func reason(_ text: String) throws -> String {
        let reason = text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (5...500).contains(reason.unicodeScalars.count), !reason.hasControlCharacters else {
            throw AppError.invalidField(
                "reason",
                "A correction needs a reason of 5 to 500 characters.",
                code: "reason_required"
            )
        }
        return reason
    }
}
