/// Priority groups are data with a legal reference and validity, so a new decision is a data change.
let m0002PriorityGroups = Migration(
    name: "0002_priority_groups",
    purpose: "priority groups for vaccination (loaded from the reference data)",
    statements: [
        """
        CREATE TABLE priority_groups (
            code INTEGER PRIMARY KEY CHECK (code > 0),
            name_vi TEXT NOT NULL,
            name_en TEXT NOT NULL,
            legal_reference TEXT NOT NULL,
            valid_from TEXT NOT NULL CHECK (valid_from LIKE '____-__-__'),
            valid_to TEXT CHECK (valid_to IS NULL OR valid_to LIKE '____-__-__')
        )
        """
    ]
)
