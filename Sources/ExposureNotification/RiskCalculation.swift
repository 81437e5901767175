#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One scan of an exposure window: attenuations in dB and the seconds since the previous scan.
public struct ScanInstance: Codable, Hashable, Sendable {
    public var minAttenuation: Int
    public var typicalAttenuation: Int
    public var secondsSinceLastScan: Int

    public init(minAttenuation: Int, typicalAttenuation: Int, secondsSinceLastScan: Int) {
        self.minAttenuation = minAttenuation
        self.typicalAttenuation = typicalAttenuation
        self.secondsSinceLastScan = secondsSinceLastScan
    }
}

/// Up to 30 minutes of sightings of one diagnosis key on one day, in the Corona-Warn-App test files' shape.
public struct ExposureWindow: Codable, Hashable, Sendable {
    /// Days between the window's date and today (0 = today).
    public var ageInDays: Int
    /// ReportType raw value (1 confirmed test, 2 clinical diagnosis, 3 self report, 4 recursive).
    public var reportType: Int
    /// 1 standard, 2 high.
    public var infectiousness: Int
    public var calibrationConfidence: Int
    public var scanInstances: [ScanInstance]

    public init(
        ageInDays: Int,
        reportType: Int,
        infectiousness: Int,
        calibrationConfidence: Int,
        scanInstances: [ScanInstance]
    ) {
        self.ageInDays = ageInDays
        self.reportType = reportType
        self.infectiousness = infectiousness
        self.calibrationConfidence = calibrationConfidence
        self.scanInstances = scanInstances
    }
}

/// The Corona-Warn-App risk calculation parameters (`defaultRiskCalculationConfiguration` of the test files,
/// `RiskCalculationParameters` of its app configuration), plus whether the per-day normalised time is rounded.
public struct RiskCalculationParameters: Codable, Hashable, Sendable {
    public struct Range: Codable, Hashable, Sendable {
        public var min: Double
        public var max: Double
        public var minExclusive: Bool?
        public var maxExclusive: Bool?

        public init(min: Double, max: Double, minExclusive: Bool? = nil, maxExclusive: Bool? = nil) {
            self.min = min
            self.max = max
            self.minExclusive = minExclusive
            self.maxExclusive = maxExclusive
        }

        public func contains(_ value: Double) -> Bool {
            if minExclusive == true ? value <= min : value < min { return false }
            if maxExclusive == true ? value >= max : value > max { return false }
            return true
        }
    }

    public struct MinutesAtAttenuationFilter: Codable, Hashable, Sendable {
        public var attenuationRange: Range
        public var dropIfMinutesInRange: Range

        public init(attenuationRange: Range, dropIfMinutesInRange: Range) {
            self.attenuationRange = attenuationRange
            self.dropIfMinutesInRange = dropIfMinutesInRange
        }
    }

    public struct TRLFilter: Codable, Hashable, Sendable {
        public var dropIfTrlInRange: Range
    }

    public struct MinutesAtAttenuationWeight: Codable, Hashable, Sendable {
        public var attenuationRange: Range
        public var weight: Double

        public init(attenuationRange: Range, weight: Double) {
            self.attenuationRange = attenuationRange
            self.weight = weight
        }
    }

    public struct NormalizedTimeToRiskLevel: Codable, Hashable, Sendable {
        public var normalizedTimeRange: Range
        /// 1 low, 2 high.
        public var riskLevel: Int

        public init(normalizedTimeRange: Range, riskLevel: Int) {
            self.normalizedTimeRange = normalizedTimeRange
            self.riskLevel = riskLevel
        }
    }

    public struct TRLEncoding: Codable, Hashable, Sendable {
        public var infectiousnessOffsetStandard: Int
        public var infectiousnessOffsetHigh: Int
        public var reportTypeOffsetRecursive: Int
        public var reportTypeOffsetSelfReport: Int
        public var reportTypeOffsetConfirmedClinicalDiagnosis: Int
        public var reportTypeOffsetConfirmedTest: Int

        public init(
            infectiousnessOffsetStandard: Int,
            infectiousnessOffsetHigh: Int,
            reportTypeOffsetRecursive: Int,
            reportTypeOffsetSelfReport: Int,
            reportTypeOffsetConfirmedClinicalDiagnosis: Int,
            reportTypeOffsetConfirmedTest: Int
        ) {
            self.infectiousnessOffsetStandard = infectiousnessOffsetStandard
            self.infectiousnessOffsetHigh = infectiousnessOffsetHigh
            self.reportTypeOffsetRecursive = reportTypeOffsetRecursive
            self.reportTypeOffsetSelfReport = reportTypeOffsetSelfReport
            self.reportTypeOffsetConfirmedClinicalDiagnosis = reportTypeOffsetConfirmedClinicalDiagnosis
            self.reportTypeOffsetConfirmedTest = reportTypeOffsetConfirmedTest
        }
    }

