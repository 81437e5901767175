import ArgumentParser
import Foundation
import Logging
import SQLKit
import VaxDomain
import VaxServer
import VaxStorage

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures (never run as tests).",
        subcommands: [
            Registry.self, CampaignBench.self, CertificatesBench.self, TracingBench.self, ENBench.self,
            DashboardsBench.self, HTTPFloor.self,
        ]
    )

    struct Registry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load synthetic people, then time name-prefix search and national-ID look-up on each engine."
        )

        @Option(help: "How many people to load (Thái Nguyên: 1,300,000).")
        var people = 1_300_000

        @Option(help: "How many timed queries of each kind.")
        var queries = 2000

        @Option(help: "PostgreSQL server to measure too (postgres://…); a throwaway schema is created and dropped.")
        var postgresURL: String?

        @Option(help: "People per transaction when loading.")
        var batchSize = 50_000

        @Flag(help: "Skip SQLite.")
        var skipSQLite = false

        func run() async throws {
            var logger = Logger(label: "vaxtrace.bench")
            logger.logLevel = .warning
            print(
                "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, people: \(people), queries: \(queries)"
            )
            if !skipSQLite {
                let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                    "vaxtrace-bench-\(getpid()).sqlite"
                ).path
                defer {
                    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                }
                try await measure(.sqliteFile(path: path), label: "sqlite", logger: logger)
            }
            if let postgresURL {
                let schema = "bench_\(getpid())"
                let base = try DatabaseLocation(url: postgresURL)
                try await VaxDatabase.withDatabase(base, logger: logger) { database in
                    try await database.write { try await $0.raw("CREATE SCHEMA \(ident: schema)").run() }
                }
                let separator = postgresURL.contains("?") ? "&" : "?"
                do {
                    try await measure(
                        try DatabaseLocation(url: postgresURL + separator + "schema=" + schema),
                        label: "postgres",
                        logger: logger
                    )
                } catch {
                    try? await dropSchema(schema, base: base, logger: logger)
                    throw error
                }
                try await dropSchema(schema, base: base, logger: logger)
            }
        }

        private func dropSchema(_ schema: String, base: DatabaseLocation, logger: Logger) async throws {
            try await VaxDatabase.withDatabase(base, logger: logger) { database in
                try await database.write { try await $0.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
            }
        }

        private func measure(_ location: DatabaseLocation, label: String, logger: Logger) async throws {
            let people = self.people
            let queries = self.queries
            let batchSize = self.batchSize
            try await VaxDatabase.withDatabase(location, logger: logger) { database in
                try await MigrationRunner().migrate(database, logger: logger)
                try await ReferenceDataImporter(provinces: ["19"]).importAll(into: database)
                let vault = try NationalIDVault(base64Key: NationalIDVault.generateBase64Key())
                let repository = SQLPersonRepository(database: database, vault: vault)
                let communes = try await SQLAdminUnitRepository(database: database)
                    .children(scheme: .tier2of2025, code: "19").map { ("19", $0.code) }
                let generator = SyntheticPeople(communes: communes, start: Date(timeIntervalSince1970: 1_700_000_000))

                // Batches of 50,000 in one transaction each, up to three in flight: while one batch
                // is being written the next ones are generated, sealed and encoded. Larger transactions
                // rewrite fewer index pages (SQLite's WAL) per person.
                let loadStart = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var inFlight = 0
                    for start in stride(from: 0, to: people, by: batchSize) {
                        if inFlight == 3 {
                            try await group.next()
                            inFlight -= 1
                        }
                        let range = start..<min(start + batchSize, people)
                        group.addTask { try await repository.insertBatch(range.map(generator.person)) }
                        inFlight += 1
                    }
                    try await group.waitForAll()
                }
                let loadSeconds = (ContinuousClock.now - loadStart).seconds
                try await database.write { try await $0.raw("ANALYZE").run() }
                print(
                    "\(label): loaded \(people) people in \(String(format: "%.1f", loadSeconds)) s = "
                        + "\(Int(Double(people) / loadSeconds)) people/s (target ≥ 20000)"
                )

                var random = SystemRandomNumberGenerator()
                var nameTimes: [Double] = []
                var found = 0
                for _ in 0..<queries {
                    let person = generator.person(Int.random(in: 0..<people, using: &random))
                    let words = person.foldedName.split(separator: " ")
                    let prefix = words.dropLast().joined(separator: " ") + " " + words.last!.prefix(1)
                    let start = ContinuousClock.now
                    let result = try await repository.search(
                        .namePrefix(prefix, dateOfBirth: nil),
                        limit: 20,
                        offset: 0
                    )
                    nameTimes.append((ContinuousClock.now - start).milliseconds)
                    found += result.isEmpty ? 0 : 1
                }
                var idTimes: [Double] = []
                var exact = 0
                for _ in 0..<queries {
                    let person = generator.person(Int.random(in: 0..<people, using: &random))
                    let start = ContinuousClock.now
                    let result = try await repository.search(
                        .nationalID(person.nationalID!.number),
                        limit: 1,
                        offset: 0
                    )
                    idTimes.append((ContinuousClock.now - start).milliseconds)
                    exact += result.first?.id == person.id ? 1 : 0
                }
                print(
                    "\(label): name-prefix search (20 rows): p50 \(format(percentile(nameTimes, 50))) ms, "
                        + "p95 \(format(percentile(nameTimes, 95))) ms (target < 20), \(found)/\(queries) found"
                )
                print(
                    "\(label): national-ID look-up: p50 \(format(percentile(idTimes, 50))) ms, "
                        + "p95 \(format(percentile(idTimes, 95))) ms (target < 2), \(exact)/\(queries) exact"
                )
            }
        }

        private func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)]
        }

        private func format(_ value: Double) -> String { String(format: "%.3f", value) }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1000 }
}
