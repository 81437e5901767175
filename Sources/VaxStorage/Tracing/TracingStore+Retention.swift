import Foundation
import SQLKit
import VaxDomain

extension TracingStore {
    /// What a retention pass removed.
    public struct Purged: Sendable, Equatable, CustomStringConvertible {
        public var partitionsDropped = 0
        public var checkIns = 0
        public var declarations = 0
        public var contacts = 0
        public var messages = 0
        public var events = 0
        public var notifications = 0

        public init() {}

        public var description: String {
            "partitions \(partitionsDropped), check-ins \(checkIns), declarations \(declarations), contacts \(contacts),"
                + " messages \(messages), events \(events), notifications \(notifications)"
        }
    }

    /// Deletes check-ins, declarations and tracing contacts older than `cutoff`, and the warnings and
    /// notifications that referred to them. On PostgreSQL whole days of check-ins go by dropping their
    /// partition; what is left (the cutoff's own day, the default partition, SQLite) goes in batches.
    public func purge(before cutoff: Date, batch: Int = 5000) async throws -> Purged {
        var purged = Purged()
        let millis = cutoff.millisecondsSince1970
        if database.engine == .postgres {
            let cutoffDay = CheckIn.day(of: cutoff)
            for (name, day) in try await partitions() where day < cutoffDay {
                try await database.write { sql in try await sql.raw("DROP TABLE IF EXISTS \(ident: name)").run() }
                purged.partitionsDropped += 1
            }
        }
        purged.checkIns = try await deleteInBatches(
            "DELETE FROM checkins WHERE (day, id) IN (SELECT day, id FROM checkins WHERE arrived_at < \(bind: millis) LIMIT \(bind: batch)) RETURNING 1 AS gone"
        )
        purged.declarations = try await deleteInBatches(
            "DELETE FROM health_declarations WHERE id IN (SELECT id FROM health_declarations WHERE created_at < \(bind: millis) LIMIT \(bind: batch)) RETURNING 1 AS gone"
        )
        purged.contacts = try await deleteInBatches(
            "DELETE FROM tracing_contacts WHERE id IN (SELECT id FROM tracing_contacts WHERE created_at < \(bind: millis) LIMIT \(bind: batch)) RETURNING 1 AS gone"
        )
        purged.messages = try await deleteInBatches(
            "DELETE FROM message_outbox WHERE id IN (SELECT id FROM message_outbox WHERE purpose = 'exposure_warning' AND created_at < \(bind: millis) LIMIT \(bind: batch)) RETURNING 1 AS gone"
        )
        // A warning event not yet rolled up goes with its pending row (the ordered index finds the old ones).
        _ = try await deleteInBatches(
            """
            DELETE FROM outbox_pending WHERE (consumer, event_id) IN (SELECT p.consumer, p.event_id FROM outbox_pending p
            JOIN outbox_events e ON e.id = p.event_id AND e.kind = 'exposure.warning'
            WHERE p.consumer = \(bind: RollupStore.consumer) AND p.created_at < \(bind: millis) LIMIT \(bind: batch)) RETURNING 1 AS gone
            """
        )
        purged.events = try await deleteInBatches(
            "DELETE FROM outbox_events WHERE id IN (SELECT id FROM outbox_events WHERE kind = 'exposure.warning' AND created_at < \(bind: millis) LIMIT \(bind: batch)) RETURNING 1 AS gone"
        )
        purged.notifications = try await deleteInBatches(
            "DELETE FROM notifications WHERE id IN (SELECT id FROM notifications WHERE kind = 'declaration.flagged' AND created_at < \(bind: millis) LIMIT \(bind: batch)) RETURNING 1 AS gone"
        )
        return purged
    }

    private func deleteInBatches(_ query: SQLQueryString) async throws -> Int {
        var total = 0
        while true {
            let count = try await database.write { sql in
                try await sql.raw(query).all().count
            }
            total += count
            if count == 0 { return total }
        }
    }

    /// The daily check-in partitions (PostgreSQL): name and day.
    public func partitions() async throws -> [(name: String, day: Int)] {
        guard database.engine == .postgres else { return [] }
        return try await database.read { sql in
            try await sql.raw(
                """
                SELECT c.relname AS name FROM pg_inherits i
                JOIN pg_class c ON c.oid = i.inhrelid
                JOIN pg_class p ON p.oid = i.inhparent
                JOIN pg_namespace n ON n.oid = p.relnamespace
                WHERE p.relname = 'checkins' AND n.nspname = current_schema()
                """
            ).all().compactMap { row in
                let name = try row.decode(column: "name", as: String.self)
                guard name.hasPrefix("checkins_d"), let day = Int(name.dropFirst("checkins_d".count)) else {
                    return nil
                }
                return (name, day)
            }.sorted { $0.day < $1.day }
        }
    }

    /// Makes the daily partitions `from…through` that are missing (PostgreSQL; nothing on SQLite). A day
    /// that already has rows in the default partition is skipped: its rows leave by batched delete.
    @discardableResult
    public func preparePartitions(from first: Int, through last: Int) async throws -> Int {
        guard database.engine == .postgres, first <= last else { return 0 }
        let existing = Set(try await partitions().map(\.day))
        var made = 0
        for day in first...last where !existing.contains(day) {
            let stranded = try await database.read { sql in
                try await sql.raw("SELECT 1 AS x FROM checkins_default WHERE day = \(bind: day) LIMIT 1").first() != nil
            }
            if stranded { continue }
            do {
                try await database.write { sql in
                    try await sql.raw(
                        "CREATE TABLE IF NOT EXISTS \(ident: "checkins_d\(day)") PARTITION OF checkins FOR VALUES FROM (\(unsafeRaw: String(day))) TO (\(unsafeRaw: String(day + 1)))"
                    ).run()
                }
                made += 1
            } catch {
                // A row for that day reached the default partition meanwhile: the day stays there.
                continue
            }
        }
        return made
    }
}
