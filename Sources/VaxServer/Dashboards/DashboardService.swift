import Foundation
import Synchronization
import VaxDomain
import VaxSheets
import VaxStorage

/// A dashboard as a table: the same data serves the JSON API, the web pages, CSV and XLSX.
public struct DashboardTable: Sendable, Equatable {
    /// A column: its machine name, its label, and `text`, `integer`, `decimal` or `date`.
    public struct Column: Sendable, Equatable {
        public var name: String
        public var label: String
        public var type: String
    }

    /// A unit with its name.
    public struct UnitRef: Sendable, Equatable {
        public var code: String
        public var name: String
    }

    public var view: String
    public var title: String
    public var unit: UnitRef
    /// The unit above, for drilling up (none above the nation).
    public var parent: UnitRef?
    public var columns: [Column]
    /// Cells as text (numbers in plain decimal notation, dates yyyy-mm-dd); a row that names a
    /// unit one can drill into has its code in the column `unitCode`.
    public var rows: [[String]]

    /// The header and the rows, for CSV and XLSX.
    public var grid: [[String]] { [columns.map(\.label)] + rows }

    public func csv() -> Data { Spreadsheet.writeCSV(Spreadsheet.neutralisingFormulas(grid)) }

    public func xlsx() throws -> Data { try Spreadsheet.writeXLSX(sheetName: title, rows: grid) }
}

/// The dashboards' views.
public enum DashboardView: String, CaseIterable, Sendable {
    case coverage
    case dosesPerDay = "doses-per-day"
    case dropout
    case vaccineQuality = "vaccine-quality"
    case stock
    case completeness
    case organisations
    case pipeline
    case dailyReport = "daily-report"
}

/// What a dashboard request asks beyond its unit.
public struct DashboardQuery: Sendable {
    /// For coverage: `unit` (the units below), `group`, `product`, `dose`, `sex` or `age`.
    public var by: String = "unit"
    /// For the units below a province: `2021` (districts) or `2025` (communes).
    public var scheme: String = "2025"
    public var from: LocalDate?
    public var through: LocalDate?

    public init(by: String = "unit", scheme: String = "2025", from: LocalDate? = nil, through: LocalDate? = nil) {
        self.by = by
        self.scheme = scheme
        self.from = from
        self.through = through
    }
}

/// What the dashboards look up about units on every request, remembered: units change only with a law.
final class DashboardUnitCache: Sendable {
    let refs = Mutex<[String: DashboardTable.UnitRef?]>([:])
    let parents = Mutex<[String: DashboardTable.UnitRef?]>([:])
    let children = Mutex<[String: [String]]>([:])
    let allowed = Mutex<[String: Bool]>([:])

    func remember<V: Sendable>(
        _ table: borrowing Mutex<[String: V]>,
        _ key: String,
        _ make: () async throws -> V
    )
        async rethrows -> V
    {
        if let known = table.withLock({ $0[key] }) { return known }
        let made = try await make()
        table.withLock {
            if $0.count > 50_000 { $0.removeAll() }
            $0[key] = made
        }
        return made
    }
}

/// The dashboards of the campaign, read only from rollup tables, the ledger's balances and the
/// planning targets; every figure scoped to a unit the caller may see.
public struct DashboardService: Sendable {
    let rollups: RollupStore
    let logistics: LogisticsService
    let units: any AdminUnitRepository
    let identity: IdentityStore
    let clock: WallClock
    let cache = DashboardUnitCache()

    public init(
        rollups: RollupStore,
        logistics: LogisticsService,
        units: any AdminUnitRepository,
        identity: IdentityStore,
        clock: WallClock = .system
    ) {
        self.rollups = rollups
        self.logistics = logistics
        self.units = units
        self.identity = identity
        self.clock = clock
    }

