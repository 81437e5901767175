/// What each outbox consumer still has to handle, as rows of its own (`outbox_pending`).
///
/// The rollup maintainer and the certificate issuer found their pending events by an anti-join of
/// every event against every delivery: with 124,000 events that was 50–65 ms of PostgreSQL time a
/// call (both cores: a parallel hash join), paid by each maintainer batch and each issuer poll while
/// nurses recorded doses, and growing with every event ever written. An event is now written with a
/// pending row for each consumer that wants it, and a delivery deletes that row, so finding the next
/// events reads only what is pending, oldest first.
///
/// The consumers: `rollups` takes every event; `certificates` takes `dose.recorded` and
/// `dose.corrected` (`OutboxPending.consumers`). The statements below carry over what was pending before.
let m0013OutboxPending = Migration(
    name: "0013_outbox_pending",
    purpose:
        "A pending row per outbox consumer and event, deleted on delivery, instead of an anti-join over all events",
    statements: [
        """
        CREATE TABLE outbox_pending (
            consumer TEXT NOT NULL,
            event_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (consumer, event_id)
        )
        """,
        "CREATE INDEX outbox_pending_order ON outbox_pending (consumer, created_at, event_id)",
        """
        INSERT INTO outbox_pending (consumer, event_id, created_at)
        SELECT 'rollups', e.id, e.created_at FROM outbox_events e
        WHERE NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.consumer = 'rollups' AND d.event_id = e.id)
        """,
        """
        INSERT INTO outbox_pending (consumer, event_id, created_at)
        SELECT 'certificates', e.id, e.created_at FROM outbox_events e
        WHERE e.kind IN ('dose.recorded', 'dose.corrected')
        AND NOT EXISTS (SELECT 1 FROM outbox_deliveries d WHERE d.consumer = 'certificates' AND d.event_id = e.id)
        """,
    ]
)
