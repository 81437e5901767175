import Foundation
import SQLKit
import VaxDomain

extension RollupStore {
    /// One summed group of a rollup table.
    public struct Sum: Sendable, Equatable {
        /// The values of the grouped columns, in the order asked.
        public var key: [String]
        /// The sum of `n`.
        public var n: Int
    }

    /// Sums `n` of a rollup table over some dashboard units (and a day range), grouped by columns of
    /// the table. Reads only the rows of those units: an index range per unit.
    public func sums(
        _ table: RollupTable,
        by columns: [String],
        units: [String],
        dayColumn: String? = nil,
        from: LocalDate? = nil,
        through: LocalDate? = nil,
        measures: [String]? = nil,
        monthly: Bool = false
    ) async throws -> [Sum] {
        // A monthly day column holds `yyyy-mm`: a day bound becomes its month.
        @Sendable func bound(_ day: LocalDate) -> String {
            monthly ? String(day.description.prefix(7)) : day.description
        }
        precondition(columns.allSatisfy(table.keys.contains), "group by a key column of \(table.rawValue)")
        guard !units.isEmpty else { return [] }
        let unitColumn = table.keys[0]
        return try await database.read { sql in
            var query = SQLQueryString("SELECT ")
            for column in columns {
                query.appendInterpolation(ident: column)
                query.appendLiteral(", ")
            }
            query.appendLiteral("CAST(SUM(n) AS BIGINT) AS n FROM ")
            query.appendInterpolation(ident: table.rawValue)
            query.appendLiteral(" WHERE ")
            query.appendInterpolation(ident: unitColumn)
            query.appendLiteral(" IN ")
            query.appendInterpolation(SQLGroupExpression(units.map { SQLBind($0) as any SQLExpression }))
            if let dayColumn {
                if let from {
                    query.appendLiteral(" AND ")
                    query.appendInterpolation(ident: dayColumn)
                    query.appendLiteral(" >= ")
                    query.appendInterpolation(bind: bound(from))
                }
                if let through {
                    query.appendLiteral(" AND ")
                    query.appendInterpolation(ident: dayColumn)
                    query.appendLiteral(" <= ")
                    query.appendInterpolation(bind: bound(through))
                }
            }
            if let measures {
                query.appendLiteral(" AND measure IN ")
                query.appendInterpolation(SQLGroupExpression(measures.map { SQLBind($0) as any SQLExpression }))
            }
            if !columns.isEmpty {
                query.appendLiteral(" GROUP BY ")
                query.appendInterpolation(idents: columns, joinedBy: ", ")
            }
            return try await sql.raw(query).all().map { row in
                Sum(
                    key: try columns.map { try row.decode(column: $0, as: String.self) },
                    n: try row.decode(column: "n", as: Int?.self) ?? 0
                )
            }
        }
    }

    /// Target populations of units: unit → priority group (0 is everyone) → people.
    public func targets(units: [String]) async throws -> [String: [Int: Int]] {
        guard !units.isEmpty else { return [:] }
        return try await database.read { sql in
            var found: [String: [Int: Int]] = [:]
            for row in try await sql.select().columns("unit_code", "priority_group", "target").from(
                "population_targets"
            )
            .where("unit_code", .in, units).all() {
                found[try row.decode(column: "unit_code", as: String.self), default: [:]][
                    try row.decode(column: "priority_group", as: Int.self)
                ] = try row.decode(column: "target", as: Int.self)
            }
            return found
        }
    }

    /// Sets target populations (unit → group → people), replacing those of the same unit and group.
    public func setTargets(_ targets: [String: [Int: Int]]) async throws {
        try await database.write { sql in
            for (unit, groups) in targets.sorted(by: { $0.key < $1.key }) {
                for (group, target) in groups.sorted(by: { $0.key < $1.key }) {
                    try await sql.raw(
                        """
                        INSERT INTO population_targets (unit_code, priority_group, target)
                        VALUES (\(bind: unit), \(bind: group), \(bind: target))
                        ON CONFLICT (unit_code, priority_group) DO UPDATE SET target = excluded.target
                        """
                    ).run()
                }
            }
        }
    }

