/// Exposure Notification key server (#7): the export signing keys, one-time verification codes and the
/// tokens and certificates they turn into, the published diagnosis keys, and the export files made.
let m0010ExposureNotification = Migration(
    name: "0010_exposure_notification",
    purpose: "GAEN key server: export signing keys, verification codes, diagnosis keys, exports",
    statements: [
        """
        CREATE TABLE en_signing_keys (
            key_id TEXT NOT NULL,
            version TEXT NOT NULL,
            public_key TEXT NOT NULL,
            sealed_private_key TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            retired_at BIGINT,
            PRIMARY KEY (key_id, version)
        )
        """,
        """
        CREATE TABLE en_verification_codes (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            short_code_hash TEXT NOT NULL UNIQUE,
            long_code_hash TEXT NOT NULL UNIQUE,
            test_type TEXT NOT NULL CHECK (test_type IN ('confirmed', 'likely')),
            symptom_date TEXT,
            test_date TEXT,
            issued_by TEXT NOT NULL,
            issued_at BIGINT NOT NULL,
            short_expires_at BIGINT NOT NULL,
            long_expires_at BIGINT NOT NULL,
            claimed_at BIGINT,
            token_id TEXT UNIQUE,
            token_expires_at BIGINT,
            certificate_id TEXT UNIQUE,
            certificate_expires_at BIGINT,
            published_at BIGINT
        )
        """,
        "CREATE INDEX en_verification_codes_expiry ON en_verification_codes (long_expires_at)",
        """
        CREATE TABLE en_exposure_keys (
            key_data TEXT PRIMARY KEY,
            rolling_start INTEGER NOT NULL,
            rolling_period INTEGER NOT NULL CHECK (rolling_period BETWEEN 1 AND 144),
            transmission_risk INTEGER NOT NULL,
            report_type INTEGER NOT NULL,
            days_since_onset INTEGER,
            certificate_id TEXT NOT NULL,
            published_at BIGINT NOT NULL,
            exportable_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX en_exposure_keys_exportable ON en_exposure_keys (exportable_at)",
        "CREATE INDEX en_exposure_keys_rolling_start ON en_exposure_keys (rolling_start)",
        """
        CREATE TABLE en_exports (
            file_name TEXT PRIMARY KEY,
            period TEXT NOT NULL CHECK (period IN ('hourly', 'daily')),
            start_at BIGINT NOT NULL,
            end_at BIGINT NOT NULL,
            batch_num INTEGER NOT NULL,
            batch_size INTEGER NOT NULL,
            key_count INTEGER NOT NULL,
            padding_count INTEGER NOT NULL,
            key_id TEXT NOT NULL,
            key_version TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            UNIQUE (period, start_at, batch_num)
        )
        """,
    ]
)
