import Foundation
import VaxDomain
import VaxStorage

/// A realistic province for demos and benchmarks (`vaxtrace seed --synthetic`): people spread over the
/// real communes of a province (a quarter still addressed in the 2021 scheme), priority groups,
/// registrations (a third through organisations' lists), doses over the last ten months with real
/// intervals and products, adverse events, health-book accounts, stores with receipts, transfers and
/// issues, site tallies for the last week, and target populations. Deterministic for a seed.
/// Raw records go in directly, without the services' checks; the rollups are rebuilt at the end.
public struct SyntheticProvince: Sendable {
    public var province: String
    public var people: Int
    public var seed: UInt64
    /// The last day of the campaign (default: yesterday); it runs 300 days to there.
    public var lastDay: LocalDate

    public init(province: String = "19", people: Int, seed: UInt64 = 1, lastDay: LocalDate? = nil) {
        self.province = province
        self.people = people
        self.seed = seed
        self.lastDay = lastDay ?? LocalDate(at: Date()).adding(days: -1)
    }

    /// What was made.
    public struct Summary: Sendable, CustomStringConvertible {
        public var people = 0
        public var registrations = 0
        public var doses = 0
        public var adverseEvents = 0
        public var accounts = 0
        public var facilities = 0
        public var ledgerLines = 0
        public var rollupCells = 0

        public var description: String {
            "\(people) people, \(registrations) registrations, \(doses) doses, \(adverseEvents) adverse events, "
                + "\(accounts) health-book accounts, \(facilities) facilities, \(ledgerLines) ledger lines, "
                + "\(rollupCells) rollup cells"
        }
    }

    static let organisations = [
        "Sở Y tế", "Sở Giáo dục và Đào tạo", "Công an tỉnh", "Bộ Chỉ huy Quân sự tỉnh", "Đại học Thái Nguyên",
        "Công ty Samsung Electronics Việt Nam Thái Nguyên", "Công ty Gang thép Thái Nguyên", "Trường THPT Chuyên",
        "Bệnh viện Đa khoa Trung ương", "Ngân hàng Nông nghiệp chi nhánh tỉnh", "Điện lực tỉnh", "Bưu điện tỉnh",
        "Công ty Xi măng Quán Triều", "Trường Cao đẳng Y tế", "Sở Công Thương", "Khu công nghiệp Yên Bình",
    ]

    /// Products as given in 2021–2022, with their share of first doses and the days to the second.
    static let products: [(code: String, share: Double, interval: Int, dosesPerVial: Int)] = [
        ("astrazeneca", 0.35, 56, 10), ("pfizer", 0.25, 21, 6), ("moderna", 0.12, 28, 10), ("sinopharm", 0.28, 21, 1),
    ]

