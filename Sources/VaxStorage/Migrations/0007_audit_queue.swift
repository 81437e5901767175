/// On PostgreSQL an audited write queues its entries here instead of locking the chain head until it
/// commits (which made every audited write in the country wait for the one before); `AuditChain.flush`
/// moves queued entries into the chain in one short transaction, from a background task every 200 ms
/// and before every read of the audit log. SQLite has one writer anyway and chains at once.
let m0007AuditQueue = Migration(
    name: "0007_audit_queue",
    purpose: "audit entries waiting to be chained (PostgreSQL)",
    statements: [
        """
        CREATE TABLE audit_queue (
            id TEXT PRIMARY KEY,
            occurred_at BIGINT NOT NULL,
            actor TEXT NOT NULL,
            actor_role TEXT NOT NULL,
            actor_scope TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action LIKE '_%._%'),
            person_id TEXT,
            reason TEXT NOT NULL,
            request_id TEXT NOT NULL
        )
        """,
        "CREATE INDEX audit_queue_order ON audit_queue (occurred_at, id)",
    ]
)