    /// Counts the registry into target populations for every dashboard unit (everyone, and each
    /// priority group): the planning job for a province without census figures. It reads person rows
    /// once, offline; no dashboard request does.
    public func targetsFromRegistry() async throws -> [String: [Int: Int]] {
        try await database.read { sql in
            let units = try await self.units(on: sql)
            var targets: [String: [Int: Int]] = [:]
            for row in try await sql.raw(
                """
                SELECT unit_scheme, province_code, district_code, commune_code, primary_priority_group, COUNT(*) AS n
                FROM people WHERE merged_into IS NULL
                GROUP BY unit_scheme, province_code, district_code, commune_code, primary_priority_group
                """
            ).all() {
                let address = RollupAddress(
                    s: try row.decode(column: "unit_scheme", as: String.self),
                    p: try row.decode(column: "province_code", as: String.self),
                    d: try row.decode(column: "district_code", as: String?.self),
                    c: try row.decode(column: "commune_code", as: String.self)
                )
                let group = try row.decode(column: "primary_priority_group", as: Int.self)
                let n = try row.decode(column: "n", as: Int.self)
                for unit in units.units(of: address) {
                    targets[unit, default: [:]][0, default: 0] += n
                    targets[unit, default: [:]][group, default: 0] += n
                }
            }
            return targets
        }
    }

    /// Which dashboard units records and unit codes count in (read once, then from memory).
    public func membership() async throws -> UnitMembership {
        // Remembered after the first read: no connection is taken for it again.
        if let known = knownMembership.withLock({ $0 }) { return known }
        return try await database.read { sql in try await self.units(on: sql) }
    }

    /// The facilities counted in a dashboard unit.
    public func facilities(in unit: String) async throws -> [String] {
        try await database.read { sql in
            let units = try await self.units(on: sql)
            return try await sql.raw("SELECT id, unit_code FROM facilities ORDER BY id").all().compactMap { row in
                let id = try row.decode(column: "id", as: String.self)
                let code = try row.decode(column: "unit_code", as: String.self)
                return units.units(ofUnitCode: code).contains(unit) ? id : nil
            }
        }
    }

    /// Site tallies per facility and product over a day range.
    public func tallies(
        facilities: [String],
        from: LocalDate,
        through: LocalDate
    ) async throws -> [String: [String: Int]] {
        guard !facilities.isEmpty else { return [:] }
        return try await database.read { sql in
            var found: [String: [String: Int]] = [:]
            for row in try await sql.raw(
                """
                SELECT facility_id, product_code, SUM(doses) AS doses FROM site_tallies
                WHERE facility_id IN \(SQLGroupExpression(facilities.map { SQLBind($0) as any SQLExpression }))
                AND day >= \(bind: from.description) AND day <= \(bind: through.description)
                GROUP BY facility_id, product_code
                """
            ).all() {
                found[try row.decode(column: "facility_id", as: String.self), default: [:]][
                    try row.decode(column: "product_code", as: String.self)
                ] = try row.decode(column: "doses", as: Int.self)
            }
            return found
        }
    }

    /// The plain GROUP BY over person-level tables that the rollups replace, for the benchmark's
    /// reference: doses per day in a unit's area, and coverage by dose number.
    public func referenceDosesPerDay(area: ScopeArea) async throws -> Int {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT d.administered_on, d.dose_number, COUNT(*) AS n FROM doses d JOIN people p ON p.id = d.person_id
                WHERE \(Self.areaFilter(area)) GROUP BY d.administered_on, d.dose_number
                """
            ).all().count
        }
    }

    /// The reference for the coverage by priority group and product.
    public func referenceCoverage(area: ScopeArea) async throws -> Int {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT d.product_code, d.dose_number, p.primary_priority_group, COUNT(*) AS n
                FROM doses d JOIN people p ON p.id = d.person_id
                WHERE \(Self.areaFilter(area)) GROUP BY d.product_code, d.dose_number, p.primary_priority_group
                """
            ).all().count
        }
    }

    static func areaFilter(_ area: ScopeArea) -> SQLQueryString {
        func list(_ codes: Set<String>) -> any SQLExpression {
            codes.isEmpty ? SQLRaw("('')") : SQLGroupExpression(codes.sorted().map { SQLBind($0) as any SQLExpression })
        }
        return """
            ((p.unit_scheme = '2025' AND (p.province_code IN \(list(area.provinces)) OR p.commune_code IN \(list(area.communes))))
            OR (p.unit_scheme = '2021' AND (p.district_code IN \(list(area.districts2021)) OR p.commune_code IN \(list(area.communes2021)))))
            """
    }
}
