import Foundation
import Logging
import SQLKit
import VaxDomain

/// Loads the administrative units (both schemes), the conversion table and the priority groups
/// shipped as resources. Idempotent: a second import updates names and adds nothing twice.
public struct ReferenceDataImporter: Sendable {
    /// Counts of what an import wrote.
    public struct Summary: Sendable, Equatable, CustomStringConvertible {
        /// Units per scheme and level, e.g. `["2021 province": 63]`.
        public var units: [String: Int] = [:]
        /// Conversion rows.
        public var conversions = 0
        /// Priority groups.
        public var priorityGroups = 0

        public var description: String {
            let parts = units.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            return (parts + ["\(conversions) conversions", "\(priorityGroups) priority groups"])
                .joined(separator: ", ")
        }
    }

    private let directory: URL
    private let provinces: Set<String>?

    /// An importer reading the bundled data; `provinces` limits the units to some provinces (tests).
    public init(directory: URL? = nil, provinces: Set<String>? = nil) {
        self.directory = directory ?? Bundle.module.resourceURL!.appendingPathComponent("admin-units")
        self.provinces = provinces
    }

    /// Whether the database has no units yet.
    public static func isEmpty(_ database: VaxDatabase) async throws -> Bool {
        try await database.read { sql in
            try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("admin_units")
                .first(decodingColumn: "n", as: Int.self) ?? 0
        } == 0
    }

    /// Imports everything in one transaction.
    @discardableResult
    public func importAll(into database: VaxDatabase) async throws -> Summary {
        let groups = try Self.priorityGroups()
        let conversions = try conversions()
        // A province of 2025 took in communes of other 2021 provinces (Thái Nguyên took Bắc Kạn's):
        // their old units are loaded too, so back-entered 2021 addresses there still validate.
        let oldProvinces = provinces.map { selected in
            selected.union(conversions.filter { selected.contains($0.newProvinceCode) }.map(\.oldProvinceCode))
        }
        let units2021 = try units2021(provinces: oldProvinces)
        let units2025 = try units2025()
        return try await database.write { sql in
            var summary = Summary()
            summary.priorityGroups = try await Self.upsertPriorityGroups(groups, on: sql)
            for (scheme, units) in [(UnitScheme.tier3of2021, units2021), (.tier2of2025, units2025)] {
                for level in UnitLevel.allCases {
                    let batch = units.filter { $0.level == level }
                    guard !batch.isEmpty else { continue }
                    try await Self.upsertUnits(batch, on: sql)
                    summary.units["\(scheme.rawValue) \(level.rawValue)"] = batch.count
                }
            }
            try await Self.upsertConversions(conversions, on: sql)
            summary.conversions = conversions.count
            return summary
        }
    }

    // MARK: - Reading the files

    private func table(_ name: String) throws -> CSVTable {
        let url = directory.appendingPathComponent(name)
        do {
            return try CSVTable(text: String(contentsOf: url, encoding: .utf8))
        } catch let error as CSVError {
            throw ReferenceDataError(file: name, reason: error.description)
        }
    }

    private func included(_ province: String) -> Bool {
        provinces.map { $0.contains(province) } ?? true
    }

    func units2021(provinces selected: Set<String>?) throws -> [AdminUnit] {
        let table = try table("units-2021.csv")
        let columns = try [
            "province_code", "province_name", "district_code", "district_name", "commune_code", "commune_name",
            "commune_type",
        ].map { name throws in try table.column(name) }
        var provinces: [String: AdminUnit] = [:]
        var districts: [String: AdminUnit] = [:]
        var communes: [AdminUnit] = []
        for row in table.rows {
            let province = row[columns[0]]
            guard selected.map({ $0.contains(province) }) ?? true else { continue }
            let district = row[columns[2]]
            provinces[province] = AdminUnit(
                scheme: .tier3of2021,
                code: province,
                level: .province,
                name: row[columns[1]],
                unitType: Self.unitType(of: row[columns[1]]),
                parentCode: nil,
                provinceCode: province
            )
            districts[district] = AdminUnit(
                scheme: .tier3of2021,
                code: district,
                level: .district,
                name: row[columns[3]],
                unitType: Self.unitType(of: row[columns[3]]),
                parentCode: province,
                provinceCode: province
            )
            communes.append(
                AdminUnit(
                    scheme: .tier3of2021,
                    code: row[columns[4]],
                    level: .commune,
                    name: row[columns[5]],
                    unitType: row[columns[6]],
                    parentCode: district,
                    provinceCode: province
                )
            )
        }
        return provinces.values.sorted { $0.code < $1.code } + districts.values.sorted { $0.code < $1.code } + communes
    }

    func units2025() throws -> [AdminUnit] {
        let table = try table("units-2025.csv")
        let columns = try [
            "province_code", "province_name", "province_type", "commune_code", "commune_name", "commune_type",
        ]
        .map { name throws in try table.column(name) }
        var provinces: [String: AdminUnit] = [:]
        var communes: [AdminUnit] = []
        for row in table.rows {
            let province = row[columns[0]]
            guard included(province) else { continue }
            provinces[province] = AdminUnit(
                scheme: .tier2of2025,
                code: province,
                level: .province,
                name: row[columns[1]],
                unitType: row[columns[2]],
                parentCode: nil,
                provinceCode: province
            )
            communes.append(
                AdminUnit(
                    scheme: .tier2of2025,
                    code: row[columns[3]],
                    level: .commune,
                    name: row[columns[4]],
                    unitType: row[columns[5]],
                    parentCode: province,
                    provinceCode: province
                )
            )
        }
        return provinces.values.sorted { $0.code < $1.code } + communes
    }

