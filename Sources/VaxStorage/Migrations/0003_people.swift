/// The person registry. The national ID number is never stored in clear: `national_id_sealed` is
/// AES-GCM ciphertext and `national_id_hash` an HMAC for exact look-up and de-duplication.
/// Dates are `yyyy-mm-dd` text and instants epoch milliseconds, identical on both engines.
let m0003People = Migration(
    name: "0003_people",
    purpose: "people, their priority groups, and the duplicate review queue",
    statements: [
        """
        CREATE TABLE people (
            id TEXT PRIMARY KEY CHECK (length(id) = 36),
            full_name TEXT NOT NULL CHECK (length(full_name) BETWEEN 1 AND 100),
            folded_name TEXT {collate_c} NOT NULL,
            date_of_birth TEXT NOT NULL CHECK (date_of_birth LIKE '____-__-__'),
            sex TEXT NOT NULL CHECK (sex IN ('male', 'female')),
            phone TEXT CHECK (phone IS NULL OR (phone LIKE '+84%' AND length(phone) = 12)),
            national_id_type TEXT CHECK (national_id_type IN ('cccd', 'cmnd', 'passport', 'foreign_passport')),
            national_id_sealed TEXT,
            national_id_hash TEXT UNIQUE,
            health_insurance_number TEXT,
            occupation TEXT,
            workplace TEXT,
            ethnicity TEXT,
            nationality TEXT NOT NULL CHECK (length(nationality) = 2),
            unit_scheme TEXT NOT NULL,
            province_code TEXT NOT NULL,
            district_code TEXT,
            commune_code TEXT NOT NULL,
            street TEXT,
            primary_priority_group INTEGER NOT NULL REFERENCES priority_groups (code),
            guardian_id TEXT REFERENCES people (id),
            relationship TEXT CHECK (relationship IN ('child', 'parent', 'spouse', 'grandparent', 'other')),
            merged_into TEXT REFERENCES people (id),
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            FOREIGN KEY (unit_scheme, province_code) REFERENCES admin_units (scheme, code),
            FOREIGN KEY (unit_scheme, district_code) REFERENCES admin_units (scheme, code),
            FOREIGN KEY (unit_scheme, commune_code) REFERENCES admin_units (scheme, code),
            CHECK ((national_id_type IS NULL) = (national_id_hash IS NULL)),
            CHECK ((national_id_hash IS NULL) = (national_id_sealed IS NULL)),
            CHECK ((guardian_id IS NULL) = (relationship IS NULL)),
            CHECK (guardian_id IS NULL OR guardian_id <> id),
            CHECK (merged_into IS NULL OR merged_into <> id)
        )
        """,
        "CREATE INDEX people_folded_name ON people (folded_name, date_of_birth)",
        "CREATE INDEX people_phone ON people (phone)",
        "CREATE INDEX people_commune ON people (unit_scheme, commune_code, folded_name)",
        "CREATE INDEX people_guardian ON people (guardian_id)",
        """
        CREATE TABLE person_priority_groups (
            person_id TEXT NOT NULL REFERENCES people (id),
            group_code INTEGER NOT NULL REFERENCES priority_groups (code),
            PRIMARY KEY (person_id, group_code)
        )
        """,
        """
        CREATE TABLE duplicate_reviews (
            id TEXT PRIMARY KEY,
            person_id TEXT NOT NULL REFERENCES people (id),
            candidate_id TEXT NOT NULL REFERENCES people (id),
            reason TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'merged', 'dismissed')),
            created_at BIGINT NOT NULL,
            resolved_at BIGINT,
            UNIQUE (person_id, candidate_id),
            CHECK (person_id <> candidate_id),
            CHECK ((status = 'open') = (resolved_at IS NULL))
        )
        """,
        "CREATE INDEX duplicate_reviews_status ON duplicate_reviews (status, created_at)",
        // The fingerprint of the key the national IDs were sealed with: starting with another key
        // would make every sealed number unreadable and every look-up miss.
        """
        CREATE TABLE key_fingerprints (
            purpose TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL CHECK (length(fingerprint) = 32)
        )
        """,
    ]
)
