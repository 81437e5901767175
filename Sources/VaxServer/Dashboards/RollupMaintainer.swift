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
                // An event that fails on its own is parked (delivered with the failure as its outcome, for
                // an operator and a later rebuild), so the events behind it go on.
                do {
                    _ = try await rollups.processPending(limit: 1, at: clock.now())
                } catch {
                    if let parked = try? await rollups.parkOldestPending(
                        outcome: "failed: \(type(of: error))",
                        at: clock.now()
                    ) {
                        logger.error(
                            "rollup event parked",
                            metadata: ["event": "\(parked)", "error": "\(type(of: error))"]
                        )
                    }
                }
            }
        }
    }
}
