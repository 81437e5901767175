/// Health certificates (#5): the signing keys (a country signing CA and its document signers, private
/// keys sealed with the server's master key), the certificates issued for doses, and which outbox
/// events each consumer has handled (certificates now, dashboards later), so consumers never share a flag.
let m0008Certificates = Migration(
    name: "0008_certificates",
    purpose: "signing keys, issued health certificates, outbox deliveries per consumer",
    statements: [
        """
        CREATE TABLE signing_keys (
            kid TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('csca', 'dsc')),
            algorithm TEXT NOT NULL CHECK (algorithm IN ('ES256', 'PS256')),
            certificate_der TEXT NOT NULL,
            sealed_private_key TEXT NOT NULL,
            authority_kid TEXT,
            created_at BIGINT NOT NULL,
            not_after BIGINT NOT NULL,
            retired_at BIGINT
        )
        """,
        """
        CREATE TABLE health_certificates (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            person_id TEXT NOT NULL,
            dose_id TEXT NOT NULL,
            event_id TEXT NOT NULL UNIQUE,
            uvci TEXT NOT NULL UNIQUE,
            kid TEXT NOT NULL,
            hc1 TEXT NOT NULL,
            issued_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            revocation_hash TEXT NOT NULL,
            revoked_at BIGINT,
            revoked_reason TEXT
        )
        """,
        "CREATE INDEX health_certificates_person ON health_certificates (person_id, issued_at)",
        "CREATE INDEX health_certificates_dose ON health_certificates (dose_id)",
        "CREATE INDEX health_certificates_revoked ON health_certificates (revoked_at)",
        """
        CREATE TABLE outbox_deliveries (
            consumer TEXT NOT NULL,
            event_id TEXT NOT NULL,
            processed_at BIGINT NOT NULL,
            outcome TEXT NOT NULL,
            PRIMARY KEY (consumer, event_id)
        )
        """,
    ]
)
