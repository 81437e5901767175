import Foundation

/// The result of pre-vaccination screening (khám sàng lọc), ordered by severity: `eligible` is the least
/// severe, `contraindicated` the most.
public enum ScreeningOutcome: String, Codable, Sendable, CaseIterable, Comparable {
    /// Vaccinate (đủ điều kiện tiêm chủng).
    case eligible
    /// Vaccinate with closer observation (nhóm thận trọng).
    case caution
    /// Vaccinate at a hospital able to treat anaphylaxis (tiêm tại bệnh viện).
    case referToHospital = "refer_to_hospital"
    /// Not now: vaccinate after a date (tạm hoãn).
    case deferred = "defer"
    /// Not this vaccine (chống chỉ định).
    case contraindicated

    /// Whether `lhs` is less severe than `rhs`.
    public static func < (lhs: ScreeningOutcome, rhs: ScreeningOutcome) -> Bool {
        lhs.severity < rhs.severity
    }

    private var severity: Int {
        switch self {
        case .eligible: 0
        case .caution: 1
        case .referToHospital: 2
        case .deferred: 3
        case .contraindicated: 4
        }
    }
}

/// One yes/no question of a screening checklist, with the outcome a "yes" leads to.
public struct ChecklistItem: Codable, Sendable, Hashable {
    /// The item's number on the form, e.g. `1`, `4a`.
    public let code: String
    /// The question in Vietnamese, as on the form.
    public let text: String
    /// The question in English.
    public let textEnglish: String
    /// The outcome when the answer is yes.
    public let outcome: ScreeningOutcome
    /// For a defer item: the default number of days to defer (the nurse may set another date).
    public let deferDays: Int?
    /// Whether this is the "abnormal vital signs" item, which measured abnormal vital signs answer yes.
    public let vitalSigns: Bool
}

/// A rule that changes the outcome for one product when any of some items is answered yes (e.g. pregnancy is
/// a contraindication for Sputnik V).
public struct ProductRule: Codable, Sendable, Hashable {
    /// The item codes; the rule applies when any of them is answered yes.
    public let items: [String]
    /// The product the rule is about.
    public let productCode: String
    /// The outcome for that product.
    public let outcome: ScreeningOutcome
    /// Why, for the record.
    public let note: String
}

/// A versioned screening checklist; a screening records the version it was answered on.
///
/// Bundled versions (`Resources/campaign/checklists.json`):
/// - `3588/QĐ-BYT:2021-07-26`: the 10-item adult form of Decision 3588/QĐ-BYT, 26 July 2021.
/// - `adult-9:2021-12`: the later 9-item adult form (late 2021; effective from 2021-12-01, an assumption).
public struct ScreeningChecklist: Codable, Sendable, Hashable {
    /// The stable version id, e.g. `3588/QĐ-BYT:2021-07-26`.
    public let version: String
    /// The form's title in Vietnamese.
    public let title: String
    /// The first day the form is used.
    public let effectiveFrom: LocalDate
    /// The questions, in the order of the form.
    public let items: [ChecklistItem]
    /// Product-specific outcomes.
    public let productRules: [ProductRule]
}

/// Vital signs measured at screening; every measurement is optional.
///
/// Abnormal: temperature below 35.5 °C or above 37.5 °C, pulse below 60 or above 100 per minute, respiratory
/// rate above 25 per minute (MoH guidance), and systolic blood pressure 140 mmHg or above or below 90 mmHg.
/// The blood-pressure thresholds are an assumption (the guidance gives none); diastolic pressure is
/// recorded but not judged.
public struct VitalSigns: Codable, Sendable, Hashable {
    /// Body temperature, °C.
    public var temperatureCelsius: Double?
    /// Pulse, beats per minute.
    public var pulsePerMinute: Int?
    /// Systolic blood pressure, mmHg.
    public var systolic: Int?
    /// Diastolic blood pressure, mmHg.
    public var diastolic: Int?
    /// Respiratory rate, breaths per minute.
    public var respiratoryRatePerMinute: Int?

    /// Vital signs; leave out what was not measured.
    public init(
        temperatureCelsius: Double? = nil,
        pulsePerMinute: Int? = nil,
        systolic: Int? = nil,
        diastolic: Int? = nil,
        respiratoryRatePerMinute: Int? = nil
    ) {
        self.temperatureCelsius = temperatureCelsius
        self.pulsePerMinute = pulsePerMinute
        self.systolic = systolic
        self.diastolic = diastolic
        self.respiratoryRatePerMinute = respiratoryRatePerMinute
    }

