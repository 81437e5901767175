import Foundation

/// A dose already given to a person, as recorded.
public struct GivenDose: Sendable, Hashable {
    /// The product's catalogue code, e.g. `astrazeneca`.
    public var productCode: String
    /// The dose number as recorded: the position among all the person's doses (primary dose 1, 2, …, then
    /// the additional and booster doses continue the count).
    public var doseNumber: Int
    /// Primary, additional or booster.
    public var kind: DoseKind
    /// The day it was given.
    public var date: LocalDate

    /// A given dose.
    public init(productCode: String, doseNumber: Int, kind: DoseKind, date: LocalDate) {
        self.productCode = productCode
        self.doseNumber = doseNumber
        self.kind = kind
        self.date = date
    }
}

/// A dose about to be given (or being recorded), to check against the person's history: the same
/// fields as a given dose (for a primary dose the number within the series, otherwise all doses given + 1).
public typealias DosePlan = GivenDose

/// What follows an allowed dose.
public struct DoseCheck: Sendable, Hashable {
    /// When the next dose is due, if there is one.
    public let nextDueDate: LocalDate?
    /// The kind of the next dose, if there is one.
    public let nextKind: DoseKind?
    /// Whether this dose is the last dose of the primary series.
    public let completesPrimarySeries: Bool

    /// A check result.
    public init(nextDueDate: LocalDate?, nextKind: DoseKind?, completesPrimarySeries: Bool) {
        self.nextDueDate = nextDueDate
        self.nextKind = nextKind
        self.completesPrimarySeries = completesPrimarySeries
    }
}

/// A person's vaccination status, computed from their doses (never stored).
public struct VaccinationStatus: Sendable, Hashable {
    /// How far the person is.
    public enum Level: String, Sendable, CaseIterable {
        /// No dose recorded.
        case notVaccinated = "not_vaccinated"
        /// Some primary doses, but the series (of the first dose's product) is not complete.
        case partiallyVaccinated = "partially_vaccinated"
        /// The primary series is complete.
        case primaryComplete = "primary_complete"
        /// A booster or additional dose after the complete primary series.
        case boosted = "booster"
    }

    /// How far the person is.
    public let level: Level
    /// The certificate colour: `none`, `yellow` (partial), `green` (complete and boosted).
    public let colour: String
    /// The Vietnamese label: `Chưa tiêm`, `Đã tiêm N mũi`, `Đã hoàn thành mũi cơ bản`, `Đã tiêm mũi nhắc lại`.
    public let label: String
    /// The English label: `Not vaccinated`, `Partially vaccinated`, `Primary series complete`,
    /// `Booster received`.
    public let labelEnglish: String
    /// All doses recorded, of every kind.
    public let dosesGiven: Int
    /// The day of the last primary dose of the series, once it is complete.
    public let primaryCompletedOn: LocalDate?
    /// When the next dose is due, if known.
    public let nextDueDate: LocalDate?
    /// The kind of the next dose, if any.
    public let nextKind: DoseKind?
}

/// The rules of the primary series, additional doses and boosters, applied to a person's dose history.
///
/// The series length is that of the product of the first primary dose; a later primary dose may be a
/// different product only when the catalogue's mixing rules allow it after the previous dose's product,
/// and it is allowed from the previous dose's date plus the previous product's minimum interval.
public enum DoseRules {
    /// Checks a planned dose against the person's history (in any order; it is sorted by date, then dose
    /// number).
    ///
    /// Returns every problem found as a ``FieldError`` (fields `productCode`, `administeredAt`, `doseNumber`,
    /// `kind`), or, when the dose is allowed, what follows it.
    public static func check(
        _ plan: DosePlan,
        history: [GivenDose],
        dateOfBirth: LocalDate?,
        catalogue: VaccineCatalogue
    ) -> Result<DoseCheck, ValidationFailure> {
        let doses = sorted(history)
        let primaries = doses.filter { $0.kind == .primary }
        var errors: [FieldError] = []
        let product = catalogue.product(plan.productCode)
        if product == nil {
            errors.append(
                FieldError(
                    field: "productCode",
                    code: "unknown_product",
                    message: "There is no vaccine with the code \"\(plan.productCode)\" in the catalogue."
                )
            )
        }
        if let dateOfBirth, plan.date < dateOfBirth {
            errors.append(
                FieldError(
                    field: "administeredAt",
                    code: "before_birth",
                    message: "The dose date \(plan.date) is before the date of birth \(dateOfBirth)."
                )
            )
        }
        if let last = doses.last, plan.date <= last.date {
            let message =
                doses.contains { $0.date == plan.date }
                ? "This person already had a dose on \(plan.date); two doses cannot be given on the same day."
                : "The dose date \(plan.date) is before the last recorded dose, on \(last.date)."
            errors.append(FieldError(field: "administeredAt", code: "before_previous_dose", message: message))
        }
        var seriesProduct = product
        if let first = primaries.first {
            seriesProduct = catalogue.product(first.productCode)
            if seriesProduct == nil {
                errors.append(
                    FieldError(
                        field: "history",
                        code: "unknown_product",
                        message:
                            "The first recorded dose is of \"\(first.productCode)\", which is not in the catalogue."
                    )
                )
            }
        }
        var next: DoseCheck?
        switch plan.kind {
        case .primary:
            if let product, let seriesProduct {
                next = checkPrimary(
                    plan,
                    product: product,
                    seriesProduct: seriesProduct,
                    primaries: primaries,
                    catalogue: catalogue,
                    errors: &errors
                )
            }
        case .additional, .booster:
            if product != nil {
                next = checkBooster(
                    plan,
                    doses: doses,
                    primaries: primaries,
                    seriesProduct: seriesProduct,
                    catalogue: catalogue,
                    errors: &errors
                )
            }
        }
        guard errors.isEmpty, let next else { return .failure(ValidationFailure(errors)) }
        return .success(next)
    }