    /// The dashboards over a database, with the services they read through (for commands and benchmarks).
    public static func over(
        _ database: VaxDatabase,
        vault: NationalIDVault,
        clock: WallClock = .system
    ) -> DashboardService {
        let units = SQLAdminUnitRepository(database: database)
        let people = SQLPersonRepository(database: database, vault: vault)
        let registry = PersonRegistry(
            people: people,
            units: units,
            audit: SQLAuditRepository(database: database),
            priorityGroups: SQLPriorityGroupRepository(database: database),
            clock: clock
        )
        let campaign = CampaignService(
            store: CampaignStore(database: database, people: people),
            registry: registry,
            people: people,
            units: units,
            vault: vault,
            clock: clock
        )
        let rollups = RollupStore(database: database)
        return DashboardService(
            rollups: rollups,
            logistics: LogisticsService(
                store: StockStore(database: database),
                rollups: rollups,
                campaign: campaign,
                clock: clock
            ),
            units: units,
            identity: IdentityStore(database: database),
            clock: clock
        )
    }

    // MARK: Units and scope

    /// The name of a dashboard unit: `VN`, a 2025 province (2 digits), a 2021 district (3), a 2025 commune (5).
    func ref(_ code: String) async throws -> DashboardTable.UnitRef? {
        try await cache.remember(cache.refs, code) { try await lookUp(code) }
    }

    private func lookUp(_ code: String) async throws -> DashboardTable.UnitRef? {
        if code == UnitMembership.nation { return .init(code: code, name: "Việt Nam") }
        let scheme: UnitScheme = code.count == 3 ? .tier3of2021 : .tier2of2025
        guard [2, 3, 5].contains(code.count), let unit = try await units.unit(scheme: scheme, code: code) else {
            return nil
        }
        return .init(code: code, name: unit.name)
    }

    /// The unit above one: the province of a commune or district, the nation above a province.
    func parent(of code: String) async throws -> DashboardTable.UnitRef? {
        try await cache.remember(cache.parents, code) { try await lookUpParent(of: code) }
    }

    private func lookUpParent(of code: String) async throws -> DashboardTable.UnitRef? {
        switch code.count {
        case 2: return try await ref(UnitMembership.nation)
        case 5:
            guard let unit = try await units.unit(scheme: .tier2of2025, code: code), let up = unit.parentCode else {
                return nil
            }
            return try await ref(up)
        case 3:
            guard let area = try await identity.area(ofUnit: code) else { return nil }
            for province in try await units.provinces(scheme: .tier2of2025) {
                if let covering = try await identity.area(ofUnit: province.code),
                    covering.districts2021.isSuperset(of: area.districts2021)
                {
                    return .init(code: province.code, name: province.name)
                }
            }
            return nil
        default: return nil
        }
    }

    /// The units one level down: provinces of the nation; a province's 2021 districts or 2025 communes.
    func children(of code: String, scheme: String) async throws -> [String] {
        try await cache.remember(cache.children, code + "/" + scheme) {
            try await lookUpChildren(of: code, scheme: scheme)
        }
    }

    /// The units below one that the caller sees (who may see a unit sees the units below it, except a
    /// facility's administrator, who sees only the facility's unit).
    func visibleChildren(of code: String, scheme: String, by actor: Actor) async throws -> [String] {
        if case .facility = actor.principal.scope { return [] }
        return try await children(of: code, scheme: scheme)
    }

    private func lookUpChildren(of code: String, scheme: String) async throws -> [String] {
        switch code.count {
        case 2 where code == UnitMembership.nation:
            return try await units.provinces(scheme: .tier2of2025).map(\.code)
        case 2:
            if scheme == "2021" {
                return (try await identity.area(ofUnit: code))?.districts2021.sorted() ?? []
            }
            return try await units.children(scheme: .tier2of2025, code: code).map(\.code)
        default:
            return []
        }
    }

    /// Whether the caller may see a unit's figures: a system administrator any; an official or
    /// facility administrator their own unit, and for a province scope its districts and communes.
    func authorize(_ code: String, by actor: Actor) async throws {
        let scope: String
        switch actor.principal.scope {
        case .all: return
        case .unit(let unit): scope = unit
        case .facility(let id):
            guard let facility = try await identity.facility(id: id) else { throw Self.outOfScope(code) }
            scope = facility.unitCode
        default: throw Self.outOfScope(code)
        }
        if code == scope { return }
        // Only a province official's scope reaches down; a facility's is its own unit.
        if case .unit = actor.principal.scope, scope.count == 2, code != UnitMembership.nation {
            let inside = try await cache.remember(cache.allowed, scope + "/" + code) {
                if code.count == 5 {
                    return try await units.unit(scheme: .tier2of2025, code: code)?.parentCode == scope
                }
                if code.count == 3 {
                    return try await identity.area(ofUnit: scope)?.districts2021.contains(code) == true
                }
                return false
            }
            if inside { return }
        }
        throw Self.outOfScope(code)
    }

