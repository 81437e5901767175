import ArgumentParser
import Configuration
import Foundation
import Hummingbird
import Logging
import VaxServer
import VaxStorage

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Migrate, load reference and demo data into an empty database, and serve HTTP."
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Address to listen on (env HTTP_HOSTNAME; default 127.0.0.1).")
    var hostname: String?

    @Option(help: "Port to listen on (env HTTP_PORT; default 8080).")
    var port: Int?

    func run() async throws {
        let reader = try await common.reader(
            extra: ["http.hostname": hostname.map { .string($0) }, "http.port": port.map { .int($0) }]
        )
        let app = try await buildApplication(reader: reader)
        try await app.runService()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations; refuse when the recorded history differs from this build."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
        let applied = try await common.withDatabase(migrate: false) { database, configuration in
            try await MigrationRunner().migrate(database, logger: commandLogger(configuration))
        }
        print(applied.isEmpty ? "database is up to date" : "applied: \(applied.joined(separator: ", "))")
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Migrate, load the reference data, and load the demo people (Thái Nguyên) if there are none; with --synthetic, a whole synthetic province."
    )

    @OptionGroup var common: CommonOptions

    @Flag(
        help:
            "Make a realistic synthetic province: people, registrations, doses over ten months, adverse events, stock, targets; then rebuild the rollups."
    )
    var synthetic = false

    @Option(help: "People of the synthetic province (Thái Nguyên: 1,300,000).")
    var people = 10_000

    @Option(help: "The 2025 province code of the synthetic province.")
    var province = "19"

    @Option(help: "The seed of the synthetic data.")
    var seed: UInt64 = 1

    func validate() throws {
        guard (1...20_000_000).contains(people) else { throw ValidationError("--people is 1 to 20,000,000") }
    }

    func run() async throws {
        if synthetic {
            let (people, province, seed) = (people, province, seed)
            let summary = try await common.withDatabase { database, configuration in
                let vault = try configuration.nationalIDVault()
                try await vault.checkMatches(database)
                try await ReferenceDataImporter().importAll(into: database)
                return try await SyntheticProvince(province: province, people: people, seed: seed).run(
                    database: database,
                    vault: vault
                ) { print($0) }
            }
            print("seeded \(summary)")
            return
        }
        let count = try await common.withDatabase { database, configuration in
            let vault = try configuration.nationalIDVault()
            try await vault.checkMatches(database)
            try await ReferenceDataImporter().importAll(into: database)
            let people = SQLPersonRepository(database: database, vault: vault)
            guard try await people.search(.namePrefix("", dateOfBirth: nil), limit: 1, offset: 0).isEmpty else {
                return 0
            }
            return try await DemoData.seed(into: people, units: SQLAdminUnitRepository(database: database))
        }
        print(count == 0 ? "the registry already has people; nothing seeded" : "seeded \(count) demo people")
    }
}

struct Units: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Administrative units.",
        subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load both schemes, the conversion table and the priority groups (idempotent)."
        )

        @OptionGroup var common: CommonOptions

        @Option(help: "Folder with units-2021.csv, units-2025.csv and conversion-2025-07-01.csv (default: bundled).")
        var from: String?

        func run() async throws {
            let directory = from.map { URL(fileURLWithPath: $0) }
            let summary = try await common.withDatabase { database, _ in
                try await ReferenceDataImporter(directory: directory).importAll(into: database)
            }
            print("imported \(summary)")
        }
    }
}

struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The audit log.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the audit log's hash chain; exits 1 and names the first broken entry if it is not intact."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let verdict = try await common.withDatabase(migrate: false) { database, _ in
                guard try await MigrationRunner().isUpToDate(database) else {
                    throw ValidationError("the database is not migrated; run vaxtrace migrate")
                }
                return try await AuditChain.verify(database)
            }
            switch verdict {
            case .intact(let entries):
                print("audit chain intact: \(entries) entries")
            case .broken(let seq, let reason):
                print("audit chain BROKEN at entry \(seq): \(reason)")
                throw ExitCode(1)
            }
        }
    }
}

struct Rollups: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The dashboards' rollup tables.",
        subcommands: [Rebuild.self, Targets.self]
    )

    struct Rebuild: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Recompute every rollup table from the raw records (one transaction) and mark the events so far as handled."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let started = ContinuousClock.now
            let summary = try await common.withDatabase { database, _ in
                try await RollupStore(database: database).rebuild(at: Date())
            }
            print("rebuilt from \(summary.sources) records: \(summary.cells) cells in \(ContinuousClock.now - started)")
        }
    }

    struct Targets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set every unit's target population from the registry (everyone, and each priority group)."
        )

        @OptionGroup var common: CommonOptions

        func run() async throws {
            let count = try await common.withDatabase { database, _ in
                let rollups = RollupStore(database: database)
                let targets = try await rollups.targetsFromRegistry()
                try await rollups.setTargets(targets)
                return targets.count
            }
            print("set the targets of \(count) units")
        }
    }
}
