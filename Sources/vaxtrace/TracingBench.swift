import ArgumentParser
import Foundation
import Logging
import SQLKit
import VaxDomain
import VaxServer
import VaxStorage

/// The tracing query of issue #6: one confirmed case's check-ins over 14 days, then everyone at the
/// same venues within the widened stays, with tens of millions of check-ins stored (PostgreSQL,
/// partitioned by day). The queries are the ones `TracingService` runs.
struct TracingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tracing",
        abstract: "Store N check-ins over 21 days on PostgreSQL, then time the contact search of one case over 14 days."
    )

    @Option(help: "Check-ins to store (the issue: 50,000,000).")
    var checkins = 50_000_000

    @Option(help: "Venues they are spread over.")
    var venues = 50_000

    @Option(help: "Distinct visitors (phones).")
    var visitors = 2_000_000

    @Option(help: "Cases to trace (timed one by one).")
    var cases = 300

    @Option(help: "PostgreSQL server (postgres://…); a throwaway schema is created and dropped.")
    var postgresURL: String

    @Flag(help: "Keep the schema (to run the queries again).")
    var keep = false

    @Option(
        help: """
            Use this schema and keep it: load the check-ins only when it has none yet, so that later runs \
            time the queries on the same data without loading it again.
            """
    )
    var schema: String?

    func run() async throws {
        var quiet = Logger(label: "vaxtrace.bench")
        quiet.logLevel = .warning
        let logger = quiet
        let schema = self.schema ?? "bench_tracing_\(getpid())"
        let base = try DatabaseLocation(url: postgresURL)
        try await VaxDatabase.withDatabase(base, logger: logger) { database in
            try await database.write { try await $0.raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run() }
        }
        let separator = postgresURL.contains("?") ? "&" : "?"
        let location = try DatabaseLocation(url: postgresURL + separator + "schema=" + schema)
        do {
            try await VaxDatabase.withDatabase(location, logger: logger) { database in
                try await measure(database, logger: logger)
            }
        } catch {
            print("failed: \(String(reflecting: error))")
        }
        if !keep && self.schema == nil {
            try await VaxDatabase.withDatabase(base, logger: logger) { database in
                try await database.write { try await $0.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
            }
        }
    }

    private func measure(_ database: VaxDatabase, logger: Logger) async throws {
        try await MigrationRunner().migrate(database, logger: logger)
        let store = TracingStore(database: database)
        let now = Date()
        let stored = try await database.read { sql in
            try await sql.raw("SELECT EXISTS (SELECT 1 FROM checkins) AS stored").first()?.decode(
                column: "stored",
                as: Bool.self
            )
        }
        if stored == true {
            print("check-ins: already stored in schema \(schema ?? ""); not loaded again")
        } else {
            try await load(database, store: store, now: now)
        }
        try await trace(store, now: now)
    }

    private func load(_ database: VaxDatabase, store: TracingStore, now: Date) async throws {
        let nowMillis = Int64(now.timeIntervalSince1970 * 1000)
        let span: Int64 = 21 * 86_400_000
        let start = nowMillis - span
        let today = CheckIn.day(of: now)
        let made = try await store.preparePartitions(from: today - 21, through: today + 1)
        print("check-ins: \(checkins) over 21 days, \(venues) venues, \(visitors) visitors; \(made) daily partitions")

        let chunk = 1_000_000
        let clock = ContinuousClock()
        let loadStart = clock.now
        var loaded = 0
        while loaded < checkins {
            let count = min(chunk, checkins - loaded)
            let first = loaded
            // Arrival times rise with g, so each chunk fills a few partitions in order.
            try await database.write { sql in
                try await sql.raw(
                    """
                    INSERT INTO checkins (id, day, venue_id, person_id, phone, name, method, arrived_at, left_at, stay_until, checkout_hash)
                    SELECT '00000000-0000-7000-9000-' || lpad(to_hex(g), 12, '0'), ((t / 1000 + 25200) / 86400)::int,
                           '00000000-0000-7000-8000-' || lpad(((g * 7919) % \(unsafeRaw: String(venues)))::text, 12, '0'),
                           NULL, '+849' || lpad(((g * 104729) % \(unsafeRaw: String(visitors)))::text, 8, '0'),
                           'Khách', 'venue_qr', t, NULL, t + 1800000 + (g % 5400000), NULL
                    FROM (SELECT g, \(unsafeRaw: String(start)) + (g::bigint * \(unsafeRaw: String(span)) / \(unsafeRaw: String(checkins))) AS t
                          FROM generate_series(\(unsafeRaw: String(first))::bigint, \(unsafeRaw: String(first + count - 1))) AS g) AS s
                    """
                ).run()
            }
            loaded += count
            let seconds = (clock.now - loadStart).seconds
            print(String(format: "  loaded %d (%.0f rows/s)", loaded, Double(loaded) / max(seconds, 0.001)))
        }
        // What autovacuum does to the days that are over (insert-only tables are vacuumed since PostgreSQL
        // 13): statistics, and the visibility map that lets the contact search read the venue index alone.
        try await database.read { try await $0.raw("VACUUM (ANALYZE) checkins").run() }
        let partitions = try await store.partitions().count
        print(String(format: "load: %.1f s; %d partitions", (clock.now - loadStart).seconds, partitions))
    }

    private func trace(_ store: TracingStore, now: Date) async throws {
        let clock = ContinuousClock()

        // Trace cases: each a random visitor, 14 days back from now, stays widened by 1 hour.
        var generator = SystemRandomNumberGenerator()
        var timings: [Double] = []
        var venuesVisited = 0
        var contacts = 0
        let margin: TimeInterval = 3600
        for _ in 0..<cases {
            let phone = "+849" + String(format: "%08d", Int.random(in: 0..<visitors, using: &generator))
            let began = clock.now
            let own = try await store.checkIns(
                person: nil,
                phone: phone,
                from: now.addingTimeInterval(-14 * 86_400),
                to: now
            )
            let found = try await store.checkIns(
                touching: own.map {
                    ($0.venueID, $0.arrivedAt.addingTimeInterval(-margin), $0.stayUntil.addingTimeInterval(margin))
                }
            )
            contacts += found.count
            timings.append((clock.now - began).seconds * 1000)
            venuesVisited += own.count
        }
        timings.sort()
        func percentile(_ p: Double) -> Double { timings[min(timings.count - 1, Int(Double(timings.count) * p))] }
        print(
            String(
                format:
                    "tracing one case over 14 days: p50 %.2f ms, p95 %.2f ms, max %.2f ms (%d cases; %.1f stays and %.1f contacts per case)",
                percentile(0.5),
                percentile(0.95),
                timings.last ?? 0,
                timings.count,
                Double(venuesVisited) / Double(max(cases, 1)),
                Double(contacts) / Double(max(cases, 1))
            )
        )
        print("target: p95 < 50 ms: \(percentile(0.95) < 50 ? "met" : "NOT met")")
    }
}