    /// The person's status, computed from their doses (in any order).
    public static func status(history: [GivenDose], catalogue: VaccineCatalogue) -> VaccinationStatus {
        let doses = sorted(history)
        guard !doses.isEmpty else {
            return VaccinationStatus(
                level: .notVaccinated,
                colour: "none",
                label: "Chưa tiêm",
                labelEnglish: "Not vaccinated",
                dosesGiven: 0,
                primaryCompletedOn: nil,
                nextDueDate: nil,
                nextKind: nil
            )
        }
        let primaries = doses.filter { $0.kind == .primary }
        let seriesLength = primaries.first.flatMap { catalogue.product($0.productCode) }?.primaryDoses
        guard let seriesLength, primaries.count >= seriesLength else {
            var nextDue: LocalDate?
            if let last = primaries.last {
                let intervals = (catalogue.product(last.productCode) ?? catalogue.product(primaries[0].productCode))?
                    .intervals
                if let intervals, primaries.count - 1 < intervals.count {
                    nextDue = last.date.adding(days: intervals[primaries.count - 1].recommendedDays)
                }
            }
            return VaccinationStatus(
                level: .partiallyVaccinated,
                colour: "yellow",
                label: "Đã tiêm \(doses.count) mũi",
                labelEnglish: "Partially vaccinated",
                dosesGiven: doses.count,
                primaryCompletedOn: nil,
                nextDueDate: nextDue,
                nextKind: .primary
            )
        }
        let completedOn = primaries[seriesLength - 1].date
        let boosters = doses.filter { $0.kind != .primary && $0.date > completedOn }
        if let latest = boosters.last {
            return VaccinationStatus(
                level: .boosted,
                colour: "green",
                label: "Đã tiêm mũi nhắc lại",
                labelEnglish: "Booster received",
                dosesGiven: doses.count,
                primaryCompletedOn: completedOn,
                nextDueDate: latest.date.adding(days: catalogue.boosterMinimumDays),
                nextKind: .booster
            )
        }
        return VaccinationStatus(
            level: .primaryComplete,
            colour: "green",
            label: "Đã hoàn thành mũi cơ bản",
            labelEnglish: "Primary series complete",
            dosesGiven: doses.count,
            primaryCompletedOn: completedOn,
            nextDueDate: doses[doses.count - 1].date.adding(days: catalogue.boosterMinimumDays),
            nextKind: .booster
        )
    }

    // MARK: - Parts

    private static func sorted(_ history: [GivenDose]) -> [GivenDose] {
        history.sorted { ($0.date, $0.doseNumber) < ($1.date, $1.doseNumber) }
    }

