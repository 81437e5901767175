import Foundation
import Logging
import ServiceLifecycle
import VaxDomain
import VaxStorage

/// Keeps the dashboards' rollups up to date: every few seconds it hands the new outbox events to
/// `RollupStore.processPending`, a batch at a time, until none is left.
///
/// Each batch is one write transaction, and on SQLite that holds the one writer: a nurse's dose waits
/// for it. After a big list import (100,000 registrations are 100,000 events) batches of 500 held the
/// writer for about a second each, mostly to find the pending events past the ones already handled, and
/// put that second on the doses recorded meanwhile. So the pending events are found by a read (up to 500
/// at a time, outside any transaction), and rolled up in transactions sized to take about `batchTarget`
/// (halved when one took more than twice that, doubled when one took less than half, between 10 and 500
/// events); after each read and each transaction the maintainer rests twice as long as it took: writers
/// queued behind it go first, and catching up takes at most a third of the time (the dashboards lag a
/// few minutes behind a 100,000-row import; a dose at the table does not wait for them).
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

    /// How long one batch's transaction should take.
    static let batchTarget: Duration = .milliseconds(10)

    /// The next batch size after a batch of `limit` events took `took`.
    static func nextLimit(after limit: Int, took: Duration) -> Int {
        if took > batchTarget * 2 { return max(10, limit / 2) }
        if took < batchTarget / 2 { return min(500, limit * 2) }
        return limit
    }

    public func run() async throws {
        var limit = 50
        await repeatUntilShutdown(every: interval) {
            guard (try? await migrations.pending(on: database).isEmpty) == true else { return }
            do {
                while !Task.isCancelledOrShuttingDown {
                    let scanned = ContinuousClock.now
                    let pending = try await rollups.pendingEvents(limit: 500)
                    if !pending.isEmpty { try? await Task.sleep(for: (ContinuousClock.now - scanned) * 2) }
                    var rest = pending[...]
                    while !rest.isEmpty, !Task.isCancelledOrShuttingDown {
                        let batch = rest.prefix(limit)
                        rest = rest.dropFirst(batch.count)
                        let started = ContinuousClock.now
                        _ = try await rollups.process(Array(batch), at: clock.now())
                        let took = ContinuousClock.now - started
                        if batch.count == limit { limit = Self.nextLimit(after: limit, took: took) }
                        try? await Task.sleep(for: took * 2)
                    }
                    if pending.count < 500 { break }
                }
            } catch {
                // Shutting down: nothing failed, and nothing is parked.
                if error is CancellationError || Task.isCancelledOrShuttingDown { return }
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
