import Foundation
import VaxDomain
import VaxStorage

/// Settings of the stock ledger.
public struct LogisticsSettings: Sendable, Equatable {
    /// Alert for lots expiring within this many days.
    public var expiryAlertDays: Int = 30
    /// Alert when a store holds fewer days of use than this.
    public var coverAlertDays: Int = 14
    /// The days of past use that days of cover divide by.
    public var usageWindowDays: Int = 28

    public init() {}
}

/// The discard reasons of DOMAIN.md §5.
public enum DiscardReason: String, CaseIterable, Sendable {
    case expiry
    case heatFreeze = "heat_freeze"
    case breakage, contamination
    case partialUse = "partial_use"
    case vvm
}

/// The stock ledger as staff use it: stores, lots, receipts, transfers, issues to sessions, returns,
/// discards, physical counts, the cold-chain log, and the alerts. Every change is checked against the
/// caller's scope (the store's unit or facility) and refused with the field named when it is wrong.
public struct LogisticsService: Sendable {
    let store: StockStore
    let rollups: RollupStore
    let campaign: CampaignService
    let settings: LogisticsSettings
    let clock: WallClock
    let ids: IdentifierGenerator

    public init(
        store: StockStore,
        rollups: RollupStore,
        campaign: CampaignService,
        settings: LogisticsSettings = .init(),
        clock: WallClock = .system,
        ids: IdentifierGenerator = .uuidV7
    ) {
        self.store = store
        self.rollups = rollups
        self.campaign = campaign
        self.settings = settings
        self.clock = clock
        self.ids = ids
    }

    // MARK: Stores and lots

    /// What a new store needs.
    public struct StoreDraft: Sendable {
        public var id: String
        public var name: String
        public var level: String
        public var unitCode: String
        public var parentID: String?
        public var facilityID: String?
        public var minCelsius: Int?
        public var maxCelsius: Int?

        public init(
            id: String,
            name: String,
            level: String,
            unitCode: String,
            parentID: String? = nil,
            facilityID: String? = nil,
            minCelsius: Int? = nil,
            maxCelsius: Int? = nil
        ) {
            self.id = id
            self.name = name
            self.level = level
            self.unitCode = unitCode
            self.parentID = parentID
            self.facilityID = facilityID
            self.minCelsius = minCelsius
            self.maxCelsius = maxCelsius
        }
    }

    static let levels = ["province", "district", "facility"]

    /// Adds a store under its parent (a province warehouse has none).
    public func createStore(_ draft: StoreDraft, by actor: Actor) async throws -> StockStoreRecord {
        let id = draft.id.trimmingCharacters(in: .whitespaces)
        guard (1...40).contains(id.count),
            id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        else { throw AppError.invalidField("id", "The store id is 1–40 letters, digits, '-', '_' or '.'.") }
        let name = draft.name.trimmingCharacters(in: .whitespaces)
        guard (1...200).contains(name.count) else {
            throw AppError.invalidField("name", "The name is 1–200 characters.")
        }
        guard let level = Self.levels.firstIndex(of: draft.level) else {
            throw AppError.invalidField("level", "The level is province, district or facility.")
        }
        guard try await campaign.unit(draft.unitCode) != nil else {
            throw AppError.invalidField("unitCode", "\(draft.unitCode.prefix(20)) is not an administrative unit.")
        }
        try await campaign.authorizeFacilityUnit(draft.unitCode, by: actor.principal, facilityID: draft.facilityID)
        if level == 0 {
            guard draft.parentID == nil else {
                throw AppError.invalidField("parentId", "A province warehouse has no parent store.")
            }
        } else {
            guard let parentID = draft.parentID, let parent = try await store.store(id: parentID) else {
                throw AppError.invalidField("parentId", "A \(draft.level) store needs its parent store.")
            }
            guard let parentLevel = Self.levels.firstIndex(of: parent.level), parentLevel < level else {
                throw AppError.invalidField("parentId", "The parent store must be above a \(draft.level) store.")
            }
            guard try await store.unit(draft.unitCode, liesIn: parent.unitCode) else {
                throw AppError.invalidField(
                    "parentId",
                    "The parent store serves \(parent.unitCode), which does not hold \(draft.unitCode)."
                )
            }
        }
        if level == 2 {
            guard let facilityID = draft.facilityID, let facility = try await campaign.store.facility(id: facilityID)
            else {
                throw AppError.invalidField("facilityId", "A facility store names its facility.")
            }
            guard facility.unitCode == draft.unitCode else {
                throw AppError.invalidField("unitCode", "The facility \(facility.id) is in \(facility.unitCode).")
            }
        } else if draft.facilityID != nil {
            throw AppError.invalidField("facilityId", "Only a facility store names a facility.")
        }
        let minimum = draft.minCelsius ?? 2
        let maximum = draft.maxCelsius ?? 8
        guard (-90...30).contains(minimum), (-90...30).contains(maximum), minimum < maximum else {
            throw AppError.invalidField(
                "maxCelsius",
                "The safe range is two temperatures between −90 and 30 °C, the lower first."
            )
        }
        let record = StockStoreRecord(
            id: id,
            name: name,
            level: draft.level,
            unitCode: draft.unitCode,
            parentID: draft.parentID,
            facilityID: draft.facilityID,
            minCelsius: minimum,
            maxCelsius: maximum
        )
        if try await store.store(id: id) != nil {
            throw AppError(.conflict, code: "store_exists", message: "A store has the id \(id).", field: "id")
        }
        try await store.insert(record, at: clock.now())
        return record
    }