    /// The abnormal measurements, described, e.g. `temperature 38.2 °C is above 37.5 °C`; empty when all are
    /// normal or not measured.
    public var abnormalities: [String] {
        var found: [String] = []
        if let t = temperatureCelsius {
            if t > 37.5 {
                found.append("temperature \(Self.oneDecimal(t)) °C is above 37.5 °C")
            } else if t < 35.5 {
                found.append("temperature \(Self.oneDecimal(t)) °C is below 35.5 °C")
            }
        }
        if let pulse = pulsePerMinute {
            if pulse > 100 {
                found.append("pulse \(pulse)/min is above 100/min")
            } else if pulse < 60 {
                found.append("pulse \(pulse)/min is below 60/min")
            }
        }
        if let rate = respiratoryRatePerMinute, rate > 25 {
            found.append("respiratory rate \(rate)/min is above 25/min")
        }
        if let systolic {
            if systolic >= 140 {
                found.append("systolic blood pressure \(systolic) mmHg is 140 mmHg or above")
            } else if systolic < 90 {
                found.append("systolic blood pressure \(systolic) mmHg is below 90 mmHg")
            }
        }
        return found
    }

    /// Errors for values no living person has (a typing slip): temperature 30–45 °C, pulse 20–250,
    /// respiratory rate 5–80, blood pressure 40–300 mmHg.
    func rangeErrors() -> [FieldError] {
        var errors: [FieldError] = []
        if let t = temperatureCelsius, !(t.isFinite && (30...45).contains(t)) {
            errors.append(Self.outOfRange("temperatureCelsius", "The temperature must be between 30 and 45 °C."))
        }
        if let pulse = pulsePerMinute, !(20...250).contains(pulse) {
            errors.append(Self.outOfRange("pulsePerMinute", "The pulse must be between 20 and 250 per minute."))
        }
        if let systolic, !(40...300).contains(systolic) {
            errors.append(
                Self.outOfRange("systolic", "The systolic blood pressure must be between 40 and 300 mmHg.")
            )
        }
        if let diastolic, !(40...300).contains(diastolic) {
            errors.append(
                Self.outOfRange("diastolic", "The diastolic blood pressure must be between 40 and 300 mmHg.")
            )
        }
        if let rate = respiratoryRatePerMinute, !(5...80).contains(rate) {
            errors.append(
                Self.outOfRange(
                    "respiratoryRatePerMinute",
                    "The respiratory rate must be between 5 and 80 per minute."
                )
            )
        }
        return errors
    }

    private static func outOfRange(_ name: String, _ message: String) -> FieldError {
        FieldError(field: "vitals.\(name)", code: "out_of_range", message: message)
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let magnitude = abs(tenths)
        return (tenths < 0 ? "-" : "") + "\(magnitude / 10).\(magnitude % 10)"
    }
}

/// What a screening concluded.
public struct ScreeningEvaluation: Sendable, Hashable {
    /// The most severe outcome of the items answered yes (`eligible` when none).
    public let outcome: ScreeningOutcome
    /// The item codes that led to the outcome, in the order of the form, followed by `vitals` when abnormal
    /// measured vital signs were among them; empty when eligible.
    public let reasons: [String]
    /// For a deferral: the screening date plus the longest default deferral of the deciding items.
    public let deferUntil: LocalDate?
}

/// The screening checklists, by version (the bundled `Resources/campaign/checklists.json`).
public struct ChecklistLibrary: Sendable {
    /// The checklists, in the order of the file.
    public let checklists: [ScreeningChecklist]

    /// The checklists bundled with VaxDomain.
    public static let standard: ChecklistLibrary = {
        guard let url = Bundle.module.url(forResource: "checklists", withExtension: "json", subdirectory: "campaign"),
            let data = try? Data(contentsOf: url)
        else { fatalError("VaxDomain's bundled campaign/checklists.json is missing") }
        do {
            return try ChecklistLibrary(json: data)
        } catch {
            fatalError("VaxDomain's bundled campaign/checklists.json is broken: \(error)")
        }
    }()