    static func outOfScope(_ code: String) -> AppError {
        AppError(
            .forbidden,
            code: "out_of_scope",
            message: "The unit \(code.prefix(10)) is outside your scope.",
            field: "unit"
        )
    }

    // MARK: Inputs

    /// Saves a site's aggregate tally of a day (a later report of the same day and product replaces it).
    public func reportTally(facility: String, day: LocalDate, product: String, doses: Int, by actor: Actor) async throws
    {
        let campaign = logistics.campaign
        guard let found = try await campaign.store.facility(id: facility) else {
            throw AppError.invalidField("facilityId", "No facility has the code \(facility.prefix(40)).")
        }
        try await campaign.authorizeFacilityUnit(found.unitCode, by: actor.principal, facilityID: found.id)
        guard campaign.catalogue.product(product) != nil else {
            throw AppError.invalidField("productCode", "\(product.prefix(40)) is not in the vaccine catalogue.")
        }
        try logistics.checkDate(day, field: "day")
        guard (0...100_000).contains(doses) else { throw AppError.invalidField("doses", "Doses are 0–100,000.") }
        try await logistics.store.saveTally(
            facility: found.id,
            day: day,
            product: product,
            doses: doses,
            by: actor.principal.subject,
            at: clock.now()
        )
    }

    /// Sets target populations of units the caller may see.
    public func setTargets(_ items: [(unit: String, group: Int, target: Int)], by actor: Actor) async throws {
        var targets: [String: [Int: Int]] = [:]
        for (index, item) in items.enumerated() {
            guard try await ref(item.unit) != nil else {
                throw AppError.invalidField("items[\(index)].unit", "\(item.unit.prefix(10)) is not a dashboard unit.")
            }
            try await authorize(item.unit, by: actor)
            guard (0...16).contains(item.group) else {
                throw AppError.invalidField("items[\(index)].priorityGroup", "Groups are 1–16, or 0 for everyone.")
            }
            guard (0...200_000_000).contains(item.target) else {
                throw AppError.invalidField("items[\(index)].target", "A target is 0 to 200,000,000.")
            }
            targets[item.unit, default: [:]][item.group] = item.target
        }
        try await rollups.setTargets(targets)
    }

    // MARK: Views

    /// A dashboard for a unit.
    public func table(
        _ view: DashboardView,
        unit code: String,
        query: DashboardQuery,
        by actor: Actor
    ) async throws
        -> DashboardTable
    {
        guard let unit = try await ref(code) else {
            throw AppError.invalidField(
                "unit",
                "\(code.prefix(10)) is not a dashboard unit: VN, a province (2 digits), a 2021 district (3) or a 2025 commune (5)."
            )
        }
        try await authorize(code, by: actor)
        guard ["2021", "2025"].contains(query.scheme) else {
            throw AppError.invalidField("scheme", "The scheme is 2021 (districts) or 2025 (communes).")
        }
        let today = LocalDate(at: clock.now())
        if let from = query.from, from > today { throw AppError.invalidField("from", "\(from) is in the future.") }
        if let through = query.through, through > today {
            throw AppError.invalidField("through", "\(through) is in the future.")
        }
        if let from = query.from, let through = query.through, from > through {
            throw AppError.invalidField("from", "from is after through.")
        }
        var table = DashboardTable(
            view: view.rawValue,
            title: "",
            unit: unit,
            parent: try await parent(of: code),
            columns: [],
            rows: []
        )
        switch view {
        case .coverage: try await coverage(&table, query: query, by: actor)
        case .dosesPerDay: try await dosesPerDay(&table, query: query, today: today)
        case .dropout: try await dropout(&table, query: query, today: today, by: actor)
        case .vaccineQuality: try await quality(&table)
        case .stock: try await stock(&table, today: today, by: actor)
        case .completeness: try await completeness(&table, query: query, today: today)
        case .organisations: try await organisations(&table)
        case .pipeline: try await pipeline(&table, query: query, today: today)
        case .dailyReport: try await dailyReport(&table, query: query, today: today, by: actor)
        }
        return table
    }