    /// A store the caller may act for.
    public func requireStore(_ id: String, by actor: Actor, field: String = "storeId") async throws -> StockStoreRecord
    {
        guard let found = try await store.store(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No store has the id \(id.prefix(40)).", field: field)
        }
        try await campaign.authorizeFacilityUnit(found.unitCode, by: actor.principal, facilityID: found.facilityID)
        return found
    }

    /// Registers a lot, or updates its vial size and VVM stage.
    public func saveLot(_ lot: StockLot, by actor: Actor) async throws -> StockLot {
        guard campaign.catalogue.product(lot.productCode) != nil else {
            throw AppError.invalidField("productCode", "\(lot.productCode.prefix(40)) is not in the vaccine catalogue.")
        }
        guard (1...40).contains(lot.lotNumber.count) else {
            throw AppError.invalidField("lotNumber", "The lot number is 1–40 characters.")
        }
        guard (1...50).contains(lot.dosesPerVial) else {
            throw AppError.invalidField("dosesPerVial", "Doses per vial are 1–50.")
        }
        guard (1...4).contains(lot.vvmStage) else {
            throw AppError.invalidField("vvmStage", "The vaccine vial monitor stage is 1–4.")
        }
        do {
            return try await map { try await store.save(lot, at: clock.now()) }
        } catch let error as CampaignStoreError {
            throw CampaignService.map(error)
        }
    }

    // MARK: Ledger

    /// A ledger line as asked for.
    public struct LineDraft: Sendable {
        public var storeID: String
        public var kind: StockTransaction.Kind
        public var productCode: String
        public var lotNumber: String
        /// Vials moved (positive); for a count, the vials counted.
        public var vials: Int
        public var date: LocalDate
        public var reason: String?
        public var sessionID: UUID?

        public init(
            storeID: String,
            kind: StockTransaction.Kind,
            productCode: String,
            lotNumber: String,
            vials: Int,
            date: LocalDate,
            reason: String? = nil,
            sessionID: UUID? = nil
        ) {
            self.storeID = storeID
            self.kind = kind
            self.productCode = productCode
            self.lotNumber = lotNumber
            self.vials = vials
            self.date = date
            self.reason = reason
            self.sessionID = sessionID
        }
    }

