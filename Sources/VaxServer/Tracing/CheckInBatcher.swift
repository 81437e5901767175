import Foundation
import Synchronization
import VaxStorage

/// Group commit for check-ins: requests queue their row and wait; one writer inserts everything
/// queued in one transaction and only then answers them all, so a check-in is acknowledged only once
/// it is durable, and a busy server pays one commit for many check-ins instead of one each.
///
/// Duplicate scans (the same person or phone at the same venue within the merge window) are merged
/// here, from memory: a server restart forgets the last few minutes, and two servers do not see each
/// other's scans (a duplicate row then costs nothing but a line in the owner's list).
final class CheckInBatcher: Sendable {
    private struct Waiting {
        let checkIn: CheckIn
        let key: String?
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var pending: [Waiting] = []
        var writing = false
        var recent: [String: CheckIn] = [:]
    }

    private let state = Mutex(State())
    private let store: TracingStore
    /// Rows per transaction at most.
    let maxBatch: Int
    /// Keys remembered for merging, at most.
    let maxRecent: Int

    init(store: TracingStore, maxBatch: Int = 2000, maxRecent: Int = 200_000) {
        self.store = store
        self.maxBatch = maxBatch
        self.maxRecent = maxRecent
    }

    /// Records `checkIn`, or answers the earlier check-in of the same key since `mergeSince`.
    func record(_ checkIn: CheckIn, key: String?, mergeSince: Date) async throws -> TracingStore.Recorded {
        if let key {
            let earlier = state.withLock { state -> CheckIn? in
                if let known = state.recent[key], known.arrivedAt >= mergeSince { return known }
                if state.recent.count >= maxRecent {
                    state.recent = state.recent.filter { $0.value.arrivedAt >= mergeSince }
                    if state.recent.count >= maxRecent { state.recent.removeAll() }
                }
                state.recent[key] = checkIn
                return nil
            }
            if let earlier { return .merged(earlier) }
        }
        do {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let startWriter = state.withLock { state -> Bool in
                    state.pending.append(Waiting(checkIn: checkIn, key: key, continuation: continuation))
                    if state.writing { return false }
                    state.writing = true
                    return true
                }
                if startWriter { Task { await self.write() } }
            }
        } catch {
            if let key { state.withLock { if $0.recent[key]?.id == checkIn.id { $0.recent[key] = nil } } }
            throw error
        }
        return .created(checkIn)
    }

    private func write() async {
        while true {
            let batch = state.withLock { state -> [Waiting]? in
                guard !state.pending.isEmpty else {
                    state.writing = false
                    return nil
                }
                let batch = Array(state.pending.prefix(maxBatch))
                state.pending.removeFirst(batch.count)
                return batch
            }
            guard let batch else { return }
            do {
                try await store.insert(batch.map(\.checkIn))
                for waiting in batch { waiting.continuation.resume() }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }
}