    static func column(_ name: String, _ label: String, _ type: String = "integer") -> DashboardTable.Column {
        .init(name: name, label: label, type: type)
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        whole > 0 ? String(Double((part * 10_000 + whole / 2) / whole) / 100) : ""
    }

    /// Dose numbers 1, 2 and 3+ of `sums` keyed by a dose-number column.
    static func doseColumns(_ number: String) -> Int {
        min(Int(number) ?? 1, 3)
    }

    func coverage(_ t: inout DashboardTable, query: DashboardQuery, by actor: Actor) async throws {
        let code = t.unit.code
        let doseHeads = [
            Self.column("dose1", "Mũi 1 / Dose 1"), Self.column("dose2", "Mũi 2 / Dose 2"),
            Self.column("dose3plus", "Mũi 3+ / Dose 3+"),
            Self.column("coverage1", "Tỷ lệ mũi 1 % / Dose 1 coverage %", "decimal"),
            Self.column("coverage2", "Tỷ lệ mũi 2 % / Dose 2 coverage %", "decimal"),
        ]
        func doseCells(_ counts: [Int], target: Int?) -> [String] {
            counts.map(String.init) + [
                target.map { Self.percent(counts[0], of: $0) } ?? "",
                target.map { Self.percent(counts[1], of: $0) } ?? "",
            ]
        }
        switch query.by {
        case "unit":
            let below = try await visibleChildren(of: code, scheme: query.scheme, by: actor)
            // Two independent reads, at once.
            async let sumsRead = rollups.sums(.unitCoverage, by: ["unit_code", "dose_number"], units: [code] + below)
            async let targetsRead = rollups.targets(units: [code] + below)
            let (sums, targets) = try await (sumsRead, targetsRead)
            var counts: [String: [Int]] = [:]
            for s in sums { counts[s.key[0], default: [0, 0, 0]][Self.doseColumns(s.key[1]) - 1] += s.n }
            var rows: [[String]] = []
            for unit in below {
                let name = try await ref(unit)?.name ?? unit
                rows.append(
                    [unit, name, targets[unit]?[0].map(String.init) ?? ""]
                        + doseCells(counts[unit] ?? [0, 0, 0], target: targets[unit]?[0])
                )
            }
            // Ranked: the unit furthest behind on the first dose first.
            rows.sort { (Double($0[6]) ?? -1, $0[0]) < (Double($1[6]) ?? -1, $1[0]) }
            rows.append(
                [code, "Tổng / Total", targets[code]?[0].map(String.init) ?? ""]
                    + doseCells(counts[code] ?? [0, 0, 0], target: targets[code]?[0])
            )
            t.title = "Coverage by unit"
            t.columns =
                [
                    Self.column("unitCode", "Mã / Code", "text"), Self.column("unitName", "Đơn vị / Unit", "text"),
                    Self.column("target", "Dân số mục tiêu / Target"),
                ] + doseHeads
            t.rows = rows
        case "group":
            let sums = try await rollups.sums(.unitDoses, by: ["priority_group", "dose_number"], units: [code])
            let targets = try await rollups.targets(units: [code])[code] ?? [:]
            var counts: [Int: [Int]] = [:]
            for s in sums { counts[Int(s.key[0]) ?? 0, default: [0, 0, 0]][Self.doseColumns(s.key[1]) - 1] += s.n }
            t.title = "Coverage by priority group"
            t.columns =
                [
                    Self.column("priorityGroup", "Nhóm ưu tiên / Priority group"),
                    Self.column("target", "Dân số mục tiêu / Target"),
                ] + doseHeads
            t.rows = Set(counts.keys).union(targets.keys.filter { $0 > 0 }).sorted().map { group in
                [String(group), targets[group].map(String.init) ?? ""]
                    + doseCells(counts[group] ?? [0, 0, 0], target: targets[group])
            }
        case "product", "dose", "sex", "age":
            let column = ["product": "product_code", "dose": "dose_kind", "sex": "sex", "age": "age_band"][query.by]!
            let sums = try await rollups.sums(.unitDoses, by: [column, "dose_number"], units: [code])
            var counts: [String: [Int]] = [:]
            for s in sums { counts[s.key[0], default: [0, 0, 0]][Self.doseColumns(s.key[1]) - 1] += s.n }
            t.title = "Doses by \(query.by)"
            t.columns = [Self.column(query.by, query.by.capitalized, "text")] + Array(doseHeads.prefix(3))
            t.rows = counts.keys.sorted().map { [$0] + (counts[$0] ?? []).map(String.init) }
        default:
            throw AppError.invalidField("by", "Coverage is by unit, group, product, dose, sex or age.")
        }
    }

