import Foundation

/// Fixed-window counters in memory, per key ("otp-ip:203.0.113.7", "auth-ip:…").
///
/// Limits that must hold across replicas (codes per phone, failed sign-ins per account) are counted in
/// the database instead; these per-address limits are per process.
actor RateLimiter {
    private struct Window {
        var start: Date
        var count: Int
    }

    private var windows: [String: Window] = [:]
    private var lastPrune = Date.distantPast

    /// Counts a hit; returns the seconds to wait when `key` has had `limit` hits in the current window.
    func hit(_ key: String, limit: Int, per window: TimeInterval, now: Date = Date()) -> Int? {
        prune(now: now, window: window)
        var current = windows[key] ?? Window(start: now, count: 0)
        if now.timeIntervalSince(current.start) >= window { current = Window(start: now, count: 0) }
        guard current.count < limit else {
            return max(1, Int((window - now.timeIntervalSince(current.start)).rounded(.up)))
        }
        current.count += 1
        windows[key] = current
        return nil
    }

    /// Drops windows that ended, at most once a minute, so memory stays bounded.
    private func prune(now: Date, window: TimeInterval) {
        guard now.timeIntervalSince(lastPrune) > 60 else { return }
        lastPrune = now
        windows = windows.filter { now.timeIntervalSince($0.value.start) < max(window, 3600) }
    }
}
