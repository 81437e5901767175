/// Both administrative schemes live side by side: a record keeps the code valid on its event date,
/// and the conversion table lets dashboards roll old codes up into the new scheme.
let m0001AdministrativeUnits = Migration(
    name: "0001_administrative_units",
    purpose: "administrative unit schemes (2021 three-tier, 2025 two-tier), their units and the conversion table",
    statements: [
        """
        CREATE TABLE unit_schemes (
            scheme TEXT PRIMARY KEY CHECK (scheme IN ('2021', '2025')),
            name TEXT NOT NULL,
            valid_from TEXT NOT NULL CHECK (valid_from LIKE '____-__-__'),
            valid_to TEXT CHECK (valid_to IS NULL OR valid_to LIKE '____-__-__'),
            legal_reference TEXT NOT NULL
        )
        """,
        """
        INSERT INTO unit_schemes (scheme, name, valid_from, valid_to, legal_reference) VALUES
        ('2021', 'province / district / commune', '2021-01-01', '2025-06-30', 'GSO list of 2025-01-04'),
        ('2025', 'province / commune', '2025-07-01', NULL, 'Resolution 202/2025/QH15; NQ of the NA Standing Committee on communes, 2025')
        """,
        """
        CREATE TABLE admin_units (
            scheme TEXT NOT NULL REFERENCES unit_schemes (scheme),
            code TEXT NOT NULL CHECK (length(code) IN (2, 3, 5)),
            level TEXT NOT NULL CHECK (level IN ('province', 'district', 'commune')),
            name TEXT NOT NULL,
            folded_name TEXT {collate_c} NOT NULL,
            unit_type TEXT NOT NULL,
            parent_code TEXT,
            province_code TEXT NOT NULL,
            PRIMARY KEY (scheme, code),
            FOREIGN KEY (scheme, parent_code) REFERENCES admin_units (scheme, code),
            CHECK ((level = 'province') = (parent_code IS NULL)),
            CHECK (level <> 'district' OR scheme = '2021')
        )
        """,
        "CREATE INDEX admin_units_parent ON admin_units (scheme, parent_code)",
        "CREATE INDEX admin_units_folded_name ON admin_units (folded_name)",
        """
        CREATE TABLE unit_conversions (
            old_commune_code TEXT NOT NULL,
            new_commune_code TEXT NOT NULL,
            old_district_code TEXT NOT NULL,
            old_province_code TEXT NOT NULL,
            new_province_code TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('whole', 'partial', 'unchanged', 'other')),
            note TEXT NOT NULL,
            PRIMARY KEY (old_commune_code, new_commune_code)
        )
        """,
    ]
)
