import Foundation
import Synchronization

/// Fixed-window counters in memory, per key ("otp-ip:203.0.113.7", "auth-ip:…").
///
/// Limits that must hold across replicas (codes per phone, failed sign-ins per account) are counted in
/// the database instead; these per-address limits are per process.
final class RateLimiter: Sendable {
    private struct Window {
        var start: Date
        var count: Int
    }

    private struct State {
        var windows: [String: Window] = [:]
        var lastPrune = Date.distantPast
    }

    /// A lock, not an actor: every API request counts a hit, and a hop to an actor's executor cost more
    /// than the counting (issue #6's check-in profile).
    private let state = Mutex(State())

    /// Counts a hit; returns the seconds to wait when `key` has had `limit` hits in the current window.
    func hit(_ key: String, limit: Int, per window: TimeInterval, now: Date = Date()) -> Int? {
        state.withLock { state in
            Self.prune(&state, now: now, window: window)
            var current = state.windows[key] ?? Window(start: now, count: 0)
            if now.timeIntervalSince(current.start) >= window { current = Window(start: now, count: 0) }
            guard current.count < limit else {
                return max(1, Int((window - now.timeIntervalSince(current.start)).rounded(.up)))
            }
            current.count += 1
            state.windows[key] = current
            return nil
        }
    }

    /// Drops windows that ended, at most once a minute, so memory stays bounded.
    private static func prune(_ state: inout State, now: Date, window: TimeInterval) {
        guard now.timeIntervalSince(state.lastPrune) > 60 else { return }
        state.lastPrune = now
        state.windows = state.windows.filter { now.timeIntervalSince($0.value.start) < max(window, 3600) }
    }
}
