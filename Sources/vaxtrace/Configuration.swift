import ArgumentParser
import Configuration
import Logging
import VaxServer
import VaxStorage

/// Options every command shares; the command line wins over the environment, which wins over `.env`.
struct CommonOptions: ParsableArguments {
    @Option(
        help: "Database URL: sqlite:///path, sqlite::memory: or postgres://user:pass@host:port/db (env DATABASE_URL)."
    )
    var databaseURL: String?

    @Option(help: "Path of the .env file read after the environment.")
    var envFile: String = ".env"

    /// The configuration reader: command line > environment > `.env` > defaults in code.
    func reader(extra: [String: ConfigContent?] = [:]) async throws -> ConfigReader {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        let given = extra.merging(["database.url": databaseURL.map { .string($0) }], uniquingKeysWith: { $1 })
        for (key, value) in given {
            guard let value else { continue }
            values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = .init(
                value,
                isSecret: key == "database.url"
            )
        }
        return ConfigReader(providers: [
            InMemoryProvider(name: "command line", values: values),
            EnvironmentVariablesProvider(),
            try await EnvironmentVariablesProvider(environmentFilePath: .init(envFile), allowMissing: true),
        ])
    }

    func configuration(extra: [String: ConfigContent?] = [:]) async throws -> AppConfiguration {
        try AppConfiguration(reader: try await reader(extra: extra))
    }

    /// Opens the configured database for a command, migrated first unless `migrate` is false.
    func withDatabase<T: Sendable>(
        migrate: Bool = true,
        _ body: @Sendable (VaxDatabase, AppConfiguration) async throws -> T
    ) async throws -> T {
        let configuration = try await configuration()
        let logger = commandLogger(configuration)
        return try await VaxDatabase.withDatabase(configuration.database, logger: logger) { database in
            if migrate { try await MigrationRunner().migrate(database, logger: logger) }
            return try await body(database, configuration)
        }
    }
}

func commandLogger(_ configuration: AppConfiguration) -> Logger {
    var logger = Logger(label: "vaxtrace")
    logger.logLevel = configuration.logLevel
    return logger
}