    private static func checkPrimary(
        _ plan: DosePlan,
        product: VaccineProduct,
        seriesProduct: VaccineProduct,
        primaries: [GivenDose],
        catalogue: VaccineCatalogue,
        errors: inout [FieldError]
    ) -> DoseCheck {
        let given = primaries.count
        let length = seriesProduct.primaryDoses
        let nextNumber = given + 1
        if given >= length || plan.doseNumber > length {
            let advice =
                given >= length ? "give a booster instead." : "there is no primary dose \(plan.doseNumber)."
            errors.append(
                FieldError(
                    field: "doseNumber",
                    code: "series_complete",
                    message: "The primary series of \(seriesProduct.shortName) has \(count(length, "dose")); "
                        + advice
                )
            )
        } else if plan.doseNumber != nextNumber {
            let had = given == 0 ? "no primary dose" : count(given, "primary dose")
            errors.append(
                FieldError(
                    field: "doseNumber",
                    code: "wrong_dose_number",
                    message: "This person has had \(had); the next primary dose is dose \(nextNumber)."
                )
            )
        }
        if given < length, let previous = primaries.last, let previousProduct = catalogue.product(previous.productCode)
        {
            if !catalogue.mayFollow(product.code, after: previousProduct.code) {
                errors.append(
                    FieldError(
                        field: "productCode",
                        code: "mixing_not_allowed",
                        message: mixingMessage(
                            previous: previous,
                            product: previousProduct,
                            refused: product,
                            catalogue
                        )
                    )
                )
            }
            let intervals =
                previousProduct.intervals.count > given - 1 ? previousProduct.intervals : seriesProduct.intervals
            if given - 1 < intervals.count {
                let allowedFrom = previous.date.adding(days: intervals[given - 1].minimumDays)
                if plan.date < allowedFrom {
                    errors.append(
                        FieldError(
                            field: "administeredAt",
                            code: "too_early",
                            message: "dose \(nextNumber) of \(product.shortName) is allowed from \(allowedFrom)"
                        )
                    )
                }
            }
        }
        if nextNumber < length {
            let intervals = product.intervals.count > nextNumber - 1 ? product.intervals : seriesProduct.intervals
            let due =
                nextNumber - 1 < intervals.count
                ? plan.date.adding(days: intervals[nextNumber - 1].recommendedDays) : nil
            return DoseCheck(nextDueDate: due, nextKind: .primary, completesPrimarySeries: false)
        }
        return DoseCheck(
            nextDueDate: plan.date.adding(days: catalogue.boosterMinimumDays),
            nextKind: .booster,
            completesPrimarySeries: nextNumber == length
        )
    }

    private static func checkBooster(
        _ plan: DosePlan,
        doses: [GivenDose],
        primaries: [GivenDose],
        seriesProduct: VaccineProduct?,
        catalogue: VaccineCatalogue,
        errors: inout [FieldError]
    ) -> DoseCheck? {
        let what = plan.kind == .booster ? "a booster" : "an additional dose"
        guard let seriesProduct, let lastPrimary = primaries.last, primaries.count >= seriesProduct.primaryDoses
        else {
            let had: String
            if let seriesProduct, !primaries.isEmpty {
                had =
                    "\(primaries.count) of the \(seriesProduct.primaryDoses) primary doses of "
                    + seriesProduct.shortName
            } else {
                had = "no primary dose"
            }
            errors.append(
                FieldError(
                    field: "kind",
                    code: "primary_incomplete",
                    message: "This person has had \(had); \(what) needs a complete primary series first."
                )
            )
            return nil
        }
        if plan.doseNumber != doses.count + 1 {
            errors.append(
                FieldError(
                    field: "doseNumber",
                    code: "wrong_dose_number",
                    message: "This person has had \(count(doses.count, "dose")); "
                        + "\(what) is dose \(doses.count + 1)."
                )
            )
        }
        let allowedFrom =
            plan.kind == .booster
            ? doses[doses.count - 1].date.adding(days: catalogue.boosterMinimumDays)
            : lastPrimary.date.adding(days: catalogue.additionalMinimumDays)
        if plan.date < allowedFrom {
            errors.append(
                FieldError(
                    field: "administeredAt",
                    code: "too_early",
                    message: "\(what) is allowed from \(allowedFrom)"
                )
            )
        }
        return DoseCheck(
            nextDueDate: plan.date.adding(days: catalogue.boosterMinimumDays),
            nextKind: .booster,
            completesPrimarySeries: false
        )
    }

    private static func mixingMessage(
        previous: GivenDose,
        product: VaccineProduct,
        refused: VaccineProduct,
        _ catalogue: VaccineCatalogue
    ) -> String {
        let others = catalogue.mixing.first { $0.after == product.code }?.allowed ?? []
        let head = "\(product.shortName) dose \(previous.doseNumber)"
        let tail = "; \(refused.name) is not allowed."
        if others.isEmpty { return head + " must be followed by the same product" + tail }
        let names = ([product.code] + others).map { catalogue.product($0)?.shortName ?? $0 }
        let list = names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1]
        return head + " may be followed by " + list + tail
    }

    private static func count(_ number: Int, _ noun: String) -> String {
        number == 1 ? "1 \(noun)" : "\(number) \(noun)s"
    }
}
