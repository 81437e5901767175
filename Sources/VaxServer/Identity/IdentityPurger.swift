import Foundation
import Logging
import ServiceLifecycle
import VaxDomain
import VaxStorage

/// Deletes sign-in data that has served its purpose, every minute: outbox messages after an hour (a
/// code in them is dead after five minutes), one-time codes after a day (the daily send limit counts
/// them), sessions a day after they expired.
public struct IdentityPurger: Service {
    let store: IdentityStore
    let clock: WallClock
    let logger: Logger
    let interval: Duration

    /// A purger running every `interval`.
    public init(
        store: IdentityStore,
        clock: WallClock = .system,
        logger: Logger = Logger(label: "vaxtrace.purger"),
        interval: Duration = .seconds(60)
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        // Sleep first: the database is migrated as the server starts.
        await repeatUntilShutdown(every: interval) { await purgeOnce() }
    }

    /// One pass; failures are logged and retried at the next pass.
    public func purgeOnce() async {
        let now = clock.now()
        do {
            let removed = try await store.purge(
                messagesBefore: now.addingTimeInterval(-3600),
                codesBefore: now.addingTimeInterval(-86_400),
                sessionsBefore: now.addingTimeInterval(-86_400)
            )
            if removed > 0 { logger.debug("purged sign-in data", metadata: ["rows": .stringConvertible(removed)]) }
        } catch {
            logger.warning("purging sign-in data failed", metadata: ["error": .string("\(type(of: error))")])
        }
    }
}

extension Task where Success == Never, Failure == Never {
    /// Whether the current task is cancelled or the service group is shutting down.
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}

/// Sleeps `interval`, runs `pass`, and again, until the graceful shutdown (or cancellation).
func repeatUntilShutdown(every interval: Duration, _ pass: () async -> Void) async {
    while !Task.isCancelledOrShuttingDown {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        } catch {
            return
        }
        await pass()
    }
}
