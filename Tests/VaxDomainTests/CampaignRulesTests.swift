import Foundation
import Testing
import VaxDomain

@Suite struct CampaignRulesTests {
    let catalogue = VaccineCatalogue.standard

    static func day(_ text: String) -> LocalDate { LocalDate(iso: text)! }

    static func dose(_ product: String, _ number: Int, _ kind: DoseKind = .primary, on date: String) -> GivenDose {
        GivenDose(productCode: product, doseNumber: number, kind: kind, date: day(date))
    }

    static func plan(_ product: String, _ number: Int, _ kind: DoseKind = .primary, on date: String) -> DosePlan {
        DosePlan(productCode: product, doseNumber: number, kind: kind, date: day(date))
    }

    func check(
        _ plan: DosePlan,
        _ history: [GivenDose],
        born: String? = "1987-01-18"
    ) -> Result<
        DoseCheck, ValidationFailure
    > {
        DoseRules.check(plan, history: history, dateOfBirth: born.map(Self.day), catalogue: catalogue)
    }

    func errors(_ result: Result<DoseCheck, ValidationFailure>) -> [FieldError] {
        guard case .failure(let failure) = result else { return [] }
        return failure.errors
    }

    // MARK: - Catalogue

    @Test func theBundledCatalogueHasTheEightProductsWithTheirCertificateCodes() {
        let expected: [(String, String, String, Int)] = [
            ("astrazeneca", "EU/1/21/1529", "ORG-100001699", 2),
            ("pfizer", "EU/1/20/1528", "ORG-100030215", 2),
            ("moderna", "EU/1/20/1507", "ORG-100031184", 2),
            ("sinopharm", "BBIBP-CorV", "ORG-100020693", 2),
            ("sputnik-v", "Sputnik-V", "Gamaleya-Research-Institute", 2),
            ("janssen", "EU/1/20/1525", "ORG-100001417", 1),
            ("hayat-vax", "Hayat-Vax", "ORG-100023050", 2),
            ("abdala", "Abdala", "CIGB", 3),
        ]
        #expect(catalogue.products.count == 8)
        #expect(catalogue.products.map(\.code) == expected.map(\.0))
        for (code, mp, ma, doses) in expected {
            let product = catalogue.product(code)
            #expect(product?.medicinalProduct == mp)
            #expect(product?.manufacturer == ma)
            #expect(product?.prophylaxis == "J07BX03")
            #expect(product?.primaryDoses == doses)
            #expect(product?.intervals.count == doses - 1)
        }
        #expect(catalogue.boosterMinimumDays == 90)
        #expect(catalogue.additionalMinimumDays == 28)
        #expect(catalogue.product("astrazeneca")?.name == "AstraZeneca (Vaxzevria, Covishield)")
        #expect(catalogue.product("astrazeneca")?.shortName == "AstraZeneca")
        #expect(catalogue.product("sinopharm")?.shortName == "Sinopharm Vero Cell")
        #expect(
            catalogue.product("astrazeneca")?.intervals
                == [DoseInterval(minimumDays: 28, recommendedDays: 56, maximumDays: 84)]
        )
        #expect(catalogue.product("unknown") == nil)
    }

    @Test func mixingRules() {
        #expect(catalogue.mayFollow("pfizer", after: "astrazeneca"))
        #expect(catalogue.mayFollow("moderna", after: "astrazeneca"))
        #expect(catalogue.mayFollow("moderna", after: "pfizer"))
        #expect(catalogue.mayFollow("pfizer", after: "moderna"))
        #expect(catalogue.mayFollow("sinopharm", after: "sinopharm"))
        #expect(!catalogue.mayFollow("pfizer", after: "sinopharm"))
        #expect(!catalogue.mayFollow("astrazeneca", after: "pfizer"))
        #expect(!catalogue.mayFollow("nope", after: "nope"))
    }

    @Test func anInconsistentCatalogueIsRejected() {
        let json = """
            {"boosterMinimumDays": 90, "additionalMinimumDays": 28, "mixing": [],
             "products": [{"code": "x", "name": "X", "medicinalProduct": "X", "manufacturer": "X",
                           "prophylaxis": "J07BX03", "primaryDoses": 2, "intervals": []}]}
            """
        #expect(throws: (any Error).self) { try VaccineCatalogue(json: Data(json.utf8)) }
    }

    // MARK: - Primary series

    @Test func astraZenecaDoseTwoTooEarly() {
        let history = [Self.dose("astrazeneca", 1, on: "2021-08-17")]
        let early = errors(check(Self.plan("astrazeneca", 2, on: "2021-09-13"), history))
        #expect(early.count == 1)
        #expect(early.first?.field == "administeredAt")
        #expect(early.first?.code == "too_early")
        #expect(early.first?.message == "dose 2 of AstraZeneca is allowed from 2021-09-14")

        let onTime = try? check(Self.plan("astrazeneca", 2, on: "2021-09-14"), history).get()
        #expect(onTime?.completesPrimarySeries == true)
        #expect(onTime?.nextKind == .booster)
        #expect(onTime?.nextDueDate == Self.day("2021-12-13"))
        // Later than the 84-day maximum is still allowed.
        #expect((try? check(Self.plan("astrazeneca", 2, on: "2022-01-20"), history).get()) != nil)
    }

    @Test func aFirstDoseIsDueAgainAfterTheRecommendedInterval() throws {
        let first = try check(Self.plan("astrazeneca", 1, on: "2021-08-17"), []).get()
        #expect(
            first == DoseCheck(nextDueDate: Self.day("2021-10-12"), nextKind: .primary, completesPrimarySeries: false)
        )
        let pfizer = try check(Self.plan("pfizer", 1, on: "2021-08-17"), []).get()
        #expect(pfizer.nextDueDate == Self.day("2021-09-07"))
    }

    @Test func pfizerMayFollowAstraZeneca() throws {
        let history = [Self.dose("astrazeneca", 1, on: "2021-08-17")]
        let mixed = try check(Self.plan("pfizer", 2, on: "2021-09-14"), history).get()
        #expect(mixed.completesPrimarySeries)
        // The interval is the previous (AstraZeneca) product's.
        #expect(errors(check(Self.plan("pfizer", 2, on: "2021-09-13"), history)).map(\.code) == ["too_early"])
    }

    @Test func sinopharmMustBeFollowedBySinopharm() {
        let history = [Self.dose("sinopharm", 1, on: "2021-08-01")]
        let refused = errors(check(Self.plan("pfizer", 2, on: "2021-08-29"), history))
        #expect(refused.map(\.field) == ["productCode"])
        #expect(refused.map(\.code) == ["mixing_not_allowed"])
        #expect(
            refused.first?.message
                == "Sinopharm Vero Cell dose 1 must be followed by the same product; Pfizer-BioNTech (Comirnaty) is "
                + "not allowed."
        )
        let azThenVeroCell = errors(
            check(Self.plan("sinopharm", 2, on: "2021-10-01"), [Self.dose("astrazeneca", 1, on: "2021-08-01")])
        )
        #expect(
            azThenVeroCell.first?.message
                == "AstraZeneca dose 1 may be followed by AstraZeneca, Pfizer-BioNTech or Moderna; Sinopharm Vero Cell "
                + "is not allowed."
        )
        #expect((try? check(Self.plan("sinopharm", 2, on: "2021-08-22"), history).get()) != nil)
    }

    @Test func janssenIsASingleDose() throws {
        let single = try check(Self.plan("janssen", 1, on: "2021-09-01"), []).get()
        #expect(single.completesPrimarySeries)
        #expect(single.nextKind == .booster)
        #expect(single.nextDueDate == Self.day("2021-11-30"))
        let second = errors(
            check(Self.plan("janssen", 2, on: "2021-12-01"), [Self.dose("janssen", 1, on: "2021-09-01")])
        )
        #expect(second.map(\.code) == ["series_complete"])
        #expect(second.first?.message == "The primary series of Janssen has 1 dose; give a booster instead.")
        let status = DoseRules.status(history: [Self.dose("janssen", 1, on: "2021-09-01")], catalogue: catalogue)
        #expect(status.level == .primaryComplete)
    }

    @Test func abdalaHasThreeDoses() throws {
        var history: [GivenDose] = []
        let second = try check(Self.plan("abdala", 2, on: "2021-09-15"), [Self.dose("abdala", 1, on: "2021-09-01")])
            .get()
        #expect(!second.completesPrimarySeries)
        #expect(second.nextKind == .primary)
        #expect(second.nextDueDate == Self.day("2021-09-29"))
        history = [Self.dose("abdala", 1, on: "2021-09-01"), Self.dose("abdala", 2, on: "2021-09-15")]
        let early = errors(check(Self.plan("abdala", 3, on: "2021-09-28"), history))
        #expect(early.map(\.message) == ["dose 3 of Abdala is allowed from 2021-09-29"])
        let third = try check(Self.plan("abdala", 3, on: "2021-09-29"), history).get()
        #expect(third.completesPrimarySeries)
        #expect(DoseRules.status(history: history, catalogue: catalogue).level == .partiallyVaccinated)
        history.append(Self.dose("abdala", 3, on: "2021-09-29"))
        #expect(DoseRules.status(history: history, catalogue: catalogue).level == .primaryComplete)
    }

    @Test func doseNumbersFollowTheHistory() {
        let history = [Self.dose("astrazeneca", 1, on: "2021-08-17")]
        let repeated = errors(check(Self.plan("astrazeneca", 1, on: "2021-10-12"), history))
        #expect(repeated.map(\.field) == ["doseNumber"])
        #expect(repeated.map(\.code) == ["wrong_dose_number"])
        #expect(repeated.first?.message == "This person has had 1 primary dose; the next primary dose is dose 2.")
        #expect(errors(check(Self.plan("pfizer", 2, on: "2021-10-12"), [])).map(\.code) == ["wrong_dose_number"])
        #expect(errors(check(Self.plan("pfizer", 3, on: "2021-10-12"), [])).map(\.code) == ["series_complete"])
    }

    @Test func datesMustFollowBirthAndThePreviousDose() {
        let history = [Self.dose("pfizer", 1, on: "2021-09-01")]
        let sameDay = errors(check(Self.plan("pfizer", 2, on: "2021-09-01"), history))
        #expect(sameDay.contains { $0.field == "administeredAt" && $0.code == "before_previous_dose" })
        let before = errors(check(Self.plan("pfizer", 2, on: "2021-08-01"), history))
        #expect(before.contains { $0.code == "before_previous_dose" })
        let unborn = errors(check(Self.plan("pfizer", 1, on: "2021-08-01"), [], born: "2021-09-01"))
        #expect(unborn.map(\.field) == ["administeredAt"])
        #expect(unborn.map(\.code) == ["before_birth"])
        #expect(errors(check(Self.plan("pfizer", 1, on: "2021-08-01"), [], born: nil)).isEmpty)
    }

    @Test func anUnknownProductIsRefused() {
        let unknown = errors(check(Self.plan("covaxin", 1, on: "2021-08-01"), []))
        #expect(unknown.map(\.field) == ["productCode"])
        #expect(unknown.map(\.code) == ["unknown_product"])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let history = [Self.dose("sinopharm", 1, on: "2021-08-01")]
        let result = errors(check(Self.plan("pfizer", 3, on: "2021-08-05"), history))
        #expect(result.map(\.code) == ["series_complete", "mixing_not_allowed", "too_early"])
    }

    // MARK: - Boosters and additional doses

    var completeSeries: [GivenDose] {
        // Given out of order on purpose: the rules sort the history.
        [Self.dose("sinopharm", 2, on: "2021-12-01"), Self.dose("sinopharm", 1, on: "2021-11-03")]
    }

    @Test func aBoosterNeedsACompletePrimarySeries() {
        let none = errors(check(Self.plan("pfizer", 1, .booster, on: "2022-03-01"), []))
        #expect(none.map(\.field) == ["kind"])
        #expect(none.map(\.code) == ["primary_incomplete"])
        let partial = errors(
            check(Self.plan("pfizer", 2, .additional, on: "2022-03-01"), [Self.dose("sinopharm", 1, on: "2021-11-03")])
        )
        #expect(partial.map(\.code) == ["primary_incomplete"])
    }

    @Test func aBoosterComesThreeMonthsAfterTheLastDose() throws {
        let early = errors(check(Self.plan("moderna", 3, .booster, on: "2022-02-28"), completeSeries))
        #expect(early.map(\.field) == ["administeredAt"])
        #expect(early.map(\.code) == ["too_early"])
        #expect(early.first?.message == "a booster is allowed from 2022-03-01")
        // Any product may be the booster.
        let booster = try check(Self.plan("moderna", 3, .booster, on: "2022-03-01"), completeSeries).get()
        #expect(
            booster == DoseCheck(nextDueDate: Self.day("2022-05-30"), nextKind: .booster, completesPrimarySeries: false)
        )
        let wrongNumber = errors(check(Self.plan("moderna", 2, .booster, on: "2022-03-01"), completeSeries))
        #expect(wrongNumber.map(\.code) == ["wrong_dose_number"])
        #expect(wrongNumber.first?.message == "This person has had 2 doses; a booster is dose 3.")
        // A second booster counts from the first.
        let boosted = completeSeries + [Self.dose("moderna", 3, .booster, on: "2022-03-01")]
        #expect(
            errors(check(Self.plan("pfizer", 4, .booster, on: "2022-05-29"), boosted)).map(\.message)
                == ["a booster is allowed from 2022-05-30"]
        )
        #expect((try? check(Self.plan("pfizer", 4, .booster, on: "2022-05-30"), boosted).get()) != nil)
    }

    @Test func anAdditionalDoseComesTwentyEightDaysAfterThePrimarySeries() {
        let early = errors(check(Self.plan("pfizer", 3, .additional, on: "2021-12-28"), completeSeries))
        #expect(early.map(\.message) == ["an additional dose is allowed from 2021-12-29"])
        #expect((try? check(Self.plan("pfizer", 3, .additional, on: "2021-12-29"), completeSeries).get()) != nil)
    }

    // MARK: - Status

    @Test func statusGoesFromYellowToGreenToBooster() {
        var history: [GivenDose] = []
        var status = DoseRules.status(history: history, catalogue: catalogue)
        #expect(status.level == .notVaccinated)
        #expect(status.colour == "none")
        #expect(status.label == "Chưa tiêm")
        #expect(status.labelEnglish == "Not vaccinated")
        #expect(status.dosesGiven == 0)

        history.append(Self.dose("astrazeneca", 1, on: "2021-08-17"))
        status = DoseRules.status(history: history, catalogue: catalogue)
        #expect(status.level == .partiallyVaccinated)
        #expect(status.level.rawValue == "partially_vaccinated")
        #expect(status.colour == "yellow")
        #expect(status.label == "Đã tiêm 1 mũi")
        #expect(status.labelEnglish == "Partially vaccinated")
        #expect(status.nextDueDate == Self.day("2021-10-12"))
        #expect(status.nextKind == .primary)
        #expect(status.primaryCompletedOn == nil)

        history.append(Self.dose("pfizer", 2, on: "2021-10-12"))
        status = DoseRules.status(history: history, catalogue: catalogue)
        #expect(status.level == .primaryComplete)
        #expect(status.colour == "green")
        #expect(status.label == "Đã hoàn thành mũi cơ bản")
        #expect(status.labelEnglish == "Primary series complete")
        #expect(status.primaryCompletedOn == Self.day("2021-10-12"))
        #expect(status.nextDueDate == Self.day("2022-01-10"))
        #expect(status.nextKind == .booster)
        #expect(status.dosesGiven == 2)

        history.insert(Self.dose("moderna", 3, .booster, on: "2022-01-15"), at: 0)
        status = DoseRules.status(history: history, catalogue: catalogue)
        #expect(status.level == .boosted)
        #expect(status.level.rawValue == "booster")
        #expect(status.colour == "green")
        #expect(status.label == "Đã tiêm mũi nhắc lại")
        #expect(status.labelEnglish == "Booster received")
        #expect(status.dosesGiven == 3)
        #expect(status.primaryCompletedOn == Self.day("2021-10-12"))
        #expect(status.nextDueDate == Self.day("2022-04-15"))
        #expect(status.nextKind == .booster)
    }

    @Test func anAdditionalDoseAfterTheSeriesCountsAsBoosted() {
        let history = completeSeries + [Self.dose("pfizer", 3, .additional, on: "2022-01-01")]
        #expect(DoseRules.status(history: history, catalogue: catalogue).level == .boosted)
    }
}
