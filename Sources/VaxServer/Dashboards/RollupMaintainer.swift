import Foundation
import Logging
import ServiceLifecycle
import VaxDomain
import VaxStorage

/// Keeps the dashboards' rollups up to date: every few seconds it hands the new outbox events to
/// `RollupStore.processPending`, a batch at a time, until none is left.
public struct RollupMaintainer: Service {
    let rollups: RollupStore
    let database: VaxDatabase
    let migrations: MigrationRunner
    let interval: Duration
    let clock: WallClock
    let logger: Logger

    public init(
        rollups: RollupStore,
        database: VaxDatabase,
        migrations: MigrationRunner,
        interval: Duration = .seconds(5),
        clock: WallClock = .system,
        logger: Logger
    ) {
        self.rollups = rollups
        self.database = database
        self.migrations = migrations
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval) {
            guard (try? await migrations.pending(on: database).isEmpty) == true else { return }
            do {
                while try await rollups.processPending(limit: 500, at: clock.now()) == 500 {}
            } catch {
                logger.error("rollup batch failed", metadata: ["error": "\(type(of: error))"])
            }
        }
    }
}