    /// Seeds into a migrated database with reference data; refuses when synthetic data is there already.
    public func run(
        database: VaxDatabase,
        vault: NationalIDVault,
        progress: @Sendable (String) -> Void
    ) async throws
        -> Summary
    {
        let unitRows = try await database.textRows(
            "SELECT code, name FROM admin_units WHERE scheme = '2025' AND parent_code = '\(province.filter(\.isNumber))' ORDER BY code",
            columns: ["code", "name"]
        )
        let communes = unitRows.compactMap { row in row[0].map { ($0, row[1] ?? $0) } }
        guard !communes.isEmpty else { throw SyntheticError("no 2025 communes for province \(province)") }
        let facilityPrefix = "SYN-"
        guard
            try await database.textRows(
                "SELECT id FROM facilities WHERE id LIKE '\(facilityPrefix)%' LIMIT 1",
                columns: ["id"]
            ).isEmpty
        else { throw SyntheticError("synthetic data is there already (facilities SYN-…)") }
        // 2021 communes that went into each 2025 commune, where the 2021 list has them.
        var old: [String: [(province: String, district: String, commune: String)]] = [:]
        let known2021 = Set(
            try await database.textRows("SELECT code FROM admin_units WHERE scheme = '2021'", columns: ["code"])
                .compactMap { $0[0] }
        )
        for row in try await database.textRows(
            "SELECT new_commune_code, old_province_code, old_district_code, old_commune_code FROM unit_conversions WHERE new_province_code = '\(province.filter(\.isNumber))' ORDER BY old_commune_code",
            columns: ["new_commune_code", "old_province_code", "old_district_code", "old_commune_code"]
        ) {
            guard let new = row[0], let p = row[1], let d = row[2], let c = row[3], known2021.contains(c),
                known2021.contains(d), known2021.contains(p)
            else { continue }
            old[new, default: []].append((p, d, c))
        }

        var summary = Summary()
        let now = Date()
        let nowMillis = now.millisecondsSince1970
        let first = lastDay.adding(days: -299)
        // Facilities: a commune health station each.
        try await database.bulkInsert(
            into: "facilities",
            columns: ["id", "name", "unit_code", "created_at", "kind"],
            rows: communes.map { [facilityPrefix + $0.0, "Trạm Y tế \($0.1)", $0.0, nowMillis, "fixed"] }
        )
        try await database.bulkInsert(
            into: "facility_catchment",
            columns: ["facility_id", "unit_scheme", "unit_code"],
            rows: communes.map { [facilityPrefix + $0.0, "2025", $0.0] }
        )
        summary.facilities = communes.count
        // Lots: six per product, expiring a year after the campaign.
        var lots: [String: [String]] = [:]
        var lotRows: [[any Encodable & Sendable]] = []
        for product in Self.products {
            for n in 1...6 {
                let lot = "SYN\(product.code.prefix(3).uppercased())\(n)"
                lots[product.code, default: []].append(lot)
                lotRows.append([
                    product.code, lot, lastDay.adding(days: 365).description, nowMillis, product.dosesPerVial, 1,
                ])
            }
        }
        try await database.bulkInsert(
            into: "vaccine_lots",
            columns: ["product_code", "lot_number", "expiry", "created_at", "doses_per_vial", "vvm_stage"],
            rows: lotRows
        )

        let generator = SyntheticPeople(
            communes: communes.map { (province, $0.0) },
            start: Date(millisecondsSince1970: nowMillis - 400 * 86_400_000)
        )
        let repository = SQLPersonRepository(database: database, vault: vault)
        // Doses per facility and lot, for the ledger at the end.
        var used: [String: [String: Int]] = [:]
        var tallies: [String: [String: Int]] = [:]
        let batchSize = 5_000
        for start in stride(from: 0, to: people, by: batchSize) {
            let range = start..<min(start + batchSize, people)
            var persons: [Person] = []
            var registrations: [[any Encodable & Sendable]] = []
            var doses: [[any Encodable & Sendable]] = []
            var reports: [[any Encodable & Sendable]] = []
            var accounts: [[any Encodable & Sendable]] = []
            for index in range {
                var person = generator.person(20_000_000 + index)
                var random = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(index))
                func chance(_ p: Double) -> Bool { Double(random.next() >> 11) / Double(1 << 53) < p }
                func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
                let newCommune = person.address.communeCode
                if chance(0.25), let choices = old[newCommune], !choices.isEmpty {
                    let o = choices[pick(choices.count)]
                    person.address = Person.Address(
                        scheme: .tier3of2021,
                        provinceCode: o.province,
                        districtCode: o.district,
                        communeCode: o.commune,
                        street: person.address.street
                    )
                }
                persons.append(person)
                let facility = facilityPrefix + newCommune
                let address = person.address
                if chance(0.4), let phone = person.phone {
                    accounts.append([
                        UUIDv7.make(at: person.createdAt, using: &random).uuidString.lowercased(), "citizen", phone,
                        "citizen", "phone", nowMillis, nowMillis,
                    ])
                }
                guard person.dateOfBirth.years(until: first) >= 12, chance(0.95) else { continue }
                let registeredOn = first.adding(days: pick(60))
                let viaList = chance(0.33)
                var given: [(LocalDate, String, String, Int, String)] = []
                if chance(0.97) {
                    var roll = Double(random.next() >> 11) / Double(1 << 53)
                    var product = Self.products[0]
                    for candidate in Self.products {
                        if roll < candidate.share {
                            product = candidate
                            break
                        }
                        roll -= candidate.share
                    }
                    let day1 = registeredOn.adding(days: 3 + pick(40))
                    if day1 <= lastDay {
                        given.append((day1, product.code, lots[product.code]![pick(6)], 1, "primary"))
                        let day2 = day1.adding(days: product.interval + pick(30))
                        if chance(0.93), day2 <= lastDay {
                            given.append((day2, product.code, lots[product.code]![pick(6)], 2, "primary"))
                            let day3 = day2.adding(days: 120 + pick(60))
                            if chance(0.6), day3 <= lastDay {
                                let booster = chance(0.5) ? "pfizer" : (chance(0.5) ? "moderna" : "astrazeneca")
                                given.append((day3, booster, lots[booster]![pick(6)], 3, "booster"))
                            }
                        }
                    }
                }
                let registrationID = UUIDv7.make(at: person.createdAt, using: &random).uuidString.lowercased()
                registrations.append([
                    registrationID, person.id.description, person.primaryPriorityGroup,
                    viaList ? "organisation" : (chance(0.7) ? "citizen" : "staff"),
                    viaList ? Self.organisations[pick(Self.organisations.count)] : nil, nil as String?,
                    address.scheme.rawValue, address.communeCode, given.isEmpty ? "waiting" : "closed",
                    Self.millis(registeredOn, hour: 9), Self.millis(registeredOn, hour: 9),
                ])
                for (number, dose) in given.enumerated() {
                    let (day, product, lot, doseNumber, kind) = dose
                    let id = UUIDv7.make(at: Date(millisecondsSince1970: Self.millis(day, hour: 8)), using: &random)
                    let interval = Self.products.first { $0.code == product }?.interval ?? 28
                    let retrospective = chance(0.04)
                    let at = Self.millis(day, hour: 7 + pick(9)) + Int64(pick(3_600_000))
                    doses.append([
                        id.uuidString.lowercased(), person.id.description, product, lot,
                        lastDay.adding(days: 365).description, doseNumber, kind, at, day.description, facility,
                        retrospective ? 1 : 0,
                        number == 0 && given.count >= 1 && kind == "primary"
                            ? day.adding(days: interval).description : nil,
                        "synthetic", at, at,
                    ])
                    used[facility, default: [:]][product + "\u{1}" + lot, default: 0] += 1
                    if day > lastDay.adding(days: -7) {
                        tallies[facility + "\u{1}" + day.description, default: [:]][product, default: 0] += 1
                    }
                    if chance(0.0008) {
                        let serious = chance(0.03)
                        reports.append([
                            UUIDv7.make(at: Date(millisecondsSince1970: at), using: &random).uuidString.lowercased(),
                            person.id.description, id.uuidString.lowercased(), "staff", address.scheme.rawValue,
                            address.provinceCode, address.districtCode, address.communeCode, at + 3_600_000,
                            #"["sốt"]"#, serious ? "recovering" : "recovered", serious ? 1 : 0,
                            serious ? #"["hospitalisation"]"# : "[]", "{}", "reported", "synthetic", at + 7_200_000,
                            at + 7_200_000,
                        ])
                    }
                }
            }
            try await repository.insertBatch(persons)
            try await database.bulkInsert(
                into: "registrations",
                columns: [
                    "id", "person_id", "priority_group", "source", "organisation", "preferred_date", "unit_scheme",
                    "commune_code", "status", "registered_at", "updated_at",
                ],
                rows: registrations
            )
            try await database.bulkInsert(
                into: "doses",
                columns: [
                    "id", "person_id", "product_code", "lot_number", "lot_expiry", "dose_number", "kind",
                    "administered_at", "administered_on", "facility_id", "retrospective", "next_due_on", "recorded_by",
                    "recorded_at", "updated_at",
                ],
                rows: doses
            )
            try await database.bulkInsert(
                into: "aefi_reports",
                columns: [
                    "id", "person_id", "dose_id", "source", "unit_scheme", "province_code", "district_code",
                    "commune_code", "onset_at", "events", "outcome", "serious", "seriousness", "details", "stage",
                    "reported_by", "received_at", "updated_at",
                ],
                rows: reports
            )
            try await database.bulkInsert(
                into: "accounts",
                columns: ["id", "kind", "phone", "role", "scope", "created_at", "updated_at"],
                rows: accounts
            )
            summary.people += persons.count
            summary.registrations += registrations.count
            summary.doses += doses.count
            summary.adverseEvents += reports.count
            summary.accounts += accounts.count
            if (start / batchSize) % 20 == 0 || range.upperBound == people {
                progress("people \(summary.people)/\(people), doses \(summary.doses)")
            }
        }

