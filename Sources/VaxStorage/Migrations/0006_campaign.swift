/// The vaccination campaign: facility types and catchments, the registration queue and its imports,
/// sessions with slots, appointments and their transitions, screenings, lots, doses with their
/// correction history, adverse events, officials' notifications, and the event outbox.
///
/// Records a facility tablet may create offline (check-ins, screenings, doses, observations,
/// adverse-event reports) take the client's UUIDv7 as their id, so a replayed batch finds them.
let m0006Campaign = Migration(
    name: "0006_campaign",
    purpose: "registration queue, sessions, appointments, screenings, lots, doses, adverse events, outbox events",
    statements: [
        "ALTER TABLE facilities ADD COLUMN kind TEXT NOT NULL DEFAULT 'fixed' CHECK (kind IN ('fixed', 'mobile', 'hospital'))",
        """
        CREATE TABLE facility_catchment (
            facility_id TEXT NOT NULL REFERENCES facilities (id),
            unit_scheme TEXT NOT NULL,
            unit_code TEXT NOT NULL,
            PRIMARY KEY (facility_id, unit_scheme, unit_code),
            FOREIGN KEY (unit_scheme, unit_code) REFERENCES admin_units (scheme, code)
        )
        """,
        """
        CREATE TABLE registration_imports (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            file_hash TEXT NOT NULL CHECK (length(file_hash) = 64),
            organisation TEXT NOT NULL CHECK (length(organisation) BETWEEN 1 AND 200),
            format TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
            uploaded_by TEXT NOT NULL,
            rows_total INTEGER NOT NULL,
            rows_created INTEGER NOT NULL,
            rows_matched INTEGER NOT NULL,
            rows_rejected INTEGER NOT NULL,
            results TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
            created_at BIGINT NOT NULL
        )
        """,
        // One live import per file: a failed one may be retried.
        "CREATE UNIQUE INDEX registration_imports_file ON registration_imports (file_hash) WHERE state <> 'failed'",
        """
        CREATE TABLE registrations (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            person_id TEXT NOT NULL REFERENCES people (id),
            priority_group INTEGER NOT NULL REFERENCES priority_groups (code),
            source TEXT NOT NULL CHECK (source IN ('citizen', 'organisation', 'staff', 'walk_in')),
            organisation TEXT,
            import_id TEXT REFERENCES registration_imports (id),
            preferred_date TEXT CHECK (preferred_date IS NULL OR preferred_date LIKE '____-__-__'),
            unit_scheme TEXT NOT NULL,
            commune_code TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('waiting', 'invited', 'closed')),
            registered_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX registrations_open ON registrations (person_id) WHERE status <> 'closed'",
        "CREATE INDEX registrations_queue ON registrations (status, unit_scheme, commune_code, priority_group, registered_at)",
        """
        CREATE TABLE vaccination_sessions (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            facility_id TEXT NOT NULL REFERENCES facilities (id),
            session_date TEXT NOT NULL CHECK (session_date LIKE '____-__-__'),
            product_code TEXT NOT NULL,
            dose_kinds TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX vaccination_sessions_facility ON vaccination_sessions (facility_id, session_date)",
        """
        CREATE TABLE session_slots (
            session_id TEXT NOT NULL REFERENCES vaccination_sessions (id),
            slot_index INTEGER NOT NULL CHECK (slot_index >= 0),
            starts_at TEXT NOT NULL CHECK (length(starts_at) = 5),
            ends_at TEXT NOT NULL CHECK (length(ends_at) = 5),
            capacity INTEGER NOT NULL CHECK (capacity BETWEEN 1 AND 10000),
            booked INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
            PRIMARY KEY (session_id, slot_index),
            CHECK (starts_at < ends_at),
            CHECK (booked <= capacity)
        )
        """,
        """
        CREATE TABLE appointments (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            session_id TEXT NOT NULL REFERENCES vaccination_sessions (id),
            slot_index INTEGER,
            person_id TEXT NOT NULL REFERENCES people (id),
            registration_id TEXT REFERENCES registrations (id),
            dose_kind TEXT NOT NULL CHECK (dose_kind IN ('primary', 'additional', 'booster')),
            state TEXT NOT NULL CHECK (state IN ('invited', 'confirmed', 'checked_in', 'screened', 'vaccinated',
                'observed', 'closed', 'declined', 'no_show', 'deferred', 'referred')),
            check_in_code TEXT NOT NULL UNIQUE CHECK (length(check_in_code) = 8),
            walk_in INTEGER NOT NULL DEFAULT 0 CHECK (walk_in IN (0, 1)),
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            UNIQUE (session_id, person_id),
            FOREIGN KEY (session_id, slot_index) REFERENCES session_slots (session_id, slot_index)
        )
        """,
        "CREATE INDEX appointments_person ON appointments (person_id, created_at)",
        """
        CREATE TABLE appointment_events (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            appointment_id TEXT NOT NULL REFERENCES appointments (id),
            action TEXT NOT NULL,
            from_state TEXT NOT NULL,
            to_state TEXT NOT NULL,
            actor TEXT NOT NULL,
            reason TEXT,
            occurred_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX appointment_events_appointment ON appointment_events (appointment_id, occurred_at)",
        """
        CREATE TABLE screenings (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            appointment_id TEXT NOT NULL REFERENCES appointments (id),
            person_id TEXT NOT NULL REFERENCES people (id),
            checklist_version TEXT NOT NULL,
            answers TEXT NOT NULL,
            vitals TEXT,
            computed_outcome TEXT NOT NULL CHECK (computed_outcome IN ('eligible', 'caution', 'refer_to_hospital',
                'defer', 'contraindicated')),
            outcome TEXT NOT NULL CHECK (outcome IN ('eligible', 'caution', 'refer_to_hospital', 'defer',
                'contraindicated')),
            reasons TEXT NOT NULL,
            defer_until TEXT,
            override_reason TEXT,
            consent INTEGER NOT NULL CHECK (consent IN (0, 1)),
            screened_by TEXT NOT NULL,
            screened_at BIGINT NOT NULL,
            CHECK (outcome = computed_outcome OR override_reason IS NOT NULL)
        )
        """,
        "CREATE INDEX screenings_appointment ON screenings (appointment_id, screened_at)",
        """
        CREATE TABLE vaccine_lots (
            product_code TEXT NOT NULL,
            lot_number TEXT NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 40),
            expiry TEXT NOT NULL CHECK (expiry LIKE '____-__-__'),
            created_at BIGINT NOT NULL,
            PRIMARY KEY (product_code, lot_number)
        )
        """,
        """
        CREATE TABLE doses (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            person_id TEXT NOT NULL REFERENCES people (id),
            appointment_id TEXT UNIQUE REFERENCES appointments (id),
            product_code TEXT NOT NULL,
            lot_number TEXT NOT NULL,
            lot_expiry TEXT,
            dose_number INTEGER NOT NULL CHECK (dose_number BETWEEN 1 AND 20),
            kind TEXT NOT NULL CHECK (kind IN ('primary', 'additional', 'booster')),
            administered_at BIGINT NOT NULL,
            administered_on TEXT NOT NULL CHECK (administered_on LIKE '____-__-__'),
            facility_id TEXT REFERENCES facilities (id),
            injection_site TEXT,
            vaccinator TEXT,
            retrospective INTEGER NOT NULL DEFAULT 0 CHECK (retrospective IN (0, 1)),
            next_due_on TEXT,
            observation_ends_at BIGINT,
            observed_at BIGINT,
            immediate_reactions TEXT,
            recorded_by TEXT NOT NULL,
            recorded_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            CHECK (retrospective = 1 OR lot_expiry IS NOT NULL)
        )
        """,
        "CREATE INDEX doses_person ON doses (person_id, administered_at)",
        // A dose number once per person: two tablets recording the same dose cannot both succeed.
        "CREATE UNIQUE INDEX doses_person_number ON doses (person_id, dose_number)",
        "CREATE INDEX doses_facility_day ON doses (facility_id, administered_on)",
        """
        CREATE TABLE record_corrections (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            record_kind TEXT NOT NULL CHECK (record_kind IN ('dose', 'person')),
            record_id TEXT NOT NULL,
            old_values TEXT NOT NULL,
            new_values TEXT NOT NULL,
            reason TEXT NOT NULL CHECK (length(reason) BETWEEN 5 AND 500),
            corrected_by TEXT NOT NULL,
            corrected_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX record_corrections_record ON record_corrections (record_kind, record_id, corrected_at)",
        """
        CREATE TABLE aefi_reports (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            person_id TEXT NOT NULL REFERENCES people (id),
            dose_id TEXT REFERENCES doses (id),
            source TEXT NOT NULL CHECK (source IN ('citizen', 'staff')),
            unit_scheme TEXT NOT NULL,
            province_code TEXT NOT NULL,
            district_code TEXT,
            commune_code TEXT NOT NULL,
            onset_at BIGINT NOT NULL,
            events TEXT NOT NULL,
            outcome TEXT NOT NULL CHECK (outcome IN ('recovered', 'recovering', 'not_recovered', 'sequelae', 'fatal',
                'unknown')),
            death_on TEXT,
            serious INTEGER NOT NULL CHECK (serious IN (0, 1)),
            seriousness TEXT NOT NULL,
            details TEXT NOT NULL,
            stage TEXT NOT NULL CHECK (stage IN ('reported', 'investigation', 'causality_review', 'closed')),
            investigate INTEGER CHECK (investigate IS NULL OR investigate IN (0, 1)),
            decision_note TEXT,
            causality TEXT,
            causality_note TEXT,
            reported_by TEXT NOT NULL,
            received_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX aefi_reports_person ON aefi_reports (person_id)",
        "CREATE INDEX aefi_reports_stage ON aefi_reports (stage, province_code)",
        // What officials must act on, addressed to a role within a unit rather than to a person.
        """
        CREATE TABLE notifications (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            role TEXT NOT NULL,
            unit_code TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            message TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX notifications_recipient ON notifications (role, unit_code, created_at)",
        // Domain events written in the same transaction as the change, for certificates (#5) and rollups (#8).
        """
        CREATE TABLE outbox_events (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            kind TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            processed_at BIGINT
        )
        """,
        "CREATE INDEX outbox_events_pending ON outbox_events (processed_at, created_at)",
    ]
)