    /// Decodes `{"checklists": [...]}` and checks it: unique versions and item codes, a default deferral for
    /// every defer item, at most one vital-signs item per form, and product rules that name its items.
    public init(json: Data) throws {
        struct File: Decodable {
            let checklists: [ScreeningChecklist]
        }
        let checklists = try JSONDecoder().decode(File.self, from: json).checklists
        var versions: Set<String> = []
        for checklist in checklists {
            guard !checklist.version.isEmpty, versions.insert(checklist.version).inserted else {
                throw Self.inconsistent("version \"\(checklist.version)\" is empty or repeated")
            }
            var codes: Set<String> = []
            for item in checklist.items {
                guard !item.code.isEmpty, codes.insert(item.code).inserted else {
                    throw Self.inconsistent("\(checklist.version) repeats item \"\(item.code)\"")
                }
                if item.outcome == .deferred {
                    guard let days = item.deferDays, days >= 1 else {
                        throw Self.inconsistent("\(checklist.version) item \(item.code) needs deferDays")
                    }
                }
            }
            guard checklist.items.filter(\.vitalSigns).count <= 1 else {
                throw Self.inconsistent("\(checklist.version) has more than one vital-signs item")
            }
            for rule in checklist.productRules {
                guard !rule.items.isEmpty, rule.items.allSatisfy(codes.contains) else {
                    throw Self.inconsistent("\(checklist.version) has a product rule naming an unknown item")
                }
            }
        }
        self.checklists = checklists
    }

    /// The checklist with this version id, or `nil`.
    public func checklist(_ version: String) -> ScreeningChecklist? {
        checklists.first { $0.version == version }
    }

    /// The checklist in use on a day: the one with the latest `effectiveFrom` on or before it.
    public func current(on date: LocalDate) -> ScreeningChecklist? {
        checklists.filter { $0.effectiveFrom <= date }.max { $0.effectiveFrom < $1.effectiveFrom }
    }

    private static func inconsistent(_ description: String) -> DecodingError {
        DecodingError.dataCorrupted(
            DecodingError.Context(codingPath: [], debugDescription: "screening checklists: " + description)
        )
    }
}

extension ScreeningChecklist {
    /// Evaluates a screening: `answers` maps every item code to yes (`true`) or no.
    ///
    /// Every item must be answered and no unknown code given (field `answers.<code>`, codes `missing_answer`,
    /// `unknown_item`); vital signs outside physiological limits (temperature 30–45 °C, pulse 20–250,
    /// respiratory rate 5–80, blood pressure 40–300 mmHg) are refused (field `vitals.<name>`, code
    /// `out_of_range`). An abnormal vital sign answers the vital-signs item yes even when it was ticked no.
    /// The outcome is the most severe of the items answered yes and of the product rules for `productCode`.
    public func evaluate(
        answers: [String: Bool],
        vitals: VitalSigns?,
        productCode: String?,
        on date: LocalDate
    ) -> Result<ScreeningEvaluation, ValidationFailure> {
        var errors: [FieldError] = []
        for item in items where answers[item.code] == nil {
            errors.append(
                FieldError(
                    field: "answers.\(item.code)",
                    code: "missing_answer",
                    message: "Item \(item.code) (\(item.textEnglish)) must be answered yes or no."
                )
            )
        }
        let known = Set(items.map(\.code))
        for code in answers.keys.sorted() where !known.contains(code) {
            errors.append(
                FieldError(
                    field: "answers.\(code)",
                    code: "unknown_item",
                    message: "The checklist \(version) has no item \"\(code)\"."
                )
            )
        }
        errors += vitals?.rangeErrors() ?? []
        if !errors.isEmpty { return .failure(ValidationFailure(errors)) }

        let abnormalVitals = !(vitals?.abnormalities.isEmpty ?? true)
        var yes: Set<String> = []
        for item in items where answers[item.code] == true || (item.vitalSigns && abnormalVitals) {
            yes.insert(item.code)
        }
        // (item code, outcome, default deferral) for each yes, then for each product rule that applies.
        var findings: [(code: String, outcome: ScreeningOutcome, deferDays: Int?)] = []
        for item in items where yes.contains(item.code) {
            findings.append((item.code, item.outcome, item.deferDays))
        }
        for rule in productRules where rule.productCode == productCode {
            for code in rule.items where yes.contains(code) {
                findings.append((code, rule.outcome, nil))
            }
        }
        let outcome = findings.map(\.outcome).max() ?? .eligible
        let deciding = findings.filter { $0.outcome == outcome }
        var reasons: [String] = []
        for item in items where deciding.contains(where: { $0.code == item.code }) {
            reasons.append(item.code)
        }
        if abnormalVitals, let vitalItem = items.first(where: \.vitalSigns), reasons.contains(vitalItem.code) {
            reasons.append("vitals")
        }
        var deferUntil: LocalDate?
        if outcome == .deferred, let days = deciding.compactMap(\.deferDays).max() {
            deferUntil = date.adding(days: days)
        }
        return .success(ScreeningEvaluation(outcome: outcome, reasons: reasons, deferUntil: deferUntil))
    }
}