    /// Records a receipt, issue to a session, return from one, discard or physical count.
    public func record(_ draft: LineDraft, by actor: Actor) async throws -> StockTransaction {
        let found = try await requireStore(draft.storeID, by: actor)
        try await checkLine(draft, lotField: "lotNumber")
        var delta = draft.vials
        switch draft.kind {
        case .receipt:
            break
        case .issue, .return:
            guard let sessionID = draft.sessionID else {
                throw AppError.invalidField("sessionId", "An \(draft.kind.rawValue) names the session.")
            }
            let (session, facility) = try await campaign.session(sessionID, by: actor)
            guard found.facilityID == nil || found.facilityID == facility.id else {
                throw AppError.invalidField("sessionId", "This session is at another facility than the store.")
            }
            guard session.productCode == draft.productCode else {
                throw AppError.invalidField("productCode", "The session gives \(session.productCode).")
            }
            if draft.kind == .issue {
                delta = -draft.vials
                if let lot = try await store.lot(product: draft.productCode, number: draft.lotNumber),
                    lot.expiry < session.date
                {
                    throw AppError.invalidField(
                        "lotNumber",
                        "Lot \(lot.lotNumber) expired on \(lot.expiry).",
                        code: "lot_expired"
                    )
                }
            } else {
                // Back from a session: at most what was issued to it of that lot and not returned yet.
                let lines = try await store.sessionLines(sessionID).filter {
                    $0.productCode == draft.productCode && $0.lotNumber == draft.lotNumber && $0.storeID == found.id
                }
                let out = -lines.filter { $0.kind == .issue }.map(\.vials).reduce(0, +)
                let back = lines.filter { $0.kind == .return }.map(\.vials).reduce(0, +)
                guard draft.vials <= out - back else {
                    throw AppError.invalidField(
                        "vials",
                        "This session was issued \(out) vials of the lot from this store and returned \(back)."
                    )
                }
            }
        case .discard:
            guard let reason = draft.reason, DiscardReason(rawValue: reason) != nil else {
                throw AppError.invalidField(
                    "reason",
                    "A discard needs its reason: \(DiscardReason.allCases.map(\.rawValue).joined(separator: ", "))."
                )
            }
            delta = -draft.vials
        case .count:
            break
        case .transferIn, .transferOut:
            throw AppError.invalidField("kind", "Transfers are sent and received with the transfer operations.")
        }
        let line = StockTransaction(
            id: ids.next(at: clock.now()),
            storeID: found.id,
            productCode: draft.productCode,
            lotNumber: draft.lotNumber,
            kind: draft.kind,
            vials: delta,
            occurredOn: draft.date,
            reason: draft.kind == .discard ? draft.reason : draft.reason?.prefix(200).description,
            sessionID: draft.sessionID,
            countedVials: draft.kind == .count ? draft.vials : nil,
            recordedBy: actor.principal.subject,
            recordedAt: clock.now()
        )
        return try await map { try await store.record(line) }
    }

    /// Sends vials to another store; they are in transit until it receives them.
    public func send(
        from: String,
        to: String,
        productCode: String,
        lotNumber: String,
        vials: Int,
        date: LocalDate,
        by actor: Actor
    ) async throws -> (StockTransfer, StockTransaction) {
        let source = try await requireStore(from, by: actor, field: "fromStoreId")
        guard from != to else { throw AppError.invalidField("toStoreId", "A transfer goes to another store.") }
        guard try await store.store(id: to) != nil else {
            throw AppError.invalidField("toStoreId", "No store has the id \(to.prefix(40)).")
        }
        try await checkLine(
            LineDraft(
                storeID: from,
                kind: .transferOut,
                productCode: productCode,
                lotNumber: lotNumber,
                vials: vials,
                date: date
            ),
            lotField: "lotNumber"
        )
        let now = clock.now()
        let transfer = StockTransfer(
            id: ids.next(at: now),
            fromStore: source.id,
            toStore: to,
            productCode: productCode,
            lotNumber: lotNumber,
            vials: vials,
            sentOn: date,
            receivedOn: nil
        )
        let line = StockTransaction(
            id: ids.next(at: now),
            storeID: source.id,
            productCode: productCode,
            lotNumber: lotNumber,
            kind: .transferOut,
            vials: -vials,
            occurredOn: date,
            transferID: transfer.id,
            recordedBy: actor.principal.subject,
            recordedAt: now
        )
        let made = try await map { try await store.send(transfer, line: line) }
        return (transfer, made)
    }