    public struct TransmissionRiskValue: Codable, Hashable, Sendable {
        public var transmissionRiskLevel: Int
        public var transmissionRiskValue: Double

        public init(transmissionRiskLevel: Int, transmissionRiskValue: Double) {
            self.transmissionRiskLevel = transmissionRiskLevel
            self.transmissionRiskValue = transmissionRiskValue
        }
    }

    public var minutesAtAttenuationFilters: [MinutesAtAttenuationFilter]
    public var trlFilters: [TRLFilter]
    public var minutesAtAttenuationWeights: [MinutesAtAttenuationWeight]
    public var normalizedTimePerEWToRiskLevelMapping: [NormalizedTimeToRiskLevel]
    public var normalizedTimePerDayToRiskLevelMapping: [NormalizedTimeToRiskLevel]
    public var trlEncoding: TRLEncoding
    public var transmissionRiskValueMapping: [TransmissionRiskValue]
    /// Round each day's normalised time to one decimal before mapping it to a risk level, as the newer Android
    /// app does (1.2 × 3 minutes comes out as 3.5999999 in floating point, so a day meant to be 10.8 falls short).
    /// Absent means false, as the test files decide: the March 2021 file expects a day of 14.983 to stay below
    /// 15 (rounding would make it 15.0, high), and the newer file passes either way in this arithmetic.
    public var roundNormalizedTimePerDay: Bool?

    public static let lowRisk = 1
    public static let highRisk = 2

    public init(
        minutesAtAttenuationFilters: [MinutesAtAttenuationFilter],
        trlFilters: [TRLFilter],
        minutesAtAttenuationWeights: [MinutesAtAttenuationWeight],
        normalizedTimePerEWToRiskLevelMapping: [NormalizedTimeToRiskLevel],
        normalizedTimePerDayToRiskLevelMapping: [NormalizedTimeToRiskLevel],
        trlEncoding: TRLEncoding,
        transmissionRiskValueMapping: [TransmissionRiskValue],
        roundNormalizedTimePerDay: Bool?
    ) {
        self.minutesAtAttenuationFilters = minutesAtAttenuationFilters
        self.trlFilters = trlFilters
        self.minutesAtAttenuationWeights = minutesAtAttenuationWeights
        self.normalizedTimePerEWToRiskLevelMapping = normalizedTimePerEWToRiskLevelMapping
        self.normalizedTimePerDayToRiskLevelMapping = normalizedTimePerDayToRiskLevelMapping
        self.trlEncoding = trlEncoding
        self.transmissionRiskValueMapping = transmissionRiskValueMapping
        self.roundNormalizedTimePerDay = roundNormalizedTimePerDay
    }
}

/// The outcome, with the names the Corona-Warn-App test files use (without their `exp` prefix).
public struct RiskCalculationResult: Codable, Hashable, Sendable {
    /// 1 low, 2 high.
    public var totalRiskLevel: Int
    public var totalMinimumDistinctEncountersWithLowRisk: Int
    public var totalMinimumDistinctEncountersWithHighRisk: Int
    public var ageOfMostRecentDateWithLowRisk: Int?
    public var ageOfMostRecentDateWithHighRisk: Int?
    public var numberOfDaysWithLowRisk: Int
    public var numberOfDaysWithHighRisk: Int

    public init(
        totalRiskLevel: Int,
        totalMinimumDistinctEncountersWithLowRisk: Int,
        totalMinimumDistinctEncountersWithHighRisk: Int,
        ageOfMostRecentDateWithLowRisk: Int?,
        ageOfMostRecentDateWithHighRisk: Int?,
        numberOfDaysWithLowRisk: Int,
        numberOfDaysWithHighRisk: Int
    ) {
        self.totalRiskLevel = totalRiskLevel
        self.totalMinimumDistinctEncountersWithLowRisk = totalMinimumDistinctEncountersWithLowRisk
        self.totalMinimumDistinctEncountersWithHighRisk = totalMinimumDistinctEncountersWithHighRisk
        self.ageOfMostRecentDateWithLowRisk = ageOfMostRecentDateWithLowRisk
        self.ageOfMostRecentDateWithHighRisk = ageOfMostRecentDateWithHighRisk
        self.numberOfDaysWithLowRisk = numberOfDaysWithLowRisk
        self.numberOfDaysWithHighRisk = numberOfDaysWithHighRisk
    }

    enum CodingKeys: String, CodingKey {
        case totalRiskLevel, totalMinimumDistinctEncountersWithLowRisk, totalMinimumDistinctEncountersWithHighRisk
        case ageOfMostRecentDateWithLowRisk, ageOfMostRecentDateWithHighRisk, numberOfDaysWithLowRisk,
            numberOfDaysWithHighRisk
    }