    func conversions() throws -> [UnitConversion] {
        let table = try table("conversion-2025-07-01.csv")
        let columns = try [
            "new_province_code", "new_commune_code", "new_commune_name", "old_commune_code", "old_commune_name",
            "old_district_code", "old_province_code", "note",
        ].map { name throws in try table.column(name) }
        var seen: Set<[String]> = []
        var result: [UnitConversion] = []
        for row in table.rows {
            guard included(row[columns[6]]) || included(row[columns[0]]) else { continue }
            guard seen.insert([row[columns[3]], row[columns[1]]]).inserted else { continue }
            result.append(
                UnitConversion(
                    oldCommuneCode: row[columns[3]],
                    oldCommuneName: row[columns[4]],
                    oldDistrictCode: row[columns[5]],
                    oldProvinceCode: row[columns[6]],
                    newCommuneCode: row[columns[1]],
                    newCommuneName: row[columns[2]],
                    newProvinceCode: row[columns[0]],
                    kind: Self.conversionKind(note: row[columns[7]]),
                    note: row[columns[7]]
                )
            )
        }
        return result
    }

    static func priorityGroups() throws -> [[String]] {
        let url = Bundle.module.resourceURL!.appendingPathComponent("priority-groups/priority-groups.csv")
        let table = try CSVTable(text: String(contentsOf: url, encoding: .utf8))
        let columns = try ["code", "name_vi", "name_en", "legal_reference", "valid_from", "valid_to"]
            .map { name throws in try table.column(name) }
        return table.rows.map { row in columns.map { row[$0] } }
    }

    /// The kind of unit from its name's prefix ("Huyện Đồng Hỷ" -> "Huyện").
    static func unitType(of name: String) -> String {
        let prefixes = ["Thành phố", "Thị xã", "Thị trấn", "Đặc khu", "Tỉnh", "Quận", "Huyện", "Phường", "Xã"]
        return prefixes.first { name.hasPrefix($0 + " ") } ?? "Khác"
    }

    /// Classifies the official note: whole merge, partial, unchanged, or something else.
    static func conversionKind(note: String) -> ConversionKind {
        let folded = TextFolding.fold(note)
        if folded.contains("mot phan") || folded.contains("phan con lai") { return .partial }
        if folded.contains("toan bo") { return .whole }
        if folded.contains("giu nguyen") { return .unchanged }
        return .other
    }

    // MARK: - Writing

    private static func upsertPriorityGroups(_ rows: [[String]], on sql: any SQLDatabase) async throws -> Int {
        for row in rows {
            guard let code = Int(row[0]) else {
                throw ReferenceDataError(file: "priority-groups.csv", reason: "bad code")
            }
            try await sql.insert(into: "priority_groups")
                .columns("code", "name_vi", "name_en", "legal_reference", "valid_from", "valid_to")
                .values(
                    SQLBind(code),
                    SQLBind(row[1]),
                    SQLBind(row[2]),
                    SQLBind(row[3]),
                    SQLBind(row[4]),
                    SQLBind(row[5].isEmpty ? nil : row[5])
                )
                .onConflict(with: ["code"]) { update in
                    update.set(excludedValueOf: "name_vi").set(excludedValueOf: "name_en")
                        .set(excludedValueOf: "legal_reference").set(excludedValueOf: "valid_from")
                        .set(excludedValueOf: "valid_to")
                }
                .run()
        }
        return rows.count
    }

    private static func upsertUnits(_ units: [AdminUnit], on sql: any SQLDatabase) async throws {
        for start in stride(from: 0, to: units.count, by: 500) {
            let batch = units[start..<min(start + 500, units.count)]
            let insert = sql.insert(into: "admin_units")
                .columns("scheme", "code", "level", "name", "folded_name", "unit_type", "parent_code", "province_code")
            for unit in batch {
                insert.values(
                    SQLBind(unit.scheme.rawValue),
                    SQLBind(unit.code),
                    SQLBind(unit.level.rawValue),
                    SQLBind(unit.name),
                    SQLBind(TextFolding.fold(unit.name)),
                    SQLBind(unit.unitType),
                    SQLBind(unit.parentCode),
                    SQLBind(unit.provinceCode)
                )
            }
            try await insert.onConflict(with: ["scheme", "code"]) { update in
                update.set(excludedValueOf: "name").set(excludedValueOf: "folded_name")
                    .set(excludedValueOf: "unit_type")
            }.run()
        }
    }

    private static func upsertConversions(_ rows: [UnitConversion], on sql: any SQLDatabase) async throws {
        for start in stride(from: 0, to: rows.count, by: 500) {
            let insert = sql.insert(into: "unit_conversions")
                .columns(
                    "old_commune_code",
                    "new_commune_code",
                    "old_district_code",
                    "old_province_code",
                    "new_province_code",
                    "kind",
                    "note"
                )
            for row in rows[start..<min(start + 500, rows.count)] {
                insert.values(
                    SQLBind(row.oldCommuneCode),
                    SQLBind(row.newCommuneCode),
                    SQLBind(row.oldDistrictCode),
                    SQLBind(row.oldProvinceCode),
                    SQLBind(row.newProvinceCode),
                    SQLBind(row.kind.rawValue),
                    SQLBind(row.note)
                )
            }
            try await insert.onConflict(with: ["old_commune_code", "new_commune_code"]) { update in
                update.set(excludedValueOf: "kind").set(excludedValueOf: "note")
            }.run()
        }
    }
}

/// A reference data file that cannot be loaded.
public struct ReferenceDataError: Error, CustomStringConvertible {
    /// The file.
    public let file: String
    /// What is wrong.
    public let reason: String
    public var description: String { "\(file): \(reason)" }
}
