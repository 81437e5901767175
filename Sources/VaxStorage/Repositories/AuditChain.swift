import Crypto
import Foundation
import SQLKit
import VaxDomain

/// The hash chain over the audit log: each row's hash covers the previous row's hash and every field,
/// so changing, deleting or reordering a row, or cutting the end off, is detectable.
public enum AuditChain {
    /// The `prev_hash` of the first row: 64 zeros.
    public static let genesis = String(repeating: "0", count: 64)

    /// What `verify` found.
    public enum Verdict: Sendable, Equatable {
        /// Every row links to the one before and the head matches the last row.
        case intact(entries: Int)
        /// The chain breaks at `seq`, for `reason`.
        case broken(seq: Int64, reason: String)
    }

    /// The hash of a row given the previous hash.
    static func hash(_ entry: AuditEntry, seq: Int64, previous: String) -> String {
        let fields = [
            "seq=\(seq)", "id=\(entry.id.uuidString.lowercased())", "at=\(entry.occurredAt.millisecondsSince1970)",
            "actor=\(entry.actor)", "role=\(entry.actorRole)", "scope=\(entry.actorScope)", "action=\(entry.action)",
            "person=\(entry.personID?.description ?? "")", "reason=\(entry.reason)", "request=\(entry.requestID)",
        ]
        // The unit separator cannot appear unescaped in a field's meaning; lengths make it unambiguous.
        let canonical = previous + fields.map { "\($0.utf8.count):\($0)" }.joined(separator: "\u{1F}")
        return Hex.encode(SHA256.hash(data: Data(canonical.utf8)))
    }

    /// Appends entries inside the caller's transaction. On SQLite (one writer) they are chained at once;
    /// on PostgreSQL they are queued, without a lock, and chained by `flush` shortly after the commit.
    static func append(_ entries: [AuditEntry], on sql: any SQLDatabase) async throws {
        var batch = WriteBatch()
        if queue(entries, in: &batch, on: sql) {
            _ = try await batch.run(on: sql)
        } else {
            try await chain(entries, on: sql)
        }
    }

    /// On PostgreSQL, adds the queueing of entries to a batch and answers true; on SQLite answers
    /// false: the caller appends them with `append` (chained at once).
    static func queue(_ entries: [AuditEntry], in batch: inout WriteBatch, on sql: any SQLDatabase) -> Bool {
        guard sql.dialect.name == "postgresql" else { return false }
        batch.insert(
            into: "audit_queue",
            columns: queueColumns,
            rows: entries.map { entry in
                [
                    SQLBind(entry.id.uuidString.lowercased()), SQLBind(entry.occurredAt.millisecondsSince1970),
                    SQLBind(entry.actor), SQLBind(entry.actorRole), SQLBind(entry.actorScope), SQLBind(entry.action),
                    SQLBind(entry.personID?.description), SQLBind(entry.reason), SQLBind(entry.requestID),
                ]
            }
        )
        return true
    }

    static let queueColumns = [
        "id", "occurred_at", "actor", "actor_role", "actor_scope", "action", "person_id", "reason", "request_id",
    ]

    /// Chains the queued entries, oldest first, in transactions of up to `batch`; returns how many.
    /// Safe to run from several places at once: the head row's lock orders them.
    @discardableResult
    public static func flush(_ database: VaxDatabase, batch: Int = 2000) async throws -> Int {
        guard database.engine == .postgres else { return 0 }
        var total = 0
        while true {
            let waiting = try await database.read { sql in
                try await sql.select().column("id").from("audit_queue").limit(1).first()
            }
            guard waiting != nil else { return total }
            let moved = try await database.write { sql in
                // The head's lock first: a second flusher waits here and then sees the first one's deletes.
                guard
                    let head = try await sql.raw("UPDATE audit_chain_head SET seq = seq WHERE id = 1 RETURNING seq")
                        .first()
                else { throw StorageError.corruptRow("audit_chain_head is missing") }
                _ = head
                let rows = try await sql.select().columns(queueColumns.map { SQLIdentifier($0) }).from("audit_queue")
                    .orderBy("occurred_at").orderBy("id").limit(batch).all()
                let entries = try rows.map(SQLAuditRepository.entry(from:))
                try await chain(entries, on: sql)
                let ids = entries.map { $0.id.uuidString.lowercased() }
                for start in stride(from: 0, to: ids.count, by: 500) {
                    try await sql.delete(from: "audit_queue")
                        .where("id", .in, Array(ids[start..<min(start + 500, ids.count)])).run()
                }
                return entries.count
            }
            total += moved
            if moved < batch { return total }
        }
    }