    /// Writes null for a missing age, as the test files do.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(totalRiskLevel, forKey: .totalRiskLevel)
        try container.encode(
            totalMinimumDistinctEncountersWithLowRisk,
            forKey: .totalMinimumDistinctEncountersWithLowRisk
        )
        try container.encode(
            totalMinimumDistinctEncountersWithHighRisk,
            forKey: .totalMinimumDistinctEncountersWithHighRisk
        )
        try container.encode(ageOfMostRecentDateWithLowRisk, forKey: .ageOfMostRecentDateWithLowRisk)
        try container.encode(ageOfMostRecentDateWithHighRisk, forKey: .ageOfMostRecentDateWithHighRisk)
        try container.encode(numberOfDaysWithLowRisk, forKey: .numberOfDaysWithLowRisk)
        try container.encode(numberOfDaysWithHighRisk, forKey: .numberOfDaysWithHighRisk)
    }
}

/// What makes a calculation impossible: the configuration does not cover a value it must.
public enum RiskCalculationError: Error, Equatable, CustomStringConvertible, Sendable {
    case unknownReportType(Int)

    public var description: String {
        switch self {
        case .unknownReportType(let value): "exposure window has the unknown report type \(value)"
        }
    }
}

/// The Corona-Warn-App exposure-window risk calculation (cwa-app-android `DefaultRiskLevels`), every
/// threshold taken from the parameters.
public struct RiskCalculation: Sendable {
    public var parameters: RiskCalculationParameters

    public init(parameters: RiskCalculationParameters) { self.parameters = parameters }

    /// The per-window result: nil when a filter drops the window or no risk level covers its normalised time.
    public struct WindowResult: Hashable, Sendable {
        public var transmissionRiskLevel: Int
        public var normalizedTime: Double
        public var riskLevel: Int
    }

    public func evaluate(_ window: ExposureWindow) throws(RiskCalculationError) -> WindowResult? {
        for filter in parameters.minutesAtAttenuationFilters {
            let seconds = window.scanInstances
                .filter { filter.attenuationRange.contains(Double($0.minAttenuation)) }
                .reduce(0) { $0 + max(0, $1.secondsSinceLastScan) }
            if filter.dropIfMinutesInRange.contains(Double(seconds) / 60) { return nil }
        }
        let encoding = parameters.trlEncoding
        let reportOffset: Int
        switch Int32(clamping: window.reportType) {
        case ReportType.recursive.rawValue: reportOffset = encoding.reportTypeOffsetRecursive
        case ReportType.selfReport.rawValue: reportOffset = encoding.reportTypeOffsetSelfReport
        case ReportType.confirmedClinicalDiagnosis.rawValue:
            reportOffset = encoding.reportTypeOffsetConfirmedClinicalDiagnosis
        case ReportType.confirmedTest.rawValue: reportOffset = encoding.reportTypeOffsetConfirmedTest
        default: throw .unknownReportType(window.reportType)
        }
        let infectiousnessOffset =
            window.infectiousness == 2 ? encoding.infectiousnessOffsetHigh : encoding.infectiousnessOffsetStandard
        let trl = reportOffset + infectiousnessOffset
        if parameters.trlFilters.contains(where: { $0.dropIfTrlInRange.contains(Double(trl)) }) { return nil }
        let transmissionRiskValue =
            parameters.transmissionRiskValueMapping.first { $0.transmissionRiskLevel == trl }?.transmissionRiskValue
            ?? 0
        let weightedSeconds = window.scanInstances.reduce(0.0) { sum, scan in
            let weight =
                parameters.minutesAtAttenuationWeights.first {
                    $0.attenuationRange.contains(Double(scan.minAttenuation))
                }?.weight
                ?? 0
            return sum + Double(max(0, scan.secondsSinceLastScan)) * weight
        }
        // In the app's order of operations (minutes first), so floating-point results agree with its test files.
        let normalizedTime = transmissionRiskValue * (weightedSeconds / 60)
        guard let level = Self.level(normalizedTime, parameters.normalizedTimePerEWToRiskLevelMapping) else {
            return nil
        }
        return WindowResult(transmissionRiskLevel: trl, normalizedTime: normalizedTime, riskLevel: level)
    }