    /// The days a per-day view covers: `through` (default today) and the 30 days up to it unless
    /// `from` says otherwise; at most two years.
    static func dayRange(_ query: DashboardQuery, today: LocalDate) throws -> (from: LocalDate, through: LocalDate) {
        let through = query.through ?? today
        let from = query.from ?? through.adding(days: -29)
        guard through.daysSinceEpoch - from.daysSinceEpoch <= 731 else {
            throw AppError.invalidField("from", "A range is at most two years.")
        }
        return (from, through)
    }

    func dosesPerDay(_ t: inout DashboardTable, query: DashboardQuery, today: LocalDate) async throws {
        let (from, through) = try Self.dayRange(query, today: today)
        let sums = try await rollups.sums(
            .unitDoseDays,
            by: ["day", "retrospective"],
            units: [t.unit.code],
            dayColumn: "day",
            from: from.adding(days: -6),
            through: through
        )
        var doses: [Int: Int] = [:]
        var retro: [Int: Int] = [:]
        for s in sums {
            guard let day = LocalDate(iso: s.key[0])?.daysSinceEpoch else { continue }
            doses[day, default: 0] += s.n
            if s.key[1] == "1" { retro[day, default: 0] += s.n }
        }
        t.title = "Doses per day"
        t.columns = [
            Self.column("day", "Ngày / Day", "date"), Self.column("doses", "Mũi tiêm / Doses"),
            Self.column("retrospective", "Nhập bù / Back-entered"),
            Self.column("average7", "Trung bình 7 ngày / 7-day average", "decimal"),
        ]
        t.rows = (from.daysSinceEpoch...through.daysSinceEpoch).map { day in
            let week = (day - 6...day).map { doses[$0] ?? 0 }.reduce(0, +)
            return [
                LocalDate(daysSinceEpoch: day).description, String(doses[day] ?? 0), String(retro[day] ?? 0),
                String(Double(week * 10 / 7) / 10),
            ]
        }
    }

    func dropout(_ t: inout DashboardTable, query: DashboardQuery, today: LocalDate, by actor: Actor) async throws {
        // Due on or before `through` (default: 14 days ago, the longest usual grace after a due date).
        let cutoff = query.through ?? today.adding(days: -14)
        let units = try await visibleChildren(of: t.unit.code, scheme: query.scheme, by: actor) + [t.unit.code]
        var sums: [RollupStore.Sum]
        if let from = query.from {
            sums = try await rollups.sums(
                .unitDropout,
                by: ["unit_code", "measure"],
                units: units,
                dayColumn: "due_on",
                from: from,
                through: cutoff
            )
        } else {
            // Whole months before the cutoff's month from the monthly rows, its own days from the daily ones.
            let month = String(cutoff.description.prefix(7))
            async let months = rollups.sums(
                .unitDropoutMonths,
                by: ["unit_code", "measure"],
                units: units,
                dayColumn: "due_month",
                through: LocalDate(iso: month + "-01")?.adding(days: -1),
                monthly: true
            )
            async let days = rollups.sums(
                .unitDropout,
                by: ["unit_code", "measure"],
                units: units,
                dayColumn: "due_on",
                from: LocalDate(iso: month + "-01"),
                through: cutoff
            )
            sums = try await months + days
        }
        var due: [String: Int] = [:]
        var followed: [String: Int] = [:]
        for s in sums {
            if s.key[1] == "due" { due[s.key[0], default: 0] += s.n } else { followed[s.key[0], default: 0] += s.n }
        }
        t.title = "Drop-out: dose 1 not followed by dose 2 (due by \(cutoff))"
        t.columns = [
            Self.column("unitCode", "Mã / Code", "text"), Self.column("unitName", "Đơn vị / Unit", "text"),
            Self.column("due", "Đến hạn mũi 2 / Due for dose 2"),
            Self.column("followed", "Đã tiêm mũi 2 / Given dose 2"),
            Self.column("dropped", "Bỏ mũi / Dropped out"),
            Self.column("dropoutRate", "Tỷ lệ bỏ mũi % / Drop-out %", "decimal"),
        ]
        var rows: [[String]] = []
        for unit in units {
            let d = due[unit] ?? 0
            let f = followed[unit] ?? 0
            let name = unit == t.unit.code ? "Tổng / Total" : (try await ref(unit)?.name ?? unit)
            rows.append([unit, name, String(d), String(f), String(max(0, d - f)), Self.percent(max(0, d - f), of: d)])
        }
        t.rows = rows
    }

