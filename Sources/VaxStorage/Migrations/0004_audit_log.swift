/// Every staff read or change of a person leaves a row: who, in which role, when, which record, why,
/// and the request id that ties it to the logs. No foreign key on the person: the trail outlives a merge.
let m0004AuditLog = Migration(
    name: "0004_audit_log",
    purpose: "append-only audit log of staff access to people",
    statements: [
        """
        CREATE TABLE audit_log (
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
        "CREATE INDEX audit_log_person ON audit_log (person_id, occurred_at)",
        "CREATE INDEX audit_log_time ON audit_log (occurred_at)",
    ]
)