    /// Receives a transfer at its store.
    public func receive(transfer id: UUID, date: LocalDate, by actor: Actor) async throws -> StockTransaction {
        guard let transfer = try await store.transfer(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No transfer has this id.")
        }
        _ = try await requireStore(transfer.toStore, by: actor)
        try checkDate(date)
        guard date >= transfer.sentOn else {
            throw AppError.invalidField(
                "date",
                "A transfer is received on or after the day it was sent (\(transfer.sentOn))."
            )
        }
        let now = clock.now()
        let lineID = ids.next(at: now)
        return try await map {
            try await store.receive(transfer: id) { transfer in
                StockTransaction(
                    id: lineID,
                    storeID: transfer.toStore,
                    productCode: transfer.productCode,
                    lotNumber: transfer.lotNumber,
                    kind: .transferIn,
                    vials: transfer.vials,
                    occurredOn: date,
                    transferID: transfer.id,
                    recordedBy: actor.principal.subject,
                    recordedAt: now
                )
            }
        }
    }

    /// Closes a store's period: nothing may be dated on or before `through` afterwards.
    public func closePeriod(store id: String, through: LocalDate, by actor: Actor) async throws -> StockStoreRecord {
        var found = try await requireStore(id, by: actor)
        try checkDate(through, field: "through")
        if let closed = found.closedThrough, through < closed {
            throw AppError.invalidField("through", "The period is closed through \(closed) already.")
        }
        try await store.close(store: id, through: through)
        found.closedThrough = through
        return found
    }

    func checkDate(_ date: LocalDate, field: String = "date") throws {
        let today = LocalDate(at: clock.now())
        guard date <= today else { throw AppError.invalidField(field, "\(date) is in the future (today is \(today)).") }
        guard date >= today.adding(days: -3_650) else {
            throw AppError.invalidField(field, "\(date) is more than ten years ago.")
        }
    }

    func checkLine(_ draft: LineDraft, lotField: String) async throws {
        try checkDate(draft.date)
        guard draft.kind == .count ? draft.vials >= 0 : draft.vials > 0, draft.vials <= 10_000_000 else {
            throw AppError.invalidField(
                "vials",
                draft.kind == .count ? "A count is 0 vials or more." : "Vials moved are a whole number above 0."
            )
        }
        guard try await store.lot(product: draft.productCode, number: draft.lotNumber) != nil else {
            throw AppError.invalidField(
                lotField,
                "Lot \(draft.lotNumber.prefix(40)) of \(draft.productCode.prefix(40)) is not registered."
            )
        }
    }

