/// Vaccine logistics and the dashboards' rollups.
///
/// The stock ledger counts vials: `stock_transactions` is the append-only ledger and `stock_balances`
/// the on-hand per store and lot it sums to, updated in the same transaction. Rollup tables hold only
/// counts keyed by text dimensions; `rollup_sources` remembers what each raw record (a dose, a
/// registration, an appointment, a screening, an adverse-event report) contributed, so the rollup
/// maintainer moves exactly that contribution when the record changes.
let m0011LogisticsRollups = Migration(
    name: "0011_logistics_rollups",
    purpose: "stores, stock ledger, cold chain, session tallies, population targets and dashboard rollups",
    statements: [
        "ALTER TABLE vaccine_lots ADD COLUMN doses_per_vial INTEGER NOT NULL DEFAULT 10 CHECK (doses_per_vial BETWEEN 1 AND 50)",
        "ALTER TABLE vaccine_lots ADD COLUMN vvm_stage INTEGER NOT NULL DEFAULT 1 CHECK (vvm_stage BETWEEN 1 AND 4)",
        """
        CREATE TABLE stock_stores (
            id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 40),
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            level TEXT NOT NULL CHECK (level IN ('province', 'district', 'facility')),
            unit_code TEXT NOT NULL,
            parent_id TEXT REFERENCES stock_stores (id),
            facility_id TEXT REFERENCES facilities (id),
            min_celsius INTEGER NOT NULL DEFAULT 2,
            max_celsius INTEGER NOT NULL DEFAULT 8,
            closed_through TEXT CHECK (closed_through IS NULL OR closed_through LIKE '____-__-__'),
            created_at BIGINT NOT NULL,
            CHECK ((level = 'province') = (parent_id IS NULL)),
            CHECK (min_celsius < max_celsius)
        )
        """,
        "CREATE INDEX stock_stores_unit ON stock_stores (unit_code)",
        """
        CREATE TABLE stock_transfers (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            from_store TEXT NOT NULL REFERENCES stock_stores (id),
            to_store TEXT NOT NULL REFERENCES stock_stores (id),
            product_code TEXT NOT NULL,
            lot_number TEXT NOT NULL,
            vials INTEGER NOT NULL CHECK (vials > 0),
            sent_on TEXT NOT NULL,
            received_on TEXT,
            CHECK (from_store <> to_store)
        )
        """,
        "CREATE INDEX stock_transfers_to ON stock_transfers (to_store, received_on)",
        """
        CREATE TABLE stock_transactions (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            store_id TEXT NOT NULL REFERENCES stock_stores (id),
            product_code TEXT NOT NULL,
            lot_number TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('receipt', 'transfer_out', 'transfer_in', 'issue', 'return', 'discard',
                'count')),
            vials INTEGER NOT NULL,
            occurred_on TEXT NOT NULL CHECK (occurred_on LIKE '____-__-__'),
            reason TEXT,
            transfer_id TEXT REFERENCES stock_transfers (id),
            session_id TEXT REFERENCES vaccination_sessions (id),
            counted_vials INTEGER,
            recorded_by TEXT NOT NULL,
            recorded_at BIGINT NOT NULL,
            FOREIGN KEY (product_code, lot_number) REFERENCES vaccine_lots (product_code, lot_number),
            CHECK (kind <> 'discard' OR reason IS NOT NULL),
            CHECK ((kind = 'count') = (counted_vials IS NOT NULL))
        )
        """,
        "CREATE INDEX stock_transactions_store ON stock_transactions (store_id, product_code, lot_number, occurred_on)",
        "CREATE INDEX stock_transactions_session ON stock_transactions (session_id)",
        """
        CREATE TABLE stock_balances (
            store_id TEXT NOT NULL REFERENCES stock_stores (id),
            product_code TEXT NOT NULL,
            lot_number TEXT NOT NULL,
            on_hand BIGINT NOT NULL CHECK (on_hand >= 0),
            PRIMARY KEY (store_id, product_code, lot_number)
        )
        """,
        """
        CREATE TABLE cold_chain_readings (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            store_id TEXT NOT NULL REFERENCES stock_stores (id),
            measured_at BIGINT NOT NULL,
            celsius REAL NOT NULL,
            excursion INTEGER NOT NULL CHECK (excursion IN (0, 1)),
            recorded_by TEXT NOT NULL
        )
        """,
        "CREATE INDEX cold_chain_readings_store ON cold_chain_readings (store_id, measured_at)",
        // What a site reports in aggregate per day (the paper tally), to compare with individual records.
        """
        CREATE TABLE site_tallies (
            facility_id TEXT NOT NULL REFERENCES facilities (id),
            day TEXT NOT NULL CHECK (day LIKE '____-__-__'),
            product_code TEXT NOT NULL,
            doses INTEGER NOT NULL CHECK (doses BETWEEN 0 AND 100000),
            reported_by TEXT NOT NULL,
            reported_at BIGINT NOT NULL,
            PRIMARY KEY (facility_id, day, product_code)
        )
        """,
        // Planning denominators (census or registry counts), per dashboard unit; group 0 is everyone.
        """
        CREATE TABLE population_targets (
            unit_code TEXT NOT NULL,
            priority_group INTEGER NOT NULL CHECK (priority_group BETWEEN 0 AND 16),
            target INTEGER NOT NULL CHECK (target >= 0),
            PRIMARY KEY (unit_code, priority_group)
        )
        """,
        """
        CREATE TABLE rollup_sources (
            source_kind TEXT NOT NULL,
            source_id TEXT NOT NULL,
            person_id TEXT NOT NULL,
            facts TEXT NOT NULL,
            PRIMARY KEY (source_kind, source_id)
        )
        """,
        "CREATE INDEX rollup_sources_person ON rollup_sources (person_id)",
        // Doses at the grain of the issue (day × commune × facility × product × kind × dose × group × sex × age band).
        """
        CREATE TABLE rollup_doses (
            day TEXT NOT NULL, unit_scheme TEXT NOT NULL, commune_code TEXT NOT NULL, facility_id TEXT NOT NULL,
            product_code TEXT NOT NULL, dose_kind TEXT NOT NULL, dose_number TEXT NOT NULL, priority_group TEXT NOT NULL,
            sex TEXT NOT NULL, age_band TEXT NOT NULL, retrospective TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (day, unit_scheme, commune_code, facility_id, product_code, dose_kind, dose_number,
                priority_group, sex, age_band, retrospective)
        )
        """,
        // The dashboard cubes, keyed first by dashboard unit (the nation, a province, a 2021 district, a commune).
        """
        CREATE TABLE rollup_unit_dose_days (
            unit_code TEXT NOT NULL, day TEXT NOT NULL, dose_number TEXT NOT NULL, retrospective TEXT NOT NULL,
            n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, day, dose_number, retrospective)
        )
        """,
        """
        CREATE TABLE rollup_unit_coverage (
            unit_code TEXT NOT NULL, dose_number TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, dose_number)
        )
        """,
        """
        CREATE TABLE rollup_unit_doses (
            unit_code TEXT NOT NULL, product_code TEXT NOT NULL, dose_number TEXT NOT NULL, dose_kind TEXT NOT NULL,
            priority_group TEXT NOT NULL, sex TEXT NOT NULL, age_band TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, product_code, dose_number, dose_kind, priority_group, sex, age_band)
        )
        """,
        """
        CREATE TABLE rollup_unit_facility_days (
            unit_code TEXT NOT NULL, day TEXT NOT NULL, facility_id TEXT NOT NULL, product_code TEXT NOT NULL,
            retrospective TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, day, facility_id, product_code, retrospective)
        )
        """,
        """
        CREATE TABLE rollup_unit_dropout (
            unit_code TEXT NOT NULL, due_on TEXT NOT NULL, measure TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, due_on, measure)
        )
        """,
        """
        CREATE TABLE rollup_unit_dropout_months (
            unit_code TEXT NOT NULL, due_month TEXT NOT NULL, measure TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, due_month, measure)
        )
        """,
        """
        CREATE TABLE rollup_unit_lots (
            unit_code TEXT NOT NULL, product_code TEXT NOT NULL, lot_number TEXT NOT NULL, measure TEXT NOT NULL,
            n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, product_code, lot_number, measure)
        )
        """,
        """
        CREATE TABLE rollup_unit_pipeline (
            unit_code TEXT NOT NULL, day TEXT NOT NULL, measure TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, day, measure)
        )
        """,
        """
        CREATE TABLE rollup_unit_organisations (
            unit_code TEXT NOT NULL, organisation TEXT NOT NULL, measure TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (unit_code, organisation, measure)
        )
        """,
        """
        CREATE TABLE rollup_session_doses (
            session_id TEXT NOT NULL, product_code TEXT NOT NULL, lot_number TEXT NOT NULL, n BIGINT NOT NULL,
            PRIMARY KEY (session_id, product_code, lot_number)
        )
        """,
    ]
)