    func quality(_ t: inout DashboardTable) async throws {
        let sums = try await rollups.sums(
            .unitLots,
            by: ["product_code", "lot_number", "measure"],
            units: [t.unit.code]
        )
        var cells: [[String]: [String: Int]] = [:]
        for s in sums { cells[[s.key[0], s.key[1]], default: [:]][s.key[2]] = s.n }
        t.title = "Adverse events per 100,000 doses by product and lot"
        t.columns = [
            Self.column("product", "Vắc xin / Product", "text"), Self.column("lot", "Lô / Lot", "text"),
            Self.column("doses", "Mũi tiêm / Doses"), Self.column("reports", "Phản ứng / Reports"),
            Self.column("serious", "Nghiêm trọng / Serious"),
            Self.column("ratePer100k", "Trên 100.000 mũi / Per 100,000 doses", "decimal"),
            Self.column("seriousPer100k", "Nghiêm trọng trên 100.000 / Serious per 100,000", "decimal"),
        ]
        t.rows = cells.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
            let c = cells[key] ?? [:]
            let doses = c["doses"] ?? 0
            func rate(_ n: Int) -> String { doses > 0 ? String(Double(n * 1_000_000 / doses) / 10) : "" }
            return key + [
                String(doses), String(c["aefi"] ?? 0), String(c["aefi_serious"] ?? 0), rate(c["aefi"] ?? 0),
                rate(c["aefi_serious"] ?? 0),
            ]
        }
    }

    func stock(_ t: inout DashboardTable, today: LocalDate, by actor: Actor) async throws {
        let stores = try await logistics.stores(in: t.unit.code, by: actor)
        let ids = stores.map(\.id)
        let stock = logistics.store
        let found = Mutex<[String: [String: (vials: Int, doses: Int)]]>([:])
        let cover = try await logistics.cover(stores: stores, today: today) {
            let onHand = try await stock.onHandByProduct(stores: ids)
            found.withLock { $0 = onHand }
            return onHand.mapValues { $0.mapValues(\.doses) }
        }
        let onHand = found.withLock { $0 }
        let names = Dictionary(uniqueKeysWithValues: stores.map { ($0.id, $0) })
        t.title = "Stock on hand and days of cover"
        t.columns = [
            Self.column("storeId", "Kho / Store", "text"), Self.column("storeName", "Tên kho / Name", "text"),
            Self.column("level", "Cấp / Level", "text"), Self.column("product", "Vắc xin / Product", "text"),
            Self.column("vials", "Lọ / Vials"), Self.column("doses", "Liều / Doses"),
            Self.column("daysOfCover", "Số ngày đủ dùng / Days of cover", "decimal"),
        ]
        t.rows = cover.map { c in
            [
                c.store, names[c.store]?.name ?? "", names[c.store]?.level ?? "", c.product,
                String(onHand[c.store]?[c.product]?.vials ?? 0), String(c.doses),
                c.days.map { String(Double(Int($0 * 10)) / 10) } ?? "",
            ]
        }
    }

    func completeness(_ t: inout DashboardTable, query: DashboardQuery, today: LocalDate) async throws {
        let through = query.through ?? today
        let from = query.from ?? through.adding(days: -6)
        let sums = try await rollups.sums(
            .unitFacilityDays,
            by: ["facility_id", "product_code", "retrospective"],
            units: [t.unit.code],
            dayColumn: "day",
            from: from,
            through: through
        )
        var recorded: [[String]: (all: Int, retro: Int)] = [:]
        for s in sums {
            var c = recorded[[s.key[0], s.key[1]], default: (0, 0)]
            c.all += s.n
            if s.key[2] == "1" { c.retro += s.n }
            recorded[[s.key[0], s.key[1]]] = c
        }
        // Every facility of the unit: a site that sent a tally and recorded nothing is the one to see.
        let facilities = Set(recorded.keys.map { $0[0] }).union(try await rollups.facilities(in: t.unit.code))
        let tallies = try await rollups.tallies(facilities: facilities.sorted(), from: from, through: through)
        var keys = Set(recorded.keys)
        for (facility, products) in tallies { for product in products.keys { keys.insert([facility, product]) } }
        t.title = "Data completeness \(from) – \(through): site tallies against individual records"
        t.columns = [
            Self.column("facilityId", "Cơ sở / Facility", "text"), Self.column("product", "Vắc xin / Product", "text"),
            Self.column("tally", "Báo cáo tổng hợp / Tally"), Self.column("recorded", "Bản ghi cá nhân / Records"),
            Self.column("backEntered", "Nhập bù / Back-entered"),
            Self.column("completeness", "Đầy đủ % / Complete %", "decimal"),
        ]
        t.rows = keys.sorted { $0.lexicographicallyPrecedes($1) }.map { key in
            let tally = tallies[key[0]]?[key[1]]
            let r = recorded[key] ?? (0, 0)
            return key + [
                tally.map(String.init) ?? "", String(r.all), String(r.retro),
                tally.map { Self.percent(r.all, of: $0) } ?? "",
            ]
        }
    }

    func organisations(_ t: inout DashboardTable) async throws {
        let sums = try await rollups.sums(.unitOrganisations, by: ["organisation", "measure"], units: [t.unit.code])
        var cells: [String: [String: Int]] = [:]
        for s in sums { cells[s.key[0], default: [:]][s.key[1]] = s.n }
        t.title = "Campaign adoption by organisation"
        t.columns = [
            Self.column("organisation", "Cơ quan, đơn vị / Organisation", "text"),
            Self.column("listed", "Trong danh sách / Listed"), Self.column("invited", "Đã mời / Invited"),
            Self.column("vaccinated", "Đã tiêm / Vaccinated"),
            Self.column("healthBook", "Dùng Sổ sức khỏe / Health book"),
            Self.column("vaccinatedPercent", "Đã tiêm % / Vaccinated %", "decimal"),
            Self.column("healthBookPercent", "Sổ sức khỏe % / Health book %", "decimal"),
        ]
        t.rows = cells.keys.sorted().map { name in
            let c = cells[name] ?? [:]
            let listed = c["listed"] ?? 0
            return [
                name, String(listed), String(c["invited"] ?? 0), String(c["vaccinated"] ?? 0),
                String(c["health_book"] ?? 0),
                Self.percent(c["vaccinated"] ?? 0, of: listed), Self.percent(c["health_book"] ?? 0, of: listed),
            ]
        }
    }

    static let pipelineMeasures = [
        "registered", "invited", "walked_in", "screened_eligible", "screened_caution", "screened_defer",
        "screened_refer_to_hospital", "screened_contraindicated", "aefi", "aefi_serious",
    ]

    func pipeline(_ t: inout DashboardTable, query: DashboardQuery, today: LocalDate) async throws {
        let (from, through) = try Self.dayRange(query, today: today)
        let sums = try await rollups.sums(
            .unitPipeline,
            by: ["day", "measure"],
            units: [t.unit.code],
            dayColumn: "day",
            from: from,
            through: through
        )
        var cells: [String: [String: Int]] = [:]
        for s in sums { cells[s.key[0], default: [:]][s.key[1]] = s.n }
        t.title = "Registrations, invitations, screenings and adverse events per day"
        t.columns = [Self.column("day", "Ngày / Day", "date")] + Self.pipelineMeasures.map { Self.column($0, $0) }
        t.rows = (from.daysSinceEpoch...through.daysSinceEpoch).map { day in
            let text = LocalDate(daysSinceEpoch: day).description
            return [text] + Self.pipelineMeasures.map { String(cells[text]?[$0] ?? 0) }
        }
    }

    /// A view for the same unit as `t`, on its own (for the daily report, which runs them at once).
    func part(
        _ t: DashboardTable,
        _ fill: @Sendable (inout DashboardTable) async throws -> Void
    ) async throws -> DashboardTable {
        var part = DashboardTable(view: "", title: "", unit: t.unit, parent: nil, columns: [], rows: [])
        try await fill(&part)
        return part
    }

    func dailyReport(_ t: inout DashboardTable, query: DashboardQuery, today: LocalDate, by actor: Actor) async throws {
        let day = query.through ?? today.adding(days: -1)
        let code = t.unit.code
        let base = t
        // The stock and the coverage of the units below read in parallel with the figures of the day.
        async let stockPart = part(base) { try await self.stock(&$0, today: today, by: actor) }
        async let coveragePart = part(base) {
            try await self.coverage(&$0, query: DashboardQuery(by: "unit", scheme: query.scheme), by: actor)
        }
        // To date: every dose so far (the coverage's total row), less those after the day; the day and its
        // week from the days' rows.
        async let dailyRead = rollups.sums(
            .unitDoseDays,
            by: ["day", "dose_number"],
            units: [code],
            dayColumn: "day",
            from: day.adding(days: -6)
        )
        async let eventsRead = rollups.sums(
            .unitPipeline,
            by: ["measure"],
            units: [code],
            dayColumn: "day",
            from: day,
            through: day,
            measures: ["registered", "aefi", "aefi_serious"]
        )
        let (daily, events) = try await (dailyRead, eventsRead)
        let coverage = try await coveragePart
        // The total row: code, name, target, doses 1, 2 and 3+, then the percentages.
        let total = coverage.rows.last ?? []
        var cumulative = total.count > 5 ? total[3...5].map { Int($0) ?? 0 } : [0, 0, 0]
        let target = total.count > 2 ? Int(total[2]) : nil
        var onDay = 0
        var week = 0
        for s in daily {
            guard let d = LocalDate(iso: s.key[0]) else { continue }
            if d > day {
                cumulative[Self.doseColumns(s.key[1]) - 1] -= s.n
            } else {
                week += s.n
                if d == day { onDay += s.n }
            }
        }
        func event(_ name: String) -> String { String(events.first { $0.key == [name] }?.n ?? 0) }
        let stock = try await stockPart
        let dosesOnHand = stock.rows.compactMap { Int($0[5]) }.reduce(0, +)
        let lowest = stock.rows.compactMap { Double($0[6]) }.min()
        let behind = coverage.rows.dropLast().prefix(5).map { "\($0[1]) (\($0[6].isEmpty ? "–" : $0[6]) %)" }
        t.title = "Báo cáo ngày \(day.dayMonthYear) / Daily report"
        t.columns = [
            Self.column("indicator", "Chỉ tiêu / Indicator", "text"), Self.column("value", "Giá trị / Value", "text"),
        ]
        t.rows = [
            ["Mũi tiêm trong ngày / Doses that day", String(onDay)],
            ["Trung bình 7 ngày / 7-day average", String(Double(week * 10 / 7) / 10)],
            ["Lũy kế mũi 1 / Dose 1 to date", String(cumulative[0])],
            ["Lũy kế mũi 2 / Dose 2 to date", String(cumulative[1])],
            ["Lũy kế mũi 3+ / Dose 3+ to date", String(cumulative[2])],
            ["Tỷ lệ mũi 1 % / Dose 1 coverage %", target.map { Self.percent(cumulative[0], of: $0) } ?? ""],
            ["Tỷ lệ mũi 2 % / Dose 2 coverage %", target.map { Self.percent(cumulative[1], of: $0) } ?? ""],
            ["Đăng ký mới / New registrations", event("registered")],
            ["Phản ứng sau tiêm / Adverse events", event("aefi")],
            ["Phản ứng nghiêm trọng / Serious adverse events", event("aefi_serious")],
            ["Liều vắc xin tồn kho / Doses in stock", String(dosesOnHand)],
            ["Số ngày đủ dùng thấp nhất / Lowest days of cover", lowest.map { String($0) } ?? ""],
            ["Đơn vị chậm nhất / Units furthest behind", behind.joined(separator: "; ")],
        ]
    }
}

extension LocalDate {
    /// dd/mm/yyyy, as Vietnamese documents write dates.
    var dayMonthYear: String {
        let dd = day < 10 ? "0\(day)" : "\(day)"
        let mm = month < 10 ? "0\(month)" : "\(month)"
        return "\(dd)/\(mm)/\(year)"
    }
}
