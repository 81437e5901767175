/// Turns matched sightings into exposure windows, as the phone's framework does: per diagnosis key and per
/// day, windows of at most 30 minutes, one scan instance per sighting.
public struct ExposureWindowBuilder: Sendable {
    /// Seconds between two scans of the phone (the frameworks scan about every 5 minutes).
    public var scanIntervalSeconds: Int
    public var windowSeconds: Int
    /// Infectiousness for a key's days since onset of symptoms: 2 (high) within `highInfectiousness`, else 1.
    public var highInfectiousness: ClosedRange<Int32>
    /// Report type for keys published without one.
    public var defaultReportType: ReportType

    public init(
        scanIntervalSeconds: Int = 300,
        windowSeconds: Int = 1800,
        highInfectiousness: ClosedRange<Int32> = -2...5,
        defaultReportType: ReportType = .confirmedTest
    ) {
        self.scanIntervalSeconds = scanIntervalSeconds
        self.windowSeconds = windowSeconds
        self.highInfectiousness = highInfectiousness
        self.defaultReportType = defaultReportType
    }

    /// - Parameter today: the phone's current Unix time; a window's age is counted in UTC days from it.
    public func windows(from matches: [KeyMatch], today: Int64) -> [ExposureWindow] {
        let todayDay = ExposureNotification.floorDivide(today, 86_400)
        let byKey = Dictionary(grouping: matches, by: \.key)
        var windows: [ExposureWindow] = []
        for (key, keyMatches) in byKey {
            let sorted = keyMatches.map(\.sighting).sorted { $0.unixSeconds < $1.unixSeconds }
            var current: [Sighting] = []
            func flush() {
                guard let first = current.first else { return }
                var previous: Int64? = nil
                let scans = current.map { sighting -> ScanInstance in
                    let gap = previous.map { Int(sighting.unixSeconds - $0) } ?? scanIntervalSeconds
                    previous = sighting.unixSeconds
                    return ScanInstance(
                        minAttenuation: sighting.attenuation,
                        typicalAttenuation: sighting.attenuation,
                        secondsSinceLastScan: min(max(gap, 0), scanIntervalSeconds)
                    )
                }
                let infectiousness = key.daysSinceOnsetOfSymptoms.map { highInfectiousness.contains($0) ? 2 : 1 } ?? 1
                windows.append(
                    ExposureWindow(
                        ageInDays: Int(todayDay - ExposureNotification.floorDivide(first.unixSeconds, 86_400)),
                        reportType: Int(
                            (key.reportType.flatMap { $0 == .unknown ? nil : $0 } ?? defaultReportType).rawValue
                        ),
                        infectiousness: infectiousness,
                        calibrationConfidence: 0,
                        scanInstances: scans
                    )
                )
                current = []
            }
            for sighting in sorted {
                if let first = current.first,
                    sighting.unixSeconds - first.unixSeconds >= Int64(windowSeconds)
                        || ExposureNotification.floorDivide(sighting.unixSeconds, 86_400)
                            != ExposureNotification.floorDivide(first.unixSeconds, 86_400)
                {
                    flush()
                }
                current.append(sighting)
            }
            flush()
        }
        return windows.sorted { ($0.ageInDays, $0.scanInstances.count) < ($1.ageInDays, $1.scanInstances.count) }
    }
}
