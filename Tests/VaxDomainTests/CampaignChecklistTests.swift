import Foundation
import Testing
import VaxDomain

@Suite struct CampaignChecklistTests {
    static let form3588 = "3588/QĐ-BYT:2021-07-26"
    static let form9 = "adult-9:2021-12"
    static let screenedOn = LocalDate(iso: "2021-08-01")!

    let library = ChecklistLibrary.standard

    /// Every item of the form answered no, except `yes`.
    static func answers(_ checklist: ScreeningChecklist, yes: [String] = []) -> [String: Bool] {
        Dictionary(uniqueKeysWithValues: checklist.items.map { ($0.code, yes.contains($0.code)) })
    }

    func evaluate(
        _ version: String,
        yes: [String] = [],
        vitals: VitalSigns? = nil,
        product: String? = "pfizer"
    ) throws -> ScreeningEvaluation {
        let checklist = try #require(library.checklist(version))
        let result = checklist.evaluate(
            answers: Self.answers(checklist, yes: yes),
            vitals: vitals,
            productCode: product,
            on: Self.screenedOn
        )
        return try result.get()
    }

    @Test func theBundledLibraryHasBothAdultForms() throws {
        #expect(library.checklists.map(\.version) == [Self.form3588, Self.form9])
        let form = try #require(library.checklist(Self.form3588))
        #expect(form.items.map(\.code) == ["1", "2", "3", "4a", "4b", "5", "6", "7", "8", "9", "10"])
        #expect(form.items.filter(\.vitalSigns).map(\.code) == ["10"])
        #expect(form.effectiveFrom == LocalDate(iso: "2021-07-26"))
        #expect(form.items.allSatisfy { !$0.text.isEmpty && !$0.textEnglish.isEmpty })
        #expect(form.productRules.first?.productCode == "sputnik-v")
        let nine = try #require(library.checklist(Self.form9))
        #expect(nine.items.map(\.code) == ["1", "2a", "2b", "3", "4", "5", "6", "7", "8", "9"])
        #expect(nine.items.filter(\.vitalSigns).map(\.code) == ["8"])
        #expect(library.checklist("nope") == nil)
    }

    @Test func theCurrentFormDependsOnTheDate() {
        #expect(library.current(on: LocalDate(iso: "2021-07-25")!) == nil)
        #expect(library.current(on: LocalDate(iso: "2021-07-26")!)?.version == Self.form3588)
        #expect(library.current(on: LocalDate(iso: "2021-11-30")!)?.version == Self.form3588)
        #expect(library.current(on: LocalDate(iso: "2022-06-01")!)?.version == Self.form9)
    }

    @Test func outcomesAreOrderedBySeverity() {
        #expect(ScreeningOutcome.allCases.sorted() == ScreeningOutcome.allCases)
        #expect(ScreeningOutcome.eligible < .caution)
        #expect(ScreeningOutcome.caution < .referToHospital)
        #expect(ScreeningOutcome.referToHospital < .deferred)
        #expect(ScreeningOutcome.deferred < .contraindicated)
        #expect(ScreeningOutcome.deferred.rawValue == "defer")
    }