        // The ledger: the province warehouse receives what was used and 5 % more; each commune
        // station gets a transfer per lot and issues what it used.
        let stock = StockStore(database: database)
        let warehouse = "SYN-KHO-\(province)"
        try await stock.insert(
            StockStoreRecord(
                id: warehouse,
                name: "Kho vắc xin tỉnh",
                level: "province",
                unitCode: province,
                parentID: nil,
                facilityID: nil
            ),
            at: now
        )
        var lines = 0
        func vials(_ key: String, _ doses: Int) -> Int {
            let product = String(key.split(separator: "\u{1}")[0])
            let perVial = Self.products.first { $0.code == product }?.dosesPerVial ?? 1
            return (doses + perVial - 1) / perVial
        }
        @Sendable func line(
            _ store: String,
            _ key: String,
            _ kind: StockTransaction.Kind,
            _ vials: Int,
            _ day: LocalDate
        )
            -> StockTransaction
        {
            let parts = key.split(separator: "\u{1}").map(String.init)
            return StockTransaction(
                id: UUIDv7.make(at: now),
                storeID: store,
                productCode: parts[0],
                lotNumber: parts[1],
                kind: kind,
                vials: vials,
                occurredOn: day,
                recordedBy: "synthetic",
                recordedAt: now
            )
        }
        // What the stations will be sent (what they used and two vials more), and 5 % more.
        var sent: [String: Int] = [:]
        for (_, lotsUsed) in used { for (key, n) in lotsUsed { sent[key, default: 0] += vials(key, n) + 2 } }
        for key in sent.keys.sorted() {
            _ = try await stock.record(line(warehouse, key, .receipt, sent[key]! + sent[key]! / 20 + 1, first))
            lines += 1
        }
        for facility in used.keys.sorted() {
            let id = facility + "-KHO"
            try await stock.insert(
                StockStoreRecord(
                    id: id,
                    name: "Tủ lạnh \(facility)",
                    level: "facility",
                    unitCode: String(facility.dropFirst(facilityPrefix.count)),
                    parentID: warehouse,
                    facilityID: facility
                ),
                at: now
            )
            for (key, doses) in used[facility]!.sorted(by: { $0.key < $1.key }) {
                let count = vials(key, doses) + 2
                let transfer = StockTransfer(
                    id: UUIDv7.make(at: now),
                    fromStore: warehouse,
                    toStore: id,
                    productCode: String(key.split(separator: "\u{1}")[0]),
                    lotNumber: String(key.split(separator: "\u{1}")[1]),
                    vials: count,
                    sentOn: first,
                    receivedOn: nil
                )
                var out = line(warehouse, key, .transferOut, -count, first)
                out.transferID = transfer.id
                _ = try await stock.send(transfer, line: out)
                _ = try await stock.receive(transfer: transfer.id) { t in
                    var received = line(id, key, .transferIn, t.vials, first.adding(days: 1))
                    received.transferID = t.id
                    return received
                }
                _ = try await stock.record(line(id, key, .issue, -vials(key, doses), lastDay))
                lines += 4
            }
        }
        summary.ledgerLines = lines
        for (key, products) in tallies.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "\u{1}").map(String.init)
            for (product, doses) in products.sorted(by: { $0.key < $1.key }) {
                // Paper tallies run a little over the records entered: some doses are entered late.
                try await stock.saveTally(
                    facility: parts[0],
                    day: LocalDate(iso: parts[1])!,
                    product: product,
                    doses: doses + doses / 20,
                    by: "synthetic",
                    at: now
                )
            }
        }
        progress("ledger: \(lines) lines; counting target populations")
        let rollups = RollupStore(database: database)
        try await rollups.setTargets(try await rollups.targetsFromRegistry())
        progress("rebuilding rollups")
        summary.rollupCells = try await rollups.rebuild(at: now).cells
        return summary
    }

    static func millis(_ day: LocalDate, hour: Int) -> Int64 {
        // Local time in Vietnam (UTC+7).
        Int64(day.daysSinceEpoch) * 86_400_000 + Int64(hour - 7) * 3_600_000
    }
}

/// Synthetic data could not be made.
public struct SyntheticError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
