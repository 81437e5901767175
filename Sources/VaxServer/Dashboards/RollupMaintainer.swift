import Foundation
import Logging
import ServiceLifecycle
import VaxDomain
import VaxStorage

/// Keeps the dashboards' rollups up to date: every few seconds it rolls up the new outbox events, a
/// batch at a time, until none is left.
///
/// It shares two cores with the point of care. After a big list import (100,000 registrations are
/// 100,000 events) its catch-up once put up to a second on the doses recorded meanwhile. So:
/// - the pending events are found, and each batch's reads are done (`RollupStore.prepare`), on the
///   background read connection (on SQLite a connection and a thread of their own);
/// - each batch is written in one short transaction (`RollupStore.commit`; on SQLite it holds the one
///   writer a nurse's dose waits for), sized to take about `batchTarget` (halved when one took more than
///   twice that, doubled when one took less than half, between 10 and 500 events);
/// - after each read and each write it rests `restFactor` times as long as it took, so catching up takes
///   at most a fifth of the time it runs: the dashboards lag a few minutes behind a 100,000-row import,
///   and a dose at the table does not wait for them.
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

    /// After each read and each batch the maintainer rests this many times as long as it took.
    static let restFactor = 4

    /// How long one batch's write transaction should take.
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
                    if !pending.isEmpty {
                        try? await Task.sleep(for: (ContinuousClock.now - scanned) * Self.restFactor)
                    }
                    var rest = pending[...]
                    while !rest.isEmpty, !Task.isCancelledOrShuttingDown {
                        let batch = rest.prefix(limit)
                        rest = rest.dropFirst(batch.count)
                        let reading = ContinuousClock.now
                        let prepared = try await rollups.prepare(Array(batch))
                        try? await Task.sleep(for: (ContinuousClock.now - reading) * Self.restFactor)
                        let writing = ContinuousClock.now
                        _ = try await rollups.commit(prepared, at: clock.now())
                        let took = ContinuousClock.now - writing
                        if batch.count == limit { limit = Self.nextLimit(after: limit, took: took) }
                        try? await Task.sleep(for: took * Self.restFactor)
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
