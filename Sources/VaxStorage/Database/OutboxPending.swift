import Foundation
import SQLKit
import VaxDomain

/// What each outbox consumer still has to handle (migration 0013): an event is written with a row in
/// `outbox_pending` for every consumer that takes it, and handling it deletes that row (next to its row
/// in `outbox_deliveries`, which keeps the outcome). Finding a consumer's next events reads only its
/// pending rows, oldest first, however many events were handled before.
enum OutboxPending {
    /// The consumers that take events of `kind`.
    static func consumers(of kind: String) -> [String] {
        switch kind {
        case "dose.recorded", "dose.corrected": [RollupStore.consumer, CertificateStore.consumer]
        default: [RollupStore.consumer]
        }
    }

    /// Adds the pending rows of new events to the batch that inserts them.
    static func add(_ events: [OutboxEvent], to batch: inout WriteBatch) {
        var rows: [[any SQLExpression]] = []
        rows.reserveCapacity(events.count)
        for event in events {
            for consumer in consumers(of: event.kind) {
                rows.append([
                    SQLBind(consumer), SQLBind(event.id.lower), SQLBind(event.createdAt.millisecondsSince1970),
                ])
            }
        }
        batch.insert(into: "outbox_pending", columns: ["consumer", "event_id", "created_at"], rows: rows)
    }

    /// Up to `limit` events `consumer` has not handled, oldest first.
    static func next(for consumer: String, limit: Int, on sql: any SQLDatabase) async throws -> [OutboxEvent] {
        try await sql.raw(
            """
            SELECT e.id, e.kind, e.subject_id, e.payload, e.created_at
            FROM outbox_pending p JOIN outbox_events e ON e.id = p.event_id
            WHERE p.consumer = \(bind: consumer)
            ORDER BY p.created_at, p.event_id LIMIT \(bind: limit)
            """
        ).all().map(OutboxEvent.init(row:))
    }

    /// Deletes the pending rows of `ids` for `consumer`; returns the ids that were still pending (on
    /// PostgreSQL a concurrent claim of the same rows waits for this transaction and then finds none).
    static func claim(_ ids: [String], for consumer: String, on sql: any SQLDatabase) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var claimed: Set<String> = []
        for start in stride(from: 0, to: ids.count, by: 500) {
            let slice = Array(ids[start..<min(start + 500, ids.count)])
            for row in try await sql.raw(
                """
                DELETE FROM outbox_pending WHERE consumer = \(bind: consumer) AND event_id \(SQLValues.oneOf(slice, on: sql))
                RETURNING event_id
                """
            ).all() {
                claimed.insert(try row.decode(column: "event_id", as: String.self))
            }
        }
        return claimed
    }
}
