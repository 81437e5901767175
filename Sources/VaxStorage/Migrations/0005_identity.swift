/// Accounts, sessions, one-time codes, API tokens, facilities (as scopes) and the message outbox.
///
/// Every secret is stored as a SHA-256 digest (session and API tokens, recovery codes), a keyed
/// HMAC (one-time codes: six digits would fall to a plain hash), or a bcrypt hash (passwords); TOTP
/// secrets are sealed with AES-GCM.
let m0005Identity = Migration(
    name: "0005_identity",
    purpose: "accounts, sessions, one-time codes, API tokens, facilities as scopes, message outbox",
    statements: [
        """
        CREATE TABLE facilities (
            id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 40),
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
            unit_code TEXT NOT NULL CHECK (length(unit_code) IN (2, 3, 5)),
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            kind TEXT NOT NULL CHECK (kind IN ('staff', 'citizen')),
            username TEXT UNIQUE CHECK (username IS NULL OR length(username) BETWEEN 3 AND 64),
            phone TEXT UNIQUE CHECK (phone IS NULL OR (phone LIKE '+84%' AND length(phone) = 12)),
            display_name TEXT,
            password_hash TEXT,
            totp_secret_sealed TEXT,
            totp_enabled_at BIGINT,
            totp_last_step BIGINT NOT NULL DEFAULT 0,
            role TEXT NOT NULL CHECK (role IN ('citizen', 'vaccinator', 'facility_admin', 'commune_official',
                'district_official', 'province_official', 'venue_owner', 'venue_staff', 'tracer', 'system_admin',
                'data_protection_officer')),
            scope TEXT NOT NULL,
            disabled_at BIGINT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            CHECK ((kind = 'staff') = (username IS NOT NULL AND password_hash IS NOT NULL)),
            CHECK ((kind = 'citizen') = (phone IS NOT NULL)),
            CHECK ((kind = 'citizen') = (role = 'citizen')),
            CHECK (totp_enabled_at IS NULL OR totp_secret_sealed IS NOT NULL)
        )
        """,
        // Lock-out state per username, by a keyed hash of it, for unknown usernames too: an unknown name
        // locks exactly like a known one, so lock-out does not tell which usernames exist.
        """
        CREATE TABLE sign_in_attempts (
            username_hash TEXT PRIMARY KEY CHECK (length(username_hash) = 32),
            failed_attempts INTEGER NOT NULL CHECK (failed_attempts >= 0),
            locked_until BIGINT,
            updated_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE recovery_codes (
            account_id TEXT NOT NULL REFERENCES accounts (id),
            code_hash TEXT NOT NULL CHECK (length(code_hash) = 64),
            used_at BIGINT,
            PRIMARY KEY (account_id, code_hash)
        )
        """,
        """
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
            account_id TEXT NOT NULL REFERENCES accounts (id),
            stage TEXT NOT NULL CHECK (stage IN ('mfa', 'enrol', 'active')),
            csrf_hash TEXT NOT NULL CHECK (length(csrf_hash) = 64),
            created_at BIGINT NOT NULL,
            last_seen_at BIGINT NOT NULL,
            idle_seconds INTEGER NOT NULL CHECK (idle_seconds > 0),
            expires_at BIGINT NOT NULL,
            revoked_at BIGINT,
            revoked_reason TEXT,
            CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL))
        )
        """,
        "CREATE INDEX sessions_account ON sessions (account_id, revoked_at)",
        "CREATE INDEX sessions_expiry ON sessions (expires_at)",
        """
        CREATE TABLE otp_challenges (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            phone TEXT NOT NULL CHECK (phone LIKE '+84%' AND length(phone) = 12),
            code_hash TEXT NOT NULL CHECK (length(code_hash) = 32),
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            consumed_at BIGINT
        )
        """,
        "CREATE INDEX otp_challenges_phone ON otp_challenges (phone, created_at)",
        """
        CREATE TABLE api_tokens (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
            name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
            role TEXT NOT NULL,
            scope TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            last_used_at BIGINT,
            revoked_at BIGINT,
            CHECK (expires_at > created_at)
        )
        """,
        """
        CREATE TABLE message_outbox (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            channel TEXT NOT NULL CHECK (channel IN ('sms')),
            recipient TEXT NOT NULL,
            purpose TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX message_outbox_time ON message_outbox (created_at)",
        // One row per phone, locked while a code is sent, so that concurrent requests respect the limits.
        """
        CREATE TABLE otp_senders (
            phone TEXT PRIMARY KEY CHECK (phone LIKE '+84%' AND length(phone) = 12),
            updated_at BIGINT NOT NULL
        )
        """,
    ]
)