    func map<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StockStoreError {
            switch error {
            case .insufficient(let onHand):
                throw AppError.invalidField(
                    "vials",
                    "Only \(onHand) vials of this lot are on hand; stock may not go below zero.",
                    code: "insufficient_stock"
                )
            case .periodClosed(let day):
                throw AppError.invalidField(
                    "date",
                    "The store's period is closed through \(day).",
                    code: "period_closed"
                )
            case .alreadyReceived:
                throw AppError(.conflict, code: "already_received", message: "This transfer was received already.")
            case .unknown(let what):
                throw AppError.invalidField(what, "No such \(what).")
            case .vialSizeFixed(let size):
                throw AppError.invalidField(
                    "dosesPerVial",
                    "The ledger counts this lot in vials of \(size) doses already; that cannot change."
                )
            }
        }
    }

    // MARK: Reads

    /// On hand per lot at a store, now or at the end of a day, and the transfers on their way to it.
    public func onHand(
        store id: String,
        at day: LocalDate?,
        by actor: Actor
    ) async throws -> (
        StockStoreRecord, [StockBalance], [StockTransfer]
    ) {
        let found = try await requireStore(id, by: actor)
        if let day { try checkDate(day) }
        return (found, try await store.onHand(stores: [id], at: day), try await store.inTransit(to: id))
    }

    /// A cold-chain reading; outside the store's safe range it is an excursion.
    public func recordTemperature(
        store id: String,
        celsius: Double,
        at time: Date?,
        by actor: Actor
    ) async throws
        -> TemperatureReading
    {
        let found = try await requireStore(id, by: actor)
        guard celsius.isFinite, (-100...60).contains(celsius) else {
            throw AppError.invalidField("celsius", "A temperature is between −100 and 60 °C.")
        }
        let now = clock.now()
        let measured = time ?? now
        guard measured <= now.addingTimeInterval(300) else {
            throw AppError.invalidField("measuredAt", "The time of the reading is in the future.")
        }
        let reading = TemperatureReading(
            id: ids.next(at: now),
            storeID: found.id,
            measuredAt: measured,
            celsius: celsius,
            excursion: celsius < Double(found.minCelsius) || celsius > Double(found.maxCelsius),
            recordedBy: actor.principal.subject
        )
        try await store.insert(reading)
        return reading
    }

    /// One alert.
    public struct Alert: Sendable, Equatable {
        /// `expiring`, `low_cover`, `excursion`.
        public var kind: String
        public var storeID: String
        public var productCode: String?
        public var lotNumber: String?
        public var message: String
    }

    /// Lots expiring soon, products below the days of cover, and cold-chain excursions of the last
    /// week, for the stores of a unit the caller may see.
    public func alerts(
        unit: String,
        expiringWithin days: Int?,
        coverBelow coverLimit: Int?,
        by actor: Actor
    ) async throws
        -> [Alert]
    {
        let stores = try await self.stores(in: unit, by: actor)
        let today = LocalDate(at: clock.now())
        let expiryDays = days ?? settings.expiryAlertDays
        let coverDays = coverLimit ?? settings.coverAlertDays
        guard (0...3_650).contains(expiryDays) else {
            throw AppError.invalidField("expiringWithinDays", "Days are 0–3650.")
        }
        guard (0...365).contains(coverDays) else { throw AppError.invalidField("coverBelowDays", "Days are 0–365.") }
        let ids = stores.map(\.id)
        let balances = try await store.onHand(stores: ids)
        var alerts: [Alert] = []
        for b in balances where b.expiry <= today.adding(days: expiryDays) {
            alerts.append(
                Alert(
                    kind: b.expiry < today ? "expired" : "expiring",
                    storeID: b.storeID,
                    productCode: b.productCode,
                    lotNumber: b.lotNumber,
                    message: "\(b.vials) vials of lot \(b.lotNumber) (\(b.productCode)) expire on \(b.expiry)."
                )
            )
        }
        var doses: [String: [String: Int]] = [:]
        for b in balances { doses[b.storeID, default: [:]][b.productCode, default: 0] += b.vials * b.dosesPerVial }
        let onHand = doses
        for c in try await cover(stores: stores, today: today, onHand: { onHand })
        where c.days.map({ $0 < Double(coverDays) }) ?? false {
            alerts.append(
                Alert(
                    kind: "low_cover",
                    storeID: c.store,
                    productCode: c.product,
                    lotNumber: nil,
                    message:
                        "\(c.doses) doses of \(c.product) on hand: \(String(format: "%.1f", c.days ?? 0)) days of use."
                )
            )
        }
        for r in try await store.readings(
            stores: ids,
            since: clock.now().addingTimeInterval(-7 * 86_400),
            excursionsOnly: true,
            limit: 200
        ) {
            alerts.append(
                Alert(
                    kind: "excursion",
                    storeID: r.storeID,
                    productCode: nil,
                    lotNumber: nil,
                    message:
                        "\(String(format: "%.1f", r.celsius)) °C at \(ISO8601DateFormatter().string(from: r.measuredAt)), outside the safe range."
                )
            )
        }
        return alerts
    }

    /// Doses on hand and days of cover per store and product: on hand over the planned daily use,
    /// which is the use of the last `usageWindowDays` (issues and transfers out, net of returns) or,
    /// for a facility's store, the capacity of its sessions planned for as many days ahead when that
    /// is more.
    public func cover(
        stores: [StockStoreRecord],
        today: LocalDate,
        onHand readOnHand: @escaping @Sendable () async throws -> [String: [String: Int]]
    ) async throws -> [(
        store: String, product: String, doses: Int, days: Double?
    )] {
        let window = settings.usageWindowDays
        let ids = stores.map(\.id)
        // Three independent reads, at once.
        async let usedRead = store.outflow(stores: ids, from: today.adding(days: -window), through: today)
        async let plannedRead = campaign.store.plannedDoses(
            at: stores.compactMap(\.facilityID),
            from: today,
            through: today.adding(days: window - 1)
        )
        async let onHandRead = readOnHand()
        let (used, byFacility, onHand) = try await (usedRead, plannedRead, onHandRead)
        var planned: [String: [String: Int]] = [:]
        for candidate in stores {
            if let facility = candidate.facilityID { planned[candidate.id] = byFacility[facility] }
        }
        var rows: [(String, String, Int, Double?)] = []
        for store in ids {
            var products = Set(onHand[store, default: [:]].keys)
            products.formUnion(used[store, default: [:]].keys)
            products.formUnion(planned[store, default: [:]].keys)
            for product in products.sorted() {
                let doses = onHand[store]?[product] ?? 0
                let daily = max(used[store]?[product] ?? 0, planned[store]?[product] ?? 0)
                let perDay = Double(daily) / Double(window)
                rows.append((store, product, doses, perDay > 0 ? Double(doses) / perDay : nil))
            }
        }
        return rows
    }

    /// The stores of a unit the caller may see (the unit's own and those of units inside it).
    public func stores(in unit: String, by actor: Actor) async throws -> [StockStoreRecord] {
        var visible: [StockStoreRecord] = []
        // The store's unit lies in the unit: the same membership the rollups count by (in memory).
        let membership = try await rollups.membership()
        for candidate in try await store.stores(units: nil) {
            guard membership.units(ofUnitCode: candidate.unitCode).contains(unit) else { continue }
            do {
                try await campaign.authorizeFacilityUnit(
                    candidate.unitCode,
                    by: actor.principal,
                    facilityID: candidate.facilityID
                )
                visible.append(candidate)
            } catch {
                continue
            }
        }
        return visible
    }

    /// What a session was given and used, per lot: vials issued and returned, doses given, vials
    /// opened, and doses lost in opened vials once the session's day is over.
    public struct SessionStock: Sendable, Equatable {
        public var productCode: String
        public var lotNumber: String
        public var dosesPerVial: Int
        public var vialsIssued: Int
        public var vialsReturned: Int
        public var dosesGiven: Int
        public var vialsOpened: Int
        public var openVialWastage: Int
        public var unopenedVials: Int
    }

    public func sessionStock(_ sessionID: UUID, by actor: Actor) async throws -> [SessionStock] {
        let (session, _) = try await campaign.session(sessionID, by: actor)
        let lines = try await store.sessionLines(sessionID)
        let given = try await rollups.sums(.sessionDoses, by: ["product_code", "lot_number"], units: [sessionID.lower])
        var lots: Set<[String]> = Set(lines.map { [$0.productCode, $0.lotNumber] })
        lots.formUnion(given.map(\.key))
        let over = LocalDate(at: clock.now()) > session.date
        var result: [SessionStock] = []
        for key in lots.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            let lot = try await store.lot(product: key[0], number: key[1])
            let perVial = lot?.dosesPerVial ?? 1
            let issued = -lines.filter { [$0.productCode, $0.lotNumber] == key && $0.kind == .issue }.map(\.vials)
                .reduce(0, +)
            let returned = lines.filter { [$0.productCode, $0.lotNumber] == key && $0.kind == .return }.map(\.vials)
                .reduce(0, +)
            let doses = given.first { $0.key == key }?.n ?? 0
            let opened = (doses + perVial - 1) / perVial
            result.append(
                SessionStock(
                    productCode: key[0],
                    lotNumber: key[1],
                    dosesPerVial: perVial,
                    vialsIssued: issued,
                    vialsReturned: returned,
                    dosesGiven: doses,
                    vialsOpened: opened,
                    openVialWastage: over ? opened * perVial - doses : 0,
                    unopenedVials: max(0, issued - returned - opened)
                )
            )
        }
        return result
    }
}
