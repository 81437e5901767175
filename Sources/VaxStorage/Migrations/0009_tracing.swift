/// Venue check-in, health declarations and contact tracing (#6). Check-ins are the big table (tens of
/// millions of rows): on PostgreSQL it is partitioned by day (`day` = days since 1970 in Vietnam's
/// time), so retention drops a whole day at once; rows of a day without its partition land in the
/// default partition and leave by batched deletes, as everything does on SQLite.
let m0009Tracing = Migration(
    name: "0009_tracing",
    purpose: "venues and their signing keys, check-ins (partitioned by day), declarations, cases, contacts",
    statements: [
        """
        CREATE TABLE venue_keys (
            kid TEXT PRIMARY KEY,
            public_key TEXT NOT NULL,
            sealed_private_key TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            retired_at BIGINT
        )
        """,
        """
        CREATE TABLE venues (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            unit_code TEXT NOT NULL,
            address TEXT NOT NULL,
            owner_name TEXT NOT NULL,
            owner_phone TEXT NOT NULL,
            staff_phones TEXT NOT NULL,
            token TEXT NOT NULL,
            token_kid TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX venues_owner ON venues (owner_phone)",
        """
        CREATE TABLE checkins (
            id TEXT NOT NULL,
            day INTEGER NOT NULL,
            venue_id TEXT NOT NULL,
            person_id TEXT,
            phone TEXT,
            name TEXT NOT NULL,
            method TEXT NOT NULL CHECK (method IN ('venue_qr', 'staff_scan', 'on_behalf')),
            arrived_at BIGINT NOT NULL,
            left_at BIGINT,
            stay_until BIGINT NOT NULL,
            checkout_hash TEXT,
            PRIMARY KEY (day, id)
        ) {partition_by_day}
        """,
        "@postgres CREATE TABLE checkins_default PARTITION OF checkins DEFAULT",
        "CREATE INDEX checkins_venue ON checkins (venue_id, arrived_at)",
        "CREATE INDEX checkins_person ON checkins (person_id, arrived_at)",
        "CREATE INDEX checkins_phone ON checkins (phone, arrived_at)",
        "CREATE INDEX checkins_time ON checkins (arrived_at)",
        "CREATE INDEX checkins_id ON checkins (id)",
        """
        CREATE TABLE health_declarations (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            person_id TEXT,
            phone TEXT,
            name TEXT NOT NULL,
            unit_code TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('full', 'update')),
            symptoms TEXT NOT NULL,
            f0_contact INTEGER NOT NULL,
            flagged INTEGER NOT NULL,
            details TEXT NOT NULL,
            declared_by TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX health_declarations_person ON health_declarations (person_id, created_at)",
        "CREATE INDEX health_declarations_phone ON health_declarations (phone, created_at)",
        "CREATE INDEX health_declarations_time ON health_declarations (created_at)",
        """
        CREATE TABLE tracing_cases (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            level TEXT NOT NULL CHECK (level IN ('F0', 'F1')),
            person_id TEXT,
            phone TEXT,
            name TEXT NOT NULL,
            unit_code TEXT NOT NULL,
            window_start BIGINT NOT NULL,
            window_end BIGINT NOT NULL,
            quarantine_until BIGINT,
            source_contact_id TEXT,
            recorded_by TEXT NOT NULL,
            recorded_at BIGINT NOT NULL,
            warnings_queued_micros BIGINT NOT NULL,
            CHECK (window_end >= window_start)
        )
        """,
        "CREATE UNIQUE INDEX tracing_cases_source ON tracing_cases (source_contact_id)",
        """
        CREATE TABLE tracing_contacts (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            case_id TEXT NOT NULL,
            checkin_id TEXT NOT NULL,
            case_checkin_id TEXT NOT NULL,
            venue_id TEXT NOT NULL,
            person_id TEXT,
            phone TEXT,
            name TEXT NOT NULL,
            contact_start BIGINT NOT NULL,
            contact_end BIGINT NOT NULL,
            overlap_seconds BIGINT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('candidate', 'f1', 'cleared')),
            created_at BIGINT NOT NULL,
            UNIQUE (case_id, checkin_id)
        )
        """,
        "CREATE INDEX tracing_contacts_case ON tracing_contacts (case_id, overlap_seconds)",
        "CREATE INDEX tracing_contacts_person ON tracing_contacts (person_id, created_at)",
        "CREATE INDEX tracing_contacts_time ON tracing_contacts (created_at)",
    ]
)
