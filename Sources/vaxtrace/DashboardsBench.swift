import ArgumentParser
import Foundation
import Logging
import VaxDomain
import VaxServer
import VaxStorage

/// Issue #8's benchmark: a synthetic Thái Nguyên (1.3 million people, about 2.6 million doses) on
/// PostgreSQL; every dashboard view timed for the province and its units through `DashboardService`
/// (rollups only), next to the same figures computed with a plain GROUP BY over the person-level
/// tables in the same run.
struct DashboardsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboards",
        abstract:
            "Seed a synthetic province on PostgreSQL, then time each dashboard against a GROUP BY over person-level rows."
    )

    @Option(help: "People of the synthetic province (the issue: 1,300,000).")
    var people = 1_300_000

    @Option(help: "The 2025 province code.")
    var province = "19"

    @Option(help: "Timed requests per view.")
    var requests = 200

    @Option(help: "Timed runs of each person-level reference query.")
    var referenceRuns = 5

    @Option(help: "PostgreSQL server (postgres://…); a throwaway schema is created and dropped.")
    var postgresURL: String

    @Option(help: "Use this schema (kept) instead of a throwaway one; seeded only when empty.")
    var schema: String?

    func run() async throws {
        var quiet = Logger(label: "vaxtrace.bench")
        quiet.logLevel = .warning
        let logger = quiet
        let name = schema ?? "bench_dashboards_\(getpid())"
        let base = try DatabaseLocation(url: postgresURL)
        try await VaxDatabase.withDatabase(base, logger: logger) { database in
            try await database.write { try await $0.raw("CREATE SCHEMA IF NOT EXISTS \(ident: name)").run() }
        }
        let separator = postgresURL.contains("?") ? "&" : "?"
        let location = try DatabaseLocation(url: postgresURL + separator + "schema=" + name)
        // Synthetic people only: a key made for this run seals their (fake) ID numbers.
        let vault = try NationalIDVault(base64Key: NationalIDVault.generateBase64Key())
        do {
            try await VaxDatabase.withDatabase(location, logger: logger) { database in
                try await measure(database, vault: vault, logger: logger)
            }
        } catch {
            print("failed: \(String(reflecting: error))")
        }
        if schema == nil {
            try await VaxDatabase.withDatabase(base, logger: logger) { database in
                try await database.write { try await $0.raw("DROP SCHEMA \(ident: name) CASCADE").run() }
            }
        }
    }

    private func measure(_ database: VaxDatabase, vault: NationalIDVault, logger: Logger) async throws {
        try await MigrationRunner().migrate(database, logger: logger)
        try await ReferenceDataImporter().importAll(into: database)
        let clock = ContinuousClock()
        let seeded = try await database.textRows(
            "SELECT id FROM facilities WHERE id LIKE 'SYN-%' LIMIT 1",
            columns: ["id"]
        )
        if seeded.isEmpty {
            let started = clock.now
            let summary = try await SyntheticProvince(province: province, people: people).run(
                database: database,
                vault: vault
            ) { say($0) }
            say("seeded in \(started.duration(to: clock.now)): \(summary)")
        }
        try await database.write { try await $0.raw("ANALYZE").run() }
        let counts = try await database.textRows(
            "SELECT (SELECT COUNT(*) FROM people)::text AS people, (SELECT COUNT(*) FROM doses)::text AS doses",
            columns: ["people", "doses"]
        )
        say("people \(counts[0][0] ?? "?"), doses \(counts[0][1] ?? "?")")

        let dashboards = DashboardService.over(database, vault: vault)
        let actor = Actor(
            principal: Principal(subject: "bench", role: .systemAdmin, scope: .all),
            requestID: "bench",
            reason: "benchmark"
        )
        let districts = try await database.textRows(
            "SELECT DISTINCT old_district_code FROM unit_conversions WHERE new_province_code = '\(province)' ORDER BY 1",
            columns: ["old_district_code"]
        ).compactMap { $0[0] }
        let communes = try await database.textRows(
            "SELECT code FROM admin_units WHERE scheme = '2025' AND parent_code = '\(province)' ORDER BY code",
            columns: ["code"]
        ).compactMap { $0[0] }
        // Each request asks for one unit: the province, a district or a commune, in turn.
        let units = [province] + districts + communes
        let views: [(String, DashboardView, DashboardQuery)] = [
            ("coverage by unit (2025 communes)", .coverage, DashboardQuery(by: "unit", scheme: "2025")),
            ("coverage by unit (2021 districts)", .coverage, DashboardQuery(by: "unit", scheme: "2021")),
            ("coverage by priority group", .coverage, DashboardQuery(by: "group")),
            ("coverage by product", .coverage, DashboardQuery(by: "product")),
            ("doses per day, 300 days", .dosesPerDay, DashboardQuery(from: LocalDate(at: Date()).adding(days: -300))),
            ("drop-out", .dropout, DashboardQuery()),
            ("vaccine quality", .vaccineQuality, DashboardQuery()),
            ("stock", .stock, DashboardQuery()),
            ("completeness, 7 days", .completeness, DashboardQuery()),
            ("organisations", .organisations, DashboardQuery()),
            ("pipeline, 30 days", .pipeline, DashboardQuery()),
            ("daily report", .dailyReport, DashboardQuery()),
        ]
        // A running server has looked its units up before (names, parents, children: units change only
        // with a law); one untimed pass over every unit and view does that here.
        for unit in units {
            for (_, view, query) in views { _ = try await dashboards.table(view, unit: unit, query: query, by: actor) }
        }
        say(
            "dashboards over rollups: \(requests) requests per view, units in turn (\(units.count) units), after one untimed pass"
        )
        var worst = 0.0
        for (label, view, query) in views {
            var times: [Double] = []
            var provinceTimes: [Double] = []
            for i in 0..<requests {
                let unit = i % 4 == 0 ? province : units[i % units.count]
                let started = clock.now
                _ = try await dashboards.table(view, unit: unit, query: query, by: actor)
                times.append(Self.milliseconds(started.duration(to: clock.now)))
                if unit == province { provinceTimes.append(times[times.count - 1]) }
            }
            times.sort()
            provinceTimes.sort()
            let p95 = Self.percentile(times, 0.95)
            worst = max(worst, p95)
            // The province's own requests beside: they read the most rows, and make most of the slow ones.
            say(
                "  \(label.padding(toLength: 36, withPad: " ", startingAt: 0)) p50 \(Self.format(Self.percentile(times, 0.5))) ms, p95 \(Self.format(p95)) ms"
                    + " (the province alone: p50 \(Self.format(Self.percentile(provinceTimes, 0.5))) ms, p95 \(Self.format(Self.percentile(provinceTimes, 0.95))) ms)"
            )
        }
        say("worst p95 over rollups: \(Self.format(worst)) ms (target < 20 ms)")
        // The drop-out reads whole months from the monthly rows: the same totals as from the daily rows.
        let monthly = try await dashboards.table(.dropout, unit: province, query: DashboardQuery(), by: actor)
        let daily = try await dashboards.table(
            .dropout,
            unit: province,
            query: DashboardQuery(from: LocalDate(year: 2000, month: 1, day: 1)),
            by: actor
        )
        let same = monthly.rows == daily.rows
        say(
            "drop-out of the province by months and by days: \(same ? "equal" : "DIFFERENT") (total: \(monthly.rows.last ?? []))"
        )

        // The reference: the same figures for the province from person-level rows.
        let rollups = RollupStore(database: database)
        guard let area = try await IdentityStore(database: database).area(ofUnit: province) else { return }
        func time(_ body: () async throws -> Void) async throws -> [Double] {
            var times: [Double] = []
            for _ in 0..<referenceRuns {
                let started = clock.now
                try await body()
                times.append(Self.milliseconds(started.duration(to: clock.now)))
            }
            return times.sorted()
        }
        let referenceDays = try await time { _ = try await rollups.referenceDosesPerDay(area: area) }
        let referenceCoverage = try await time { _ = try await rollups.referenceCoverage(area: area) }
        let rollupDays = try await time {
            _ = try await dashboards.table(
                .dosesPerDay,
                unit: province,
                query: DashboardQuery(from: LocalDate(at: Date()).adding(days: -300)),
                by: actor
            )
        }
        let rollupCoverage = try await time {
            _ = try await dashboards.table(.coverage, unit: province, query: DashboardQuery(by: "group"), by: actor)
        }
        func report(_ label: String, _ plain: [Double], _ rolled: [Double]) {
            let a = plain[plain.count / 2]
            let b = rolled[rolled.count / 2]
            say(
                "  \(label): GROUP BY over people and doses \(Self.format(a)) ms, rollups \(Self.format(b)) ms, ratio \(Self.format(a / max(b, 0.001)))×"
            )
        }
        say("the province from person-level rows (median of \(referenceRuns) runs) against the rollups:")
        report("doses per day by dose", referenceDays, rollupDays)
        report("coverage by group, product, dose", referenceCoverage, rollupCoverage)
    }

    /// The value at fraction `q` of sorted `times` (0 when there are none).
    static func percentile(_ times: [Double], _ q: Double) -> Double {
        times.isEmpty ? 0 : times[min(times.count - 1, Int(Double(times.count) * q))]
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return String(rounded)
    }
}
