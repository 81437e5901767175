import Crypto
import Foundation
import Logging
import SQLKit

/// One step of the schema. Migrations are named `NNNN_what`, ordered, append-only: once a migration
/// has landed its statements never change; a change is a new migration.
public struct Migration: Sendable {
    /// `NNNN_what`, e.g. `0001_admin_units`.
    public let name: String
    /// Why the step exists, for the reader of the history.
    public let purpose: String
    /// The statements; `{collate_c}` becomes the engine's byte-order collation.
    public let statements: [String]

    /// A migration.
    public init(name: String, purpose: String, statements: [String]) {
        self.name = name
        self.purpose = purpose
        self.statements = statements
    }

    /// SHA-256 of the statements, recorded so that an edited migration is caught.
    public var checksum: String {
        let digest = SHA256.hash(data: Data(statements.joined(separator: ";\n").utf8))
        return Hex.encode(digest)
    }

    /// The statements for `engine`: `{collate_c}` and `{partition_by_day}` filled in, and statements
    /// that begin with `@postgres ` kept (without the marker) on PostgreSQL only.
    func sql(for engine: DatabaseEngine) -> [String] {
        statements.compactMap { statement in
            var text = statement
            if text.hasPrefix(Self.postgresOnly) {
                guard engine == .postgres else { return nil }
                text.removeFirst(Self.postgresOnly.count)
            }
            return
                text
                .replacingOccurrences(of: "{collate_c}", with: engine == .postgres ? #"COLLATE "C""# : "")
                .replacingOccurrences(
                    of: "{partition_by_day}",
                    with: engine == .postgres ? "PARTITION BY RANGE (day)" : ""
                )
        }
    }

    /// The marker of a statement run on PostgreSQL only.
    static let postgresOnly = "@postgres "
}

/// Why the database cannot be migrated by this build.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    /// The recorded migration at `position` is not the one this build has there.
    case divergent(position: Int, recorded: String, expected: String)
    /// The recorded migration has the same name but its statements were edited.
    case edited(name: String)
    /// The database has migrations this build does not know (it was migrated by a newer build).
    case unknown(names: [String])

    public var description: String {
        switch self {
        case .divergent(let position, let recorded, let expected):
            "migration history diverges at #\(position): the database recorded \(recorded), this build has \(expected)"
        case .edited(let name):
            "migration \(name) was changed after it was applied (checksum differs); add a new migration instead"
        case .unknown(let names):
            "the database has migrations this build does not know: \(names.joined(separator: ", ")) "
                + "(was it migrated by a newer version?)"
        }
    }
}

/// Applies the migrations this build knows, each in its own transaction, and refuses a divergent history.
public struct MigrationRunner: Sendable {
    /// The migrations, in order.
    public let migrations: [Migration]
    private let clock: @Sendable () -> Date

    /// A runner for the given migrations (default: all of Vaxtrace's).
    public init(migrations: [Migration] = VaxtraceMigrations.all, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.migrations = migrations
        self.clock = clock
    }

    /// The migrations still to apply; throws when the recorded history does not match this build.
    public func pending(on database: VaxDatabase) async throws -> [Migration] {
        // Read-only, so a readiness probe never takes the write lock: a database without the
        // history table has everything pending.
        guard try await hasHistoryTable(database) else { return migrations }
        let recorded = try await database.read { sql in
            try await sql.select().columns("name", "checksum").from("schema_migrations").orderBy("position")
                .all().map {
                    (try $0.decode(column: "name", as: String.self), try $0.decode(column: "checksum", as: String.self))
                }
        }
        try verify(recorded: recorded)
        return Array(migrations.dropFirst(recorded.count))
    }

    /// Applies what is pending; returns the names applied.
    @discardableResult
    public func migrate(_ database: VaxDatabase, logger: Logger) async throws -> [String] {
        try await ensureHistoryTable(on: database)
        let pending = try await pending(on: database)
        let offset = migrations.count - pending.count
        var appliedNames: [String] = []
        for (index, migration) in pending.enumerated() {
            let statements = migration.sql(for: database.engine)
            let appliedAt = Int64(clock().timeIntervalSince1970 * 1000)
            let applied = try await database.write { sql in
                // Two servers starting together: the second waits here, then finds the step done.
                try await Self.lockHistory(sql, engine: database.engine)
                let recorded = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                    .from("schema_migrations").where("name", .equal, migration.name)
                    .first(decodingColumn: "n", as: Int.self)
                guard recorded == 0 else { return false }
                for statement in statements {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                try await sql.insert(into: "schema_migrations")
                    .columns("position", "name", "checksum", "applied_at")
                    .values(
                        SQLBind(offset + index + 1),
                        SQLBind(migration.name),
                        SQLBind(migration.checksum),
                        SQLBind(appliedAt)
                    )
                    .run()
                return true
            }
            if applied {
                appliedNames.append(migration.name)
                logger.info("applied migration", metadata: ["migration": .string(migration.name)])
            }
        }
        return appliedNames
    }

    /// Whether every migration of this build is applied and the history matches.
    public func isUpToDate(_ database: VaxDatabase) async throws -> Bool {
        try await pending(on: database).isEmpty
    }

    func verify(recorded: [(name: String, checksum: String)]) throws {
        for (index, entry) in recorded.enumerated() {
            guard index < migrations.count else {
                throw MigrationError.unknown(names: recorded[index...].map(\.name))
            }
            let expected = migrations[index]
            guard entry.name == expected.name else {
                throw MigrationError.divergent(position: index + 1, recorded: entry.name, expected: expected.name)
            }
            guard entry.checksum == expected.checksum else { throw MigrationError.edited(name: entry.name) }
        }
    }

    private func hasHistoryTable(_ database: VaxDatabase) async throws -> Bool {
        try await database.read { sql in
            switch database.engine {
            case .sqlite:
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
                ).first(decodingColumn: "n", as: Int.self) == 1
            case .postgres:
                try await sql.raw(
                    "SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
                ).first(decodingColumn: "n", as: Int.self) == 1
            }
        }
    }

    /// Serialises migrating processes on PostgreSQL (a transaction-scoped advisory lock); SQLite's
    /// write lock already does.
    private static func lockHistory(_ sql: any SQLDatabase, engine: DatabaseEngine) async throws {
        if engine == .postgres {
            try await sql.raw("SELECT pg_advisory_xact_lock(7415001) IS NULL AS locked").run()
        }
    }

    private func ensureHistoryTable(on database: VaxDatabase) async throws {
        try await database.write { sql in
            try await Self.lockHistory(sql, engine: database.engine)
            try await sql.raw(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    position INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    checksum TEXT NOT NULL,
                    applied_at BIGINT NOT NULL
                )
                """
            ).run()
        }
    }
}
