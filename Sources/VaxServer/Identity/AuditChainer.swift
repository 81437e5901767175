import Logging
import ServiceLifecycle
import VaxStorage

/// Chains the audit entries PostgreSQL queues (`AuditChain.flush`) every `interval`; on SQLite there is
/// nothing to do and it stops at once.
public struct AuditChainer: Service {
    let database: VaxDatabase
    let migrations: MigrationRunner
    let logger: Logger
    let interval: Duration

    /// A chainer running every `interval`.
    public init(
        database: VaxDatabase,
        migrations: MigrationRunner = MigrationRunner(),
        logger: Logger = Logger(label: "vaxtrace.audit"),
        interval: Duration = .milliseconds(200)
    ) {
        self.database = database
        self.migrations = migrations
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        guard database.engine == .postgres else {
            // A service that returns would stop the server: wait for the shutdown instead.
            try? await gracefulShutdown()
            return
        }
        var migrated = false
        await repeatUntilShutdown(every: interval) {
            do {
                // The server migrates as it starts; the queue exists once that is done.
                if !migrated { migrated = try await migrations.isUpToDate(database) }
                if migrated { try await AuditChain.flush(database) }
            } catch {
                // Retried at the next pass; readers flush before they read.
                logger.error("could not chain queued audit entries", metadata: ["error": "\(error)"])
            }
        }
        // What was queued before the shutdown is chained now (or by the next server's first pass).
        if migrated { try? await AuditChain.flush(database) }
    }
}
