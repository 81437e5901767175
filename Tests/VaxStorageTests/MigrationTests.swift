import Foundation
import SQLKit
import Testing
import VaxStorage
import VaxTestSupport

@Suite struct MigrationTests {
    @Test(arguments: TestDatabase.engines)
    func migratesOnceAndRecordsHistory(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            let runner = MigrationRunner()
            #expect(try await runner.isUpToDate(database))
            #expect(try await runner.migrate(database, logger: TestDatabase.logger).isEmpty)
            let names = try await database.read { sql in
                try await sql.select().column("name").from("schema_migrations").orderBy("position")
                    .all(decodingColumn: "name", as: String.self)
            }
            #expect(names == VaxtraceMigrations.all.map(\.name))
        }
    }

    @Test(arguments: TestDatabase.engines)
    func checkingAnEmptyDatabaseWritesNothing(engine: DatabaseEngine) async throws {
        try await TestDatabase.withEmptyDatabaseURL(engine) { url in
            try await VaxDatabase.withDatabase(try DatabaseLocation(url: url), logger: TestDatabase.logger) {
                database in
                let runner = MigrationRunner()
                let pending = try await runner.pending(on: database)
                #expect(pending.map(\.name) == VaxtraceMigrations.all.map(\.name))
                let upToDate = try await runner.isUpToDate(database)
                #expect(!upToDate)
                // The readiness check did not create the history table: it only reads.
                await #expect(throws: (any Error).self) {
                    try await database.read { try await $0.raw("SELECT * FROM schema_migrations").run() }
                }
                #expect(
                    try await runner.migrate(database, logger: TestDatabase.logger).count
                        == VaxtraceMigrations.all.count
                )
                #expect(try await runner.isUpToDate(database))
            }
        }
    }

    /// Replicas of the server starting together against one PostgreSQL (an SQLite file belongs to
    /// one process, so this is PostgreSQL's concern only).
    @Test(arguments: TestDatabase.engines.filter { $0 == .postgres })
    func serversStartingTogetherMigrateOnce(engine: DatabaseEngine) async throws {
        try await TestDatabase.withEmptyDatabaseURL(engine, file: true) { url in
            let location = try DatabaseLocation(url: url)
            let applied = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        try await VaxDatabase.withDatabase(location, logger: TestDatabase.logger) { database in
                            try await MigrationRunner().migrate(database, logger: TestDatabase.logger)
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(applied.sorted() == VaxtraceMigrations.all.map(\.name).sorted())
        }
    }

    @Test(arguments: TestDatabase.engines)
    func refusesADivergentHistory(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            // A build whose second migration is a different one.
            var other = VaxtraceMigrations.all
            other[1] = Migration(name: "0002_something_else", purpose: "test", statements: ["SELECT 1"])
            await #expect(
                throws: MigrationError.divergent(
                    position: 2,
                    recorded: "0002_priority_groups",
                    expected: "0002_something_else"
                )
            ) {
                try await MigrationRunner(migrations: other).migrate(database, logger: TestDatabase.logger)
            }
            // A build that edited a landed migration.
            var edited = VaxtraceMigrations.all
            edited[0] = Migration(
                name: edited[0].name,
                purpose: "edited",
                statements: edited[0].statements + ["SELECT 2"]
            )
            await #expect(throws: MigrationError.edited(name: "0001_administrative_units")) {
                try await MigrationRunner(migrations: edited).pending(on: database)
            }
            // An older build that does not know the newest migration.
            await #expect(throws: MigrationError.unknown(names: [VaxtraceMigrations.all.last!.name])) {
                try await MigrationRunner(migrations: Array(VaxtraceMigrations.all.dropLast())).pending(on: database)
            }
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aFailingMigrationLeavesNothingBehind(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            let broken =
                VaxtraceMigrations.all + [
                    Migration(
                        name: "9999_broken",
                        purpose: "test",
                        statements: ["CREATE TABLE half_done (id INTEGER PRIMARY KEY)", "THIS IS NOT SQL"]
                    )
                ]
            await #expect(throws: (any Error).self) {
                try await MigrationRunner(migrations: broken).migrate(database, logger: TestDatabase.logger)
            }
            let tables = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM schema_migrations WHERE name = '9999_broken'")
                    .first(decodingColumn: "n", as: Int.self)
            }
            #expect(tables == 0)
            await #expect(throws: (any Error).self) {
                try await database.read { try await $0.raw("SELECT * FROM half_done").run() }
            }
        }
    }

    @Test(arguments: TestDatabase.engines)
    func schemaRefusesValuesOutsideEnumerations(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: ["19"]) { database in
            await #expect(throws: (any Error).self) {
                try await database.write { sql in
                    try await sql.raw(
                        """
                        INSERT INTO admin_units (scheme, code, level, name, folded_name, unit_type, parent_code, province_code)
                        VALUES ('2025', '99', 'county', 'X', 'x', 'x', NULL, '99')
                        """
                    ).run()
                }
            }
            await #expect(throws: (any Error).self) {
                try await database.write { sql in
                    try await sql.raw(
                        """
                        INSERT INTO admin_units (scheme, code, level, name, folded_name, unit_type, parent_code, province_code)
                        VALUES ('2025', '99999', 'commune', 'X', 'x', 'x', '77', '77')
                        """
                    ).run()
                }
            }
        }
    }

    /// 0013 carries over what each consumer still had to handle: every event without a delivery for
    /// `rollups`, every dose event without one for `certificates`, and nothing already handled.
    @Test(arguments: TestDatabase.engines)
    func outboxPendingStartsWithWhatWasNotDelivered(engine: DatabaseEngine) async throws {
        try await TestDatabase.withEmptyDatabaseURL(engine) { url in
            try await VaxDatabase.withDatabase(try DatabaseLocation(url: url), logger: TestDatabase.logger) {
                database in
                let before = Array(VaxtraceMigrations.all.prefix { $0.name != "0013_outbox_pending" })
                _ = try await MigrationRunner(migrations: before).migrate(database, logger: TestDatabase.logger)
                let id: @Sendable (Int) -> String = { "00000000-0000-7000-8000-\(String(format: "%012d", $0))" }
                try await database.write { sql in
                    for (n, kind) in [
                        (1, "registration.created"), (2, "dose.recorded"), (3, "dose.recorded"), (4, "dose.corrected"),
                    ] {
                        try await sql.raw(
                            """
                            INSERT INTO outbox_events (id, kind, subject_id, payload, created_at)
                            VALUES (\(bind: id(n)), \(bind: kind), 's', '{}', \(bind: 1000 + n))
                            """
                        ).run()
                    }
                    for (consumer, n) in [("rollups", 1), ("rollups", 2), ("certificates", 2), ("certificates", 4)] {
                        try await sql.raw(
                            """
                            INSERT INTO outbox_deliveries (consumer, event_id, processed_at, outcome)
                            VALUES (\(bind: consumer), \(bind: id(n)), 1, 'done')
                            """
                        ).run()
                    }
                }
                #expect(
                    try await MigrationRunner().migrate(database, logger: TestDatabase.logger) == [
                        "0013_outbox_pending"
                    ]
                )
                let pending = try await database.read { sql in
                    try await sql.raw(
                        "SELECT consumer, event_id, created_at FROM outbox_pending ORDER BY consumer, event_id"
                    )
                    .all().map {
                        "\(try $0.decode(column: "consumer", as: String.self)) \(try $0.decode(column: "event_id", as: String.self).suffix(1)) \(try $0.decode(column: "created_at", as: Int.self))"
                    }
                }
                #expect(pending == ["certificates 3 1003", "rollups 3 1003", "rollups 4 1004"])
            }
        }
    }
}