    public func calculate(_ windows: [ExposureWindow]) throws(RiskCalculationError) -> RiskCalculationResult {
        var byDay: [Int: [(window: ExposureWindow, result: WindowResult)]] = [:]
        for window in windows {
            if let result = try evaluate(window) { byDay[window.ageInDays, default: []].append((window, result)) }
        }
        var result = RiskCalculationResult(
            totalRiskLevel: RiskCalculationParameters.lowRisk,
            totalMinimumDistinctEncountersWithLowRisk: 0,
            totalMinimumDistinctEncountersWithHighRisk: 0,
            ageOfMostRecentDateWithLowRisk: nil,
            ageOfMostRecentDateWithHighRisk: nil,
            numberOfDaysWithLowRisk: 0,
            numberOfDaysWithHighRisk: 0
        )
        for (age, entries) in byDay {
            var normalizedTime = entries.reduce(0.0) { $0 + $1.result.normalizedTime }
            if parameters.roundNormalizedTimePerDay ?? false { normalizedTime = (normalizedTime * 10).rounded() / 10 }
            let dayLevel = Self.level(normalizedTime, parameters.normalizedTimePerDayToRiskLevelMapping)
            func distinctEncounters(_ level: Int) -> Int {
                Set(
                    entries.filter { $0.result.riskLevel == level }.map {
                        "\($0.result.transmissionRiskLevel)_\($0.window.calibrationConfidence)"
                    }
                ).count
            }
            // A day below every risk level counts for nothing, its encounters included.
            guard dayLevel != nil else { continue }
            result.totalMinimumDistinctEncountersWithLowRisk += distinctEncounters(RiskCalculationParameters.lowRisk)
            result.totalMinimumDistinctEncountersWithHighRisk += distinctEncounters(RiskCalculationParameters.highRisk)
            switch dayLevel {
            case RiskCalculationParameters.highRisk:
                result.totalRiskLevel = RiskCalculationParameters.highRisk
                result.numberOfDaysWithHighRisk += 1
                result.ageOfMostRecentDateWithHighRisk = min(result.ageOfMostRecentDateWithHighRisk ?? age, age)
            case RiskCalculationParameters.lowRisk:
                result.numberOfDaysWithLowRisk += 1
                result.ageOfMostRecentDateWithLowRisk = min(result.ageOfMostRecentDateWithLowRisk ?? age, age)
            default: break
            }
        }
        return result
    }

    static func level(
        _ normalizedTime: Double,
        _ mapping: [RiskCalculationParameters.NormalizedTimeToRiskLevel]
    ) -> Int? {
        mapping.first { $0.normalizedTimeRange.contains(normalizedTime) }?.riskLevel
    }
}

extension RiskCalculationParameters {
    /// The Corona-Warn-App production parameters (its server's `v2_risk-calculation-parameters.yaml`, the
    /// `defaultRiskCalculationConfiguration` of its newer test file): a starting point a province tunes with
    /// `vaxtrace en simulate`.
    public static let coronaWarnApp = RiskCalculationParameters(
        minutesAtAttenuationFilters: [],
        trlFilters: [],
        minutesAtAttenuationWeights: [
            .init(attenuationRange: .init(min: 0, max: 63, maxExclusive: true), weight: 0.8),
            .init(attenuationRange: .init(min: 63, max: 73, maxExclusive: true), weight: 1),
            .init(attenuationRange: .init(min: 73, max: 79, maxExclusive: true), weight: 0.1),
        ],
        normalizedTimePerEWToRiskLevelMapping: [
            .init(normalizedTimeRange: .init(min: 0, max: 9, maxExclusive: true), riskLevel: lowRisk),
            .init(normalizedTimeRange: .init(min: 9, max: 9999), riskLevel: highRisk),
        ],
        normalizedTimePerDayToRiskLevelMapping: [
            .init(normalizedTimeRange: .init(min: 5, max: 9, maxExclusive: true), riskLevel: lowRisk),
            .init(normalizedTimeRange: .init(min: 9, max: 99999), riskLevel: highRisk),
        ],
        trlEncoding: TRLEncoding(
            infectiousnessOffsetStandard: 1,
            infectiousnessOffsetHigh: 2,
            reportTypeOffsetRecursive: 0,
            reportTypeOffsetSelfReport: 2,
            reportTypeOffsetConfirmedClinicalDiagnosis: 4,
            reportTypeOffsetConfirmedTest: 6
        ),
        transmissionRiskValueMapping: [
            .init(transmissionRiskLevel: 1, transmissionRiskValue: 0),
            .init(transmissionRiskLevel: 2, transmissionRiskValue: 0),
            .init(transmissionRiskLevel: 3, transmissionRiskValue: 0.6),
            .init(transmissionRiskLevel: 4, transmissionRiskValue: 0.8),
            .init(transmissionRiskLevel: 5, transmissionRiskValue: 1),
            .init(transmissionRiskLevel: 6, transmissionRiskValue: 1.2),
            .init(transmissionRiskLevel: 7, transmissionRiskValue: 1.4),
            .init(transmissionRiskLevel: 8, transmissionRiskValue: 1.6),
        ],
        roundNormalizedTimePerDay: nil
    )
}