    /// Chains entries after the head, inside the caller's transaction: locks and reads the head row in
    /// one statement (the lock is held until the commit), inserts the rows, moves the head.
    private static func chain(_ entries: [AuditEntry], on sql: any SQLDatabase) async throws {
        guard !entries.isEmpty else { return }
        guard
            let head = try await sql.raw("UPDATE audit_chain_head SET seq = seq WHERE id = 1 RETURNING seq, row_hash")
                .first()
        else { throw StorageError.corruptRow("audit_chain_head is missing") }
        var seq = try head.decode(column: "seq", as: Int64.self)
        var previous = try head.decode(column: "row_hash", as: String.self)
        var rows: [[any SQLExpression]] = []
        for entry in entries {
            seq += 1
            let rowHash = hash(entry, seq: seq, previous: previous)
            rows.append([
                SQLBind(seq), SQLBind(entry.id.uuidString.lowercased()),
                SQLBind(entry.occurredAt.millisecondsSince1970),
                SQLBind(entry.actor), SQLBind(entry.actorRole), SQLBind(entry.actorScope), SQLBind(entry.action),
                SQLBind(entry.personID?.description), SQLBind(entry.reason), SQLBind(entry.requestID),
                SQLBind(previous), SQLBind(rowHash),
            ])
            previous = rowHash
        }
        for start in stride(from: 0, to: rows.count, by: 200) {
            let insert = sql.insert(into: "audit_log").columns(AuditRepositoryColumns.all)
            for row in rows[start..<min(start + 200, rows.count)] { insert.values(row) }
            try await insert.run()
        }
        try await sql.update("audit_chain_head").set("seq", to: seq).set("row_hash", to: previous)
            .where("id", .equal, 1).run()
    }

    /// Walks the whole chain in order, in pages, and reports the first break.
    public static func verify(_ database: VaxDatabase, pageSize: Int = 5000) async throws -> Verdict {
        try await flush(database)
        var previous = genesis
        var expectedSeq: Int64 = 1
        while true {
            let after = expectedSeq - 1
            let rows = try await database.read { sql in
                try await sql.select().columns(AuditRepositoryColumns.all.map { SQLIdentifier($0) }).from("audit_log")
                    .where("seq", .greaterThan, after).orderBy("seq").limit(pageSize).all()
            }
            for row in rows {
                let seq = try row.decode(column: "seq", as: Int64.self)
                guard seq == expectedSeq else {
                    return .broken(seq: expectedSeq, reason: "entry \(expectedSeq) is missing (next is \(seq))")
                }
                let entry = try SQLAuditRepository.entry(from: row)
                guard try row.decode(column: "prev_hash", as: String.self) == previous else {
                    return .broken(seq: seq, reason: "entry \(seq) does not link to entry \(seq - 1)")
                }
                let stored = try row.decode(column: "row_hash", as: String.self)
                guard hash(entry, seq: seq, previous: previous) == stored else {
                    return .broken(seq: seq, reason: "entry \(seq) was altered (its hash does not match its fields)")
                }
                previous = stored
                expectedSeq += 1
            }
            if rows.count < pageSize { break }
        }
        let head = try await database.read { sql in
            try await sql.select().columns("seq", "row_hash").from("audit_chain_head").where("id", .equal, 1).first()
        }
        let headSeq = try head?.decode(column: "seq", as: Int64.self) ?? -1
        let headHash = try head?.decode(column: "row_hash", as: String.self) ?? ""
        guard headSeq == expectedSeq - 1, headHash == previous else {
            return .broken(
                seq: expectedSeq,
                reason: "the chain head records \(headSeq) entries but \(expectedSeq - 1) remain: entries were removed"
            )
        }
        return .intact(entries: Int(expectedSeq - 1))
    }
}

enum AuditRepositoryColumns {
    static let all = [
        "seq", "id", "occurred_at", "actor", "actor_role", "actor_scope", "action", "person_id", "reason",
        "request_id", "prev_hash", "row_hash",
    ]
}
