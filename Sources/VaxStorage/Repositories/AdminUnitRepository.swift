import SQLKit
import VaxDomain

/// Read access to the administrative units.
public protocol AdminUnitRepository: Sendable {
    /// The provinces of a scheme, by code.
    func provinces(scheme: UnitScheme) async throws -> [AdminUnit]
    /// One unit, if it exists.
    func unit(scheme: UnitScheme, code: String) async throws -> AdminUnit?
    /// The units directly under a unit, by code.
    func children(scheme: UnitScheme, code: String) async throws -> [AdminUnit]
    /// Units whose folded name contains every folded word of `query`.
    func search(_ query: String, scheme: UnitScheme?, level: UnitLevel?, limit: Int) async throws -> [AdminUnit]
    /// The new (2025) communes an old (2021) commune became.
    func conversions(oldCommuneCode: String) async throws -> [UnitConversion]
}

/// The SQLKit implementation, for both engines.
public struct SQLAdminUnitRepository: AdminUnitRepository {
    private let database: VaxDatabase
    private static let columns = ["scheme", "code", "level", "name", "unit_type", "parent_code", "province_code"]

    /// A repository over the database.
    public init(database: VaxDatabase) {
        self.database = database
    }

    public func provinces(scheme: UnitScheme) async throws -> [AdminUnit] {
        try await database.read { sql in
            try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("admin_units")
                .where("scheme", .equal, scheme.rawValue).where("level", .equal, UnitLevel.province.rawValue)
                .orderBy("code").all().map(Self.unit(from:))
        }
    }

    public func unit(scheme: UnitScheme, code: String) async throws -> AdminUnit? {
        try await database.read { sql in
            try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("admin_units")
                .where("scheme", .equal, scheme.rawValue).where("code", .equal, code)
                .first().map(Self.unit(from:))
        }
    }

    public func children(scheme: UnitScheme, code: String) async throws -> [AdminUnit] {
        try await database.read { sql in
            try await sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("admin_units")
                .where("scheme", .equal, scheme.rawValue).where("parent_code", .equal, code)
                .orderBy("code").all().map(Self.unit(from:))
        }
    }

    public func search(_ query: String, scheme: UnitScheme?, level: UnitLevel?, limit: Int) async throws -> [AdminUnit]
    {
        let words = TextFolding.fold(query).split(separator: " ").map(String.init)
        guard !words.isEmpty else { return [] }
        return try await database.read { sql in
            let select = sql.select().columns(Self.columns.map { SQLIdentifier($0) }).from("admin_units")
            for word in words {
                // Match whole words or word prefixes: "dong hy" finds "huyen dong hy", not "dong hyx…" only.
                select.where(group: { group in
                    group.where("folded_name", .like, word + "%").orWhere("folded_name", .like, "% " + word + "%")
                })
            }
            if let scheme { select.where("scheme", .equal, scheme.rawValue) }
            if let level { select.where("level", .equal, level.rawValue) }
            return try await select.orderBy("scheme", .descending).orderBy("level").orderBy("code").limit(limit)
                .all().map(Self.unit(from:))
        }
    }

    public func conversions(oldCommuneCode: String) async throws -> [UnitConversion] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT c.old_commune_code, c.new_commune_code, c.old_district_code, c.old_province_code,
                       c.new_province_code, c.kind, c.note,
                       COALESCE(o.name, '') AS old_name, COALESCE(n.name, '') AS new_name
                FROM unit_conversions c
                LEFT JOIN admin_units o ON o.scheme = '2021' AND o.code = c.old_commune_code
                LEFT JOIN admin_units n ON n.scheme = '2025' AND n.code = c.new_commune_code
                WHERE c.old_commune_code = \(bind: oldCommuneCode)
                ORDER BY c.new_commune_code
                """
            ).all().map { row in
                UnitConversion(
                    oldCommuneCode: try row.decode(column: "old_commune_code", as: String.self),
                    oldCommuneName: try row.decode(column: "old_name", as: String.self),
                    oldDistrictCode: try row.decode(column: "old_district_code", as: String.self),
                    oldProvinceCode: try row.decode(column: "old_province_code", as: String.self),
                    newCommuneCode: try row.decode(column: "new_commune_code", as: String.self),
                    newCommuneName: try row.decode(column: "new_name", as: String.self),
                    newProvinceCode: try row.decode(column: "new_province_code", as: String.self),
                    kind: ConversionKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .other,
                    note: try row.decode(column: "note", as: String.self)
                )
            }
        }
    }

    static func unit(from row: any SQLRow) throws -> AdminUnit {
        let scheme = try row.decode(column: "scheme", as: String.self)
        let level = try row.decode(column: "level", as: String.self)
        return AdminUnit(
            scheme: UnitScheme(rawValue: scheme) ?? .tier2of2025,
            code: try row.decode(column: "code", as: String.self),
            level: UnitLevel(rawValue: level) ?? .commune,
            name: try row.decode(column: "name", as: String.self),
            unitType: try row.decode(column: "unit_type", as: String.self),
            parentCode: try row.decode(column: "parent_code", as: String?.self),
            provinceCode: try row.decode(column: "province_code", as: String.self)
        )
    }
}
