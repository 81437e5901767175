import Foundation
import Logging
import ServiceLifecycle
import VaxDomain
import VaxStorage

/// Deletes tracing data older than the retention period (21 days by default) every ten minutes, and
/// on PostgreSQL makes the check-in partitions of the coming days ahead of time.
public struct TracingRetention: Service {
    let store: TracingStore
    let migrations: MigrationRunner
    let database: VaxDatabase
    let settings: TracingSettings
    let clock: WallClock
    let logger: Logger
    let interval: Duration

    public init(
        store: TracingStore,
        database: VaxDatabase,
        migrations: MigrationRunner,
        settings: TracingSettings,
        clock: WallClock = .system,
        logger: Logger = Logger(label: "vaxtrace.retention"),
        interval: Duration = .seconds(600)
    ) {
        self.store = store
        self.database = database
        self.migrations = migrations
        self.settings = settings
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            guard (try? await migrations.pending(on: database).isEmpty) == true else { return }
            do {
                _ = try await runOnce()
            } catch {
                logger.warning("tracing retention failed", metadata: ["error": .string("\(type(of: error))")])
            }
        }
    }

    /// One pass: tomorrow's partitions, then the purge.
    public func runOnce() async throws -> TracingStore.Purged {
        let now = clock.now()
        let today = CheckIn.day(of: now)
        try await store.preparePartitions(from: today, through: today + 2)
        let purged = try await store.purge(before: now.addingTimeInterval(-Double(settings.retentionDays) * 86_400))
        if purged != TracingStore.Purged() {
            logger.info("tracing data past retention deleted", metadata: ["removed": .string(purged.description)])
        }
        return purged
    }
}
