import Foundation
import Logging
import SQLKit
import VaxStorage

/// Throwaway databases for tests: SQLite in memory always, PostgreSQL when `TEST_POSTGRES_URL` is set
/// (`make test` starts a throwaway server and sets it). Each PostgreSQL test gets a schema of its own.
public enum TestDatabase {
    /// The engines to run storage tests on.
    public static var engines: [DatabaseEngine] {
        postgresURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    /// The throwaway PostgreSQL server, if any.
    public static var postgresURL: String? {
        ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A quiet logger for tests.
    public static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `body` with the URL of an empty database on `engine`, and removes the database afterwards.
    /// On SQLite the database is in memory unless `file` is set (when a test opens it twice).
    public static func withEmptyDatabaseURL<T: Sendable>(
        _ engine: DatabaseEngine,
        file: Bool = false,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        switch engine {
        case .sqlite where !file:
            return try await body("sqlite::memory:")
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "vaxtrace-test-\(UUID().uuidString)"
            )
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            return try await body("sqlite://" + folder.appendingPathComponent("test.sqlite").path)
        case .postgres:
            guard let base = postgresURL else { throw TestDatabaseError.noPostgres }
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let admin = try DatabaseLocation(url: base)
            try await VaxDatabase.withDatabase(admin, logger: logger) { database in
                try await database.write { try await $0.raw("CREATE SCHEMA \(ident: String(schema))").run() }
            }
            let url = base + (base.contains("?") ? "&" : "?") + "schema=" + schema
            do {
                let result = try await body(url)
                try await drop(String(schema), admin: admin)
                return result
            } catch {
                try? await drop(String(schema), admin: admin)
                throw error
            }
        }
    }

    /// Runs `body` with an empty, migrated database on `engine`, with the units of `provinces` loaded
    /// (`nil`: all of them; empty: none).
    public static func withDatabase<T: Sendable>(
        _ engine: DatabaseEngine,
        provinces: Set<String>? = ["19"],
        _ body: @Sendable (VaxDatabase) async throws -> T
    ) async throws -> T {
        try await withEmptyDatabaseURL(engine) { url in
            try await VaxDatabase.withDatabase(try DatabaseLocation(url: url), logger: logger) { database in
                try await MigrationRunner().migrate(database, logger: logger)
                if provinces?.isEmpty != true {
                    try await ReferenceDataImporter(provinces: provinces).importAll(into: database)
                }
                return try await body(database)
            }
        }
    }

    private static func drop(_ schema: String, admin: DatabaseLocation) async throws {
        try await VaxDatabase.withDatabase(admin, logger: logger) { database in
            try await database.write { try await $0.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
        }
    }
}

/// The test environment lacks something.
public enum TestDatabaseError: Error {
    /// `TEST_POSTGRES_URL` is not set.
    case noPostgres
}
