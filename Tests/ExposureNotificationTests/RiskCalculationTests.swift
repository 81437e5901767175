import ExposureNotification
import Foundation
import Testing

/// Every case of both Corona-Warn-App exposure-window risk-calculation test files.
@Suite struct RiskCalculationTests {
    struct TestFile: Decodable {
        struct Case: Decodable {
            var description: String
            var exposureWindows: [ExposureWindow]
            var expTotalRiskLevel: Int
            var expTotalMinimumDistinctEncountersWithLowRisk: Int
            var expTotalMinimumDistinctEncountersWithHighRisk: Int
            var expAgeOfMostRecentDateWithLowRisk: Int?
            var expAgeOfMostRecentDateWithHighRisk: Int?
            var expNumberOfDaysWithLowRisk: Int
            var expNumberOfDaysWithHighRisk: Int

            var expected: RiskCalculationResult {
                RiskCalculationResult(
                    totalRiskLevel: expTotalRiskLevel,
                    totalMinimumDistinctEncountersWithLowRisk: expTotalMinimumDistinctEncountersWithLowRisk,
                    totalMinimumDistinctEncountersWithHighRisk: expTotalMinimumDistinctEncountersWithHighRisk,
                    ageOfMostRecentDateWithLowRisk: expAgeOfMostRecentDateWithLowRisk,
                    ageOfMostRecentDateWithHighRisk: expAgeOfMostRecentDateWithHighRisk,
                    numberOfDaysWithLowRisk: expNumberOfDaysWithLowRisk,
                    numberOfDaysWithHighRisk: expNumberOfDaysWithHighRisk
                )
            }
        }
        var defaultRiskCalculationConfiguration: RiskCalculationParameters
        var testCases: [Case]
    }

    static func load(_ name: String) throws -> TestFile {
        try JSONDecoder().decode(TestFile.self, from: fixture(name))
    }

    static func failures(_ file: TestFile, round: Bool?) throws -> [String] {
        var parameters = file.defaultRiskCalculationConfiguration
        parameters.roundNormalizedTimePerDay = round
        let calculation = RiskCalculation(parameters: parameters)
        return try file.testCases.compactMap { testCase in
            let actual = try calculation.calculate(testCase.exposureWindows)
            return actual == testCase.expected
                ? nil : "\(testCase.description): got \(actual), expected \(testCase.expected)"
        }
    }

    static let newer = "cwa_android_exposure-windows-risk-calculation.HEAD.json"
    static let march2021 = "cwa_android_exposure-windows-risk-calculation.v2config_2021-03.json"

    /// Both files pass with the default parameters (no per-day rounding).
    @Test(arguments: [newer, march2021])
    func everyCasePassesWithTheDefaultParameters(_ name: String) throws {
        let file = try Self.load(name)
        #expect(file.testCases.count >= 28)
        let failures = try Self.failures(file, round: nil)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }

    /// Rounding is what the files decide against: with it, the March 2021 file fails exactly its 14.983 case;
    /// the newer file passes either way.
    @Test func theFilesDecideTheRoundingDefault() throws {
        let older = try Self.failures(try Self.load(Self.march2021), round: true)
        #expect(older.count == 1)
        #expect(older.first?.hasPrefix("identify Exposure Window as Low Risk based on normalizedTime (< 15)") == true)
        #expect(try Self.failures(try Self.load(Self.newer), round: true).isEmpty)
    }

    /// With rounding on, a day of three 3-minute windows at 1.2 (10.799999… in floating point) reaches 10.8.
    @Test func roundingLiftsADayThatFloatingPointLeavesJustShort() throws {
        var parameters = try Self.load(Self.newer).defaultRiskCalculationConfiguration
        parameters.minutesAtAttenuationWeights = [.init(attenuationRange: .init(min: 0, max: 100), weight: 1)]
        parameters.normalizedTimePerEWToRiskLevelMapping = [
            .init(normalizedTimeRange: .init(min: 0, max: 100), riskLevel: 1)
        ]
        parameters.normalizedTimePerDayToRiskLevelMapping = [
            .init(normalizedTimeRange: .init(min: 0, max: 10.8, maxExclusive: true), riskLevel: 1),
            .init(normalizedTimeRange: .init(min: 10.8, max: 1000), riskLevel: 2),
        ]
        // Clinical diagnosis (4) + high infectiousness (2) = TRL 6, worth 1.2.
        let window = ExposureWindow(
            ageInDays: 2,
            reportType: 2,
            infectiousness: 2,
            calibrationConfidence: 1,
            scanInstances: [ScanInstance(minAttenuation: 50, typicalAttenuation: 50, secondsSinceLastScan: 180)]
        )
        let windows = [window, window, window]
        parameters.roundNormalizedTimePerDay = false
        #expect(try RiskCalculation(parameters: parameters).calculate(windows).totalRiskLevel == 1)
        parameters.roundNormalizedTimePerDay = true
        let rounded = try RiskCalculation(parameters: parameters).calculate(windows)
        #expect(rounded.totalRiskLevel == 2)
        #expect(rounded.ageOfMostRecentDateWithHighRisk == 2)
        #expect(rounded.totalMinimumDistinctEncountersWithLowRisk == 1)  // three windows, one TRL/confidence pair
    }

    @Test func theBuiltInParametersAreTheNewerFilesDefault() throws {
        #expect(
            try Self.load(Self.newer).defaultRiskCalculationConfiguration == RiskCalculationParameters.coronaWarnApp
        )
    }

    /// Minutes at an attenuation are fractional, as in the app: 630 s is 10.5 minutes, outside 0…10.
    @Test func theMinutesFilterCountsFractionsOfAMinute() throws {
        var parameters = RiskCalculationParameters.coronaWarnApp
        parameters.minutesAtAttenuationFilters = [
            .init(attenuationRange: .init(min: 0, max: 73), dropIfMinutesInRange: .init(min: 0, max: 10))
        ]
        func window(_ seconds: Int) -> ExposureWindow {
            ExposureWindow(
                ageInDays: 1,
                reportType: 1,
                infectiousness: 2,
                calibrationConfidence: 0,
                scanInstances: [ScanInstance(minAttenuation: 50, typicalAttenuation: 50, secondsSinceLastScan: seconds)]
            )
        }
        let calculation = RiskCalculation(parameters: parameters)
        #expect(try calculation.evaluate(window(600)) == nil)
        #expect(try calculation.evaluate(window(630)) != nil)
    }

    @Test func anUnknownReportTypeIsAnError() throws {
        let file = try Self.load("cwa_android_exposure-windows-risk-calculation.HEAD.json")
        let calculation = RiskCalculation(parameters: file.defaultRiskCalculationConfiguration)
        let window = ExposureWindow(
            ageInDays: 0,
            reportType: 0,
            infectiousness: 1,
            calibrationConfidence: 0,
            scanInstances: [ScanInstance(minAttenuation: 40, typicalAttenuation: 40, secondsSinceLastScan: 300)]
        )
        #expect(throws: RiskCalculationError.unknownReportType(0)) { try calculation.calculate([window]) }
    }
}
