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
        abstract: "Migrate, load the reference data, and load the demo people (Thái Nguyên) if there are none."
    )

    @OptionGroup var common: CommonOptions

    func run() async throws {
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
