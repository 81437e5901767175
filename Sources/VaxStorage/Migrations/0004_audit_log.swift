/// Every staff read or change of a person leaves a row: who, in which role, when, which record, why,
/// and the request id that ties it to the logs. No foreign key on the person: the trail outlives a merge.
///
/// The rows form a hash chain: `row_hash` = SHA-256(`prev_hash` ‖ the row's fields), `seq` counts
/// from 1 without gaps, and `audit_chain_head` holds the last `seq` and hash. Appenders lock the head
/// row, so the chain has one order on both engines; an altered, deleted or truncated row breaks it.
let m0004AuditLog = Migration(
    name: "0004_audit_log",
    purpose: "append-only, hash-chained audit log of staff access to people",
    statements: [
        """
        CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY CHECK (seq > 0),
            id TEXT NOT NULL UNIQUE,
            occurred_at BIGINT NOT NULL,
            actor TEXT NOT NULL,
            actor_role TEXT NOT NULL,
            actor_scope TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action LIKE '_%._%'),
            person_id TEXT,
            reason TEXT NOT NULL,
            request_id TEXT NOT NULL,
            prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
            row_hash TEXT NOT NULL CHECK (length(row_hash) = 64)
        )
        """,
        "CREATE INDEX audit_log_person ON audit_log (person_id, occurred_at)",
        "CREATE INDEX audit_log_time ON audit_log (occurred_at)",
        """
        CREATE TABLE audit_chain_head (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq BIGINT NOT NULL CHECK (seq >= 0),
            row_hash TEXT NOT NULL CHECK (length(row_hash) = 64)
        )
        """,
        "INSERT INTO audit_chain_head (id, seq, row_hash) VALUES (1, 0, '\(AuditChain.genesis)')",
    ]
)