    @Test(arguments: [
        ([String](), "pfizer", ScreeningOutcome.eligible, [String]()),
        (["1"], "pfizer", .contraindicated, ["1"]),
        (["3"], "pfizer", .deferred, ["3"]),
        (["4a"], "pfizer", .deferred, ["4a"]),
        (["4b"], "pfizer", .caution, ["4b"]),
        (["5"], "pfizer", .referToHospital, ["5"]),
        (["6"], "pfizer", .caution, ["6"]),
        (["7", "8", "9"], "pfizer", .caution, ["7", "8", "9"]),
        (["10"], "pfizer", .caution, ["10"]),
        (["4a"], "sputnik-v", .contraindicated, ["4a"]),
        (["4b"], "sputnik-v", .contraindicated, ["4b"]),
        (["5", "7"], "pfizer", .referToHospital, ["5"]),
        (["1", "2", "5"], "pfizer", .contraindicated, ["1"]),
    ])
    func form3588Outcomes(yes: [String], product: String, outcome: ScreeningOutcome, reasons: [String]) throws {
        let evaluation = try evaluate(Self.form3588, yes: yes, product: product)
        #expect(evaluation.outcome == outcome)
        #expect(evaluation.reasons == reasons)
        if outcome != .deferred { #expect(evaluation.deferUntil == nil) }
    }

    @Test func aDeferralHasADate() throws {
        let covid = try evaluate(Self.form3588, yes: ["2"])
        #expect(covid.outcome == .deferred)
        #expect(covid.reasons == ["2"])
        #expect(covid.deferUntil == LocalDate(iso: "2021-10-30"))
        let ill = try evaluate(Self.form3588, yes: ["3"])
        #expect(ill.deferUntil == LocalDate(iso: "2021-08-15"))
        // Several reasons: the longest deferral wins.
        let both = try evaluate(Self.form3588, yes: ["3", "4a", "6"])
        #expect(both.outcome == .deferred)
        #expect(both.reasons == ["3", "4a"])
        #expect(both.deferUntil == LocalDate(iso: "2021-10-10"))
    }

    @Test func abnormalVitalSignsMeanCautionEvenWhenTickedNo() throws {
        let fever = VitalSigns(temperatureCelsius: 38.2, pulsePerMinute: 80, systolic: 120, diastolic: 80)
        #expect(fever.abnormalities == ["temperature 38.2 °C is above 37.5 °C"])
        let evaluation = try evaluate(Self.form3588, vitals: fever)
        #expect(evaluation.outcome == .caution)
        #expect(evaluation.reasons == ["10", "vitals"])
        let normal = VitalSigns(
            temperatureCelsius: 36.6,
            pulsePerMinute: 72,
            systolic: 118,
            respiratoryRatePerMinute: 16
        )
        #expect(normal.abnormalities.isEmpty)
        #expect(try evaluate(Self.form3588, vitals: normal).outcome == .eligible)
    }

    @Test func everyAbnormalVitalSignIsDescribed() {
        let low = VitalSigns(temperatureCelsius: 35.0, pulsePerMinute: 55, systolic: 85, respiratoryRatePerMinute: 30)
        #expect(
            low.abnormalities == [
                "temperature 35.0 °C is below 35.5 °C",
                "pulse 55/min is below 60/min",
                "respiratory rate 30/min is above 25/min",
                "systolic blood pressure 85 mmHg is below 90 mmHg",
            ]
        )
        let high = VitalSigns(pulsePerMinute: 110, systolic: 140)
        #expect(
            high.abnormalities == [
                "pulse 110/min is above 100/min", "systolic blood pressure 140 mmHg is 140 mmHg or above",
            ]
        )
    }

    @Test func everyItemMustBeAnsweredAndNoOtherGiven() throws {
        let checklist = try #require(library.checklist(Self.form3588))
        var answers = Self.answers(checklist)
        answers["5"] = nil
        answers["4a"] = nil
        answers["11"] = false
        guard
            case .failure(let failure) = checklist.evaluate(
                answers: answers,
                vitals: nil,
                productCode: nil,
                on: Self.screenedOn
            )
        else {
            Issue.record("accepted")
            return
        }
        #expect(failure.errors.map(\.field) == ["answers.4a", "answers.5", "answers.11"])
        #expect(failure.errors.map(\.code) == ["missing_answer", "missing_answer", "unknown_item"])
    }

    @Test func impossibleVitalSignsAreRefused() throws {
        let checklist = try #require(library.checklist(Self.form3588))
        let typo = VitalSigns(
            temperatureCelsius: 368,
            pulsePerMinute: 720,
            systolic: 12,
            diastolic: 800,
            respiratoryRatePerMinute: 2
        )
        guard
            case .failure(let failure) = checklist.evaluate(
                answers: Self.answers(checklist),
                vitals: typo,
                productCode: nil,
                on: Self.screenedOn
            )
        else {
            Issue.record("accepted")
            return
        }
        #expect(
            failure.errors.map(\.field) == [
                "vitals.temperatureCelsius", "vitals.pulsePerMinute", "vitals.systolic", "vitals.diastolic",
                "vitals.respiratoryRatePerMinute",
            ]
        )
        #expect(failure.errors.allSatisfy { $0.code == "out_of_range" })
    }

    @Test(arguments: [
        ([String](), ScreeningOutcome.eligible, [String](), Int?.none),
        (["1"], .deferred, ["1"], 14),
        (["2a"], .deferred, ["2a"], 70),
        (["2b"], .caution, ["2b"], nil),
        (["3"], .referToHospital, ["3"], nil),
        (["4", "5", "6", "7"], .caution, ["4", "5", "6", "7"], nil),
        (["8"], .caution, ["8"], nil),
        (["9"], .contraindicated, ["9"], nil),
        (["1", "3"], .deferred, ["1"], 14),
    ])
    func nineItemFormOutcomes(yes: [String], outcome: ScreeningOutcome, reasons: [String], deferDays: Int?) throws {
        let evaluation = try evaluate(Self.form9, yes: yes)
        #expect(evaluation.outcome == outcome)
        #expect(evaluation.reasons == reasons)
        #expect(evaluation.deferUntil == deferDays.map { Self.screenedOn.adding(days: $0) })
    }

    @Test func nineItemFormVitalSigns() throws {
        let evaluation = try evaluate(Self.form9, vitals: VitalSigns(pulsePerMinute: 120))
        #expect(evaluation.outcome == .caution)
        #expect(evaluation.reasons == ["8", "vitals"])
        #expect(try evaluate(Self.form9, yes: ["2a"], product: "sputnik-v").outcome == .contraindicated)
    }

    @Test func aBrokenLibraryIsRejected() {
        let json = """
            {"checklists": [{"version": "v", "title": "t", "effectiveFrom": "2021-01-01", "productRules": [],
              "items": [{"code": "1", "text": "a", "textEnglish": "a", "outcome": "defer", "vitalSigns": false}]}]}
            """
        #expect(throws: (any Error).self) { try ChecklistLibrary(json: Data(json.utf8)) }
    }
}
