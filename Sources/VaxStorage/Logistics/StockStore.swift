import Foundation
import SQLKit
import VaxDomain

/// A vaccine store: the province warehouse, a district store, or a facility's refrigerator.
public struct StockStoreRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    /// `province`, `district` or `facility`.
    public var level: String
    public var unitCode: String
    public var parentID: String?
    public var facilityID: String?
    public var minCelsius: Int
    public var maxCelsius: Int
    /// Transactions dated on or before this day are refused.
    public var closedThrough: LocalDate?

    public init(
        id: String,
        name: String,
        level: String,
        unitCode: String,
        parentID: String?,
        facilityID: String?,
        minCelsius: Int = 2,
        maxCelsius: Int = 8,
        closedThrough: LocalDate? = nil
    ) {
        self.id = id
        self.name = name
        self.level = level
        self.unitCode = unitCode
        self.parentID = parentID
        self.facilityID = facilityID
        self.minCelsius = minCelsius
        self.maxCelsius = maxCelsius
        self.closedThrough = closedThrough
    }
}

/// One ledger line: a signed change of vials of a lot at a store.
public struct StockTransaction: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case receipt
        case transferOut = "transfer_out"
        case transferIn = "transfer_in"
        case issue, `return`, discard, count
    }

    public var id: UUID
    public var storeID: String
    public var productCode: String
    public var lotNumber: String
    public var kind: Kind
    /// The change in vials (negative out of the store).
    public var vials: Int
    public var occurredOn: LocalDate
    public var reason: String?
    public var transferID: UUID?
    public var sessionID: UUID?
    /// For a count: the vials counted (the change is derived).
    public var countedVials: Int?
    public var recordedBy: String
    public var recordedAt: Date

    public init(
        id: UUID,
        storeID: String,
        productCode: String,
        lotNumber: String,
        kind: Kind,
        vials: Int,
        occurredOn: LocalDate,
        reason: String? = nil,
        transferID: UUID? = nil,
        sessionID: UUID? = nil,
        countedVials: Int? = nil,
        recordedBy: String,
        recordedAt: Date
    ) {
        self.id = id
        self.storeID = storeID
        self.productCode = productCode
        self.lotNumber = lotNumber
        self.kind = kind
        self.vials = vials
        self.occurredOn = occurredOn
        self.reason = reason
        self.transferID = transferID
        self.sessionID = sessionID
        self.countedVials = countedVials
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }
}

/// On hand of one lot at one store.
public struct StockBalance: Sendable, Equatable {
    public var storeID: String
    public var productCode: String
    public var lotNumber: String
    public var expiry: LocalDate
    public var dosesPerVial: Int
    public var vvmStage: Int
    public var vials: Int
}

/// A lot as the ledger knows it.
public struct StockLot: Sendable, Equatable {
    public var productCode: String
    public var lotNumber: String
    public var expiry: LocalDate
    public var dosesPerVial: Int
    public var vvmStage: Int

    public init(productCode: String, lotNumber: String, expiry: LocalDate, dosesPerVial: Int, vvmStage: Int) {
        self.productCode = productCode
        self.lotNumber = lotNumber
        self.expiry = expiry
        self.dosesPerVial = dosesPerVial
        self.vvmStage = vvmStage
    }
}

/// A transfer between stores: sent, then received.
public struct StockTransfer: Sendable, Equatable {
    public var id: UUID
    public var fromStore: String
    public var toStore: String
    public var productCode: String
    public var lotNumber: String
    public var vials: Int
    public var sentOn: LocalDate
    public var receivedOn: LocalDate?

    public init(
        id: UUID,
        fromStore: String,
        toStore: String,
        productCode: String,
        lotNumber: String,
        vials: Int,
        sentOn: LocalDate,
        receivedOn: LocalDate?
    ) {
        self.id = id
        self.fromStore = fromStore
        self.toStore = toStore
        self.productCode = productCode
        self.lotNumber = lotNumber
        self.vials = vials
        self.sentOn = sentOn
        self.receivedOn = receivedOn
    }
}

/// A cold-chain reading.
public struct TemperatureReading: Sendable, Equatable {
    public var id: UUID
    public var storeID: String
    public var measuredAt: Date
    public var celsius: Double
    public var excursion: Bool
    public var recordedBy: String

    public init(id: UUID, storeID: String, measuredAt: Date, celsius: Double, excursion: Bool, recordedBy: String) {
        self.id = id
        self.storeID = storeID
        self.measuredAt = measuredAt
        self.celsius = celsius
        self.excursion = excursion
        self.recordedBy = recordedBy
    }
}

/// Why the ledger refused a change.
public enum StockStoreError: Error, Equatable {
    /// The change would take the lot below zero; `onHand` is what the store holds.
    case insufficient(onHand: Int)
    /// The store's period is closed through this day.
    case periodClosed(LocalDate)
    /// The transfer was received already.
    case alreadyReceived
    /// No such store, lot or transfer.
    case unknown(String)
    /// The lot's doses per vial cannot change: ledger lines count its vials.
    case vialSizeFixed(Int)
}

/// The stock ledger: stores, lots, transactions, balances, transfers and the cold-chain log.
public struct StockStore: Sendable {
    let database: VaxDatabase

    public init(database: VaxDatabase) {
        self.database = database
    }

    // MARK: Stores and lots

    public func insert(_ store: StockStoreRecord, at now: Date) async throws {
        try await database.write { sql in
            try await sql.insert(into: "stock_stores")
                .columns(
                    "id",
                    "name",
                    "level",
                    "unit_code",
                    "parent_id",
                    "facility_id",
                    "min_celsius",
                    "max_celsius",
                    "created_at"
                )
                .values(
                    SQLBind(store.id),
                    SQLBind(store.name),
                    SQLBind(store.level),
                    SQLBind(store.unitCode),
                    SQLBind(store.parentID),
                    SQLBind(store.facilityID),
                    SQLBind(store.minCelsius),
                    SQLBind(store.maxCelsius),
                    SQLBind(now.millisecondsSince1970)
                ).run()
        }
    }

    public func store(id: String) async throws -> StockStoreRecord? {
        try await database.read { sql in
            try await sql.select().column("*").from("stock_stores").where("id", .equal, id).first().map(Self.store)
        }
    }

    /// Stores whose unit is one of `units` (all when `nil`), by id.
    public func stores(units: Set<String>?) async throws -> [StockStoreRecord] {
        try await database.read { sql in
            var query = sql.select().column("*").from("stock_stores")
            if let units { query = query.where("unit_code", .in, Array(units).sorted()) }
            return try await query.orderBy("id").all().map(Self.store)
        }
    }

    static func store(_ row: any SQLRow) throws -> StockStoreRecord {
        StockStoreRecord(
            id: try row.decode(column: "id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            level: try row.decode(column: "level", as: String.self),
            unitCode: try row.decode(column: "unit_code", as: String.self),
            parentID: try row.decode(column: "parent_id", as: String?.self),
            facilityID: try row.decode(column: "facility_id", as: String?.self),
            minCelsius: try row.decode(column: "min_celsius", as: Int.self),
            maxCelsius: try row.decode(column: "max_celsius", as: Int.self),
            closedThrough: try row.decode(column: "closed_through", as: String?.self).flatMap(LocalDate.init(iso:))
        )
    }

    /// Registers a lot, or updates its doses per vial and VVM stage; the expiry of a known lot must match.
    public func save(_ lot: StockLot, at now: Date) async throws -> StockLot {
        try await database.write { sql in
            if let known = try await Self.lot(lot.productCode, lot.lotNumber, on: sql) {
                guard known.expiry == lot.expiry else {
                    throw CampaignStoreError.lotExpiryMismatch(known: known.expiry)
                }
                // The ledger counts vials: their size is fixed once a line uses the lot.
                if known.dosesPerVial != lot.dosesPerVial,
                    try await sql.select().column("id").from("stock_transactions")
                        .where("product_code", .equal, lot.productCode).where("lot_number", .equal, lot.lotNumber)
                        .limit(1).first() != nil
                {
                    throw StockStoreError.vialSizeFixed(known.dosesPerVial)
                }
                try await sql.update("vaccine_lots").set("doses_per_vial", to: lot.dosesPerVial)
                    .set("vvm_stage", to: lot.vvmStage)
                    .where("product_code", .equal, lot.productCode).where("lot_number", .equal, lot.lotNumber).run()
            } else {
                try await sql.insert(into: "vaccine_lots")
                    .columns("product_code", "lot_number", "expiry", "doses_per_vial", "vvm_stage", "created_at")
                    .values(
                        SQLBind(lot.productCode),
                        SQLBind(lot.lotNumber),
                        SQLBind(lot.expiry.description),
                        SQLBind(lot.dosesPerVial),
                        SQLBind(lot.vvmStage),
                        SQLBind(now.millisecondsSince1970)
                    ).run()
            }
            return lot
        }
    }

    public func lot(product: String, number: String) async throws -> StockLot? {
        try await database.read { sql in try await Self.lot(product, number, on: sql) }
    }

    static func lot(_ product: String, _ number: String, on sql: any SQLDatabase) async throws -> StockLot? {
        guard
            let row = try await sql.select().columns(
                "product_code",
                "lot_number",
                "expiry",
                "doses_per_vial",
                "vvm_stage"
            )
            .from("vaccine_lots").where("product_code", .equal, product).where("lot_number", .equal, number).first()
        else { return nil }
        guard let expiry = LocalDate(iso: try row.decode(column: "expiry", as: String.self)) else {
            throw StorageError.corruptRow("vaccine_lots: expiry")
        }
        return StockLot(
            productCode: product,
            lotNumber: number,
            expiry: expiry,
            dosesPerVial: try row.decode(column: "doses_per_vial", as: Int.self),
            vvmStage: try row.decode(column: "vvm_stage", as: Int.self)
        )
    }

    // MARK: Ledger

    /// Records one ledger line and moves the balance, in one transaction. A count's change is derived
    /// from the on-hand at its date; a change below zero is refused.
    public func record(_ line: StockTransaction) async throws -> StockTransaction {
        try await database.write { sql in try await Self.record(line, on: sql) }
    }

    static func record(_ line: StockTransaction, on sql: any SQLDatabase) async throws -> StockTransaction {
        var line = line
        guard
            let store = try await sql.select().column("*").from("stock_stores").where("id", .equal, line.storeID)
                .first().map(Self.store)
        else { throw StockStoreError.unknown("store") }
        if let closed = store.closedThrough, line.occurredOn <= closed { throw StockStoreError.periodClosed(closed) }
        guard try await lot(line.productCode, line.lotNumber, on: sql) != nil else {
            throw StockStoreError.unknown("lot")
        }
        // The lot's balance row, locked on PostgreSQL so that two lines at once cannot both pass the
        // check below (SQLite writes one transaction at a time).
        try await sql.raw(
            """
            INSERT INTO stock_balances (store_id, product_code, lot_number, on_hand)
            VALUES (\(bind: line.storeID), \(bind: line.productCode), \(bind: line.lotNumber), 0)
            ON CONFLICT (store_id, product_code, lot_number) DO NOTHING
            """
        ).run()
        if sql.dialect.name == "postgresql" {
            try await sql.raw(
                """
                SELECT on_hand FROM stock_balances WHERE store_id = \(bind: line.storeID)
                AND product_code = \(bind: line.productCode) AND lot_number = \(bind: line.lotNumber) FOR UPDATE
                """
            ).run()
        }
        // The net change of each day, so that a line dated in the past is checked against every later day.
        var daily: [(day: String, vials: Int)] = []
        for row in try await sql.raw(
            """
            SELECT occurred_on, SUM(vials) AS vials FROM stock_transactions
            WHERE store_id = \(bind: line.storeID) AND product_code = \(bind: line.productCode)
            AND lot_number = \(bind: line.lotNumber)
            GROUP BY occurred_on ORDER BY occurred_on
            """
        ).all() {
            daily.append(
                (try row.decode(column: "occurred_on", as: String.self), try row.decode(column: "vials", as: Int.self))
            )
        }
        let date = line.occurredOn.description
        let atDate = daily.filter { $0.day <= date }.map(\.vials).reduce(0, +)
        if line.kind == .count, let counted = line.countedVials { line.vials = counted - atDate }
        // Stock may not go below zero on the line's day nor on any day after it.
        var running = atDate + line.vials
        var lowest = running
        for change in daily where change.day > date {
            running += change.vials
            lowest = min(lowest, running)
        }
        guard lowest >= 0 else {
            throw StockStoreError.insufficient(onHand: line.vials < 0 ? lowest - line.vials : atDate)
        }
        try await sql.insert(into: "stock_transactions")
            .columns(
                "id",
                "store_id",
                "product_code",
                "lot_number",
                "kind",
                "vials",
                "occurred_on",
                "reason",
                "transfer_id",
                "session_id",
                "counted_vials",
                "recorded_by",
                "recorded_at"
            )
            .values(
                SQLBind(line.id.lower),
                SQLBind(line.storeID),
                SQLBind(line.productCode),
                SQLBind(line.lotNumber),
                SQLBind(line.kind.rawValue),
                SQLBind(line.vials),
                SQLBind(line.occurredOn.description),
                SQLBind(line.reason),
                SQLBind(line.transferID?.lower),
                SQLBind(line.sessionID?.lower),
                SQLBind(line.countedVials),
                SQLBind(line.recordedBy),
                SQLBind(line.recordedAt.millisecondsSince1970)
            ).run()
        try await sql.raw(
            """
            UPDATE stock_balances SET on_hand = on_hand + \(bind: line.vials)
            WHERE store_id = \(bind: line.storeID) AND product_code = \(bind: line.productCode) AND lot_number = \(bind: line.lotNumber)
            """
        ).run()
        return line
    }

    /// Sends a transfer: the sending store's line now, the receiving store's when it is received.
    public func send(_ transfer: StockTransfer, line: StockTransaction) async throws -> StockTransaction {
        try await database.write { sql in
            guard
                try await sql.select().column("id").from("stock_stores").where("id", .equal, transfer.toStore).first()
                    != nil
            else { throw StockStoreError.unknown("toStore") }
            try await sql.insert(into: "stock_transfers")
                .columns("id", "from_store", "to_store", "product_code", "lot_number", "vials", "sent_on")
                .values(
                    SQLBind(transfer.id.lower),
                    SQLBind(transfer.fromStore),
                    SQLBind(transfer.toStore),
                    SQLBind(transfer.productCode),
                    SQLBind(transfer.lotNumber),
                    SQLBind(transfer.vials),
                    SQLBind(transfer.sentOn.description)
                ).run()
            return try await Self.record(line, on: sql)
        }
    }

    /// Receives a transfer at its store (once).
    public func receive(
        transfer id: UUID,
        line: @escaping @Sendable (StockTransfer) -> StockTransaction
    ) async throws -> StockTransaction {
        try await database.write { sql in
            guard let transfer = try await Self.transfer(id, on: sql) else { throw StockStoreError.unknown("transfer") }
            guard transfer.receivedOn == nil else { throw StockStoreError.alreadyReceived }
            let made = line(transfer)
            let marked = try await sql.update("stock_transfers").set("received_on", to: made.occurredOn.description)
                .where("id", .equal, id.lower).where(SQLIdentifier("received_on"), .is, SQLLiteral.null)
                .returning("id").all()
            guard !marked.isEmpty else { throw StockStoreError.alreadyReceived }
            return try await Self.record(made, on: sql)
        }
    }

    public func transfer(id: UUID) async throws -> StockTransfer? {
        try await database.read { sql in try await Self.transfer(id, on: sql) }
    }

    static func transfer(_ id: UUID, on sql: any SQLDatabase) async throws -> StockTransfer? {
        guard let row = try await sql.select().column("*").from("stock_transfers").where("id", .equal, id.lower).first()
        else { return nil }
        return try transfer(row)
    }

    static func transfer(_ row: any SQLRow) throws -> StockTransfer {
        StockTransfer(
            id: try row.uuid("id"),
            fromStore: try row.decode(column: "from_store", as: String.self),
            toStore: try row.decode(column: "to_store", as: String.self),
            productCode: try row.decode(column: "product_code", as: String.self),
            lotNumber: try row.decode(column: "lot_number", as: String.self),
            vials: try row.decode(column: "vials", as: Int.self),
            sentOn: LocalDate(iso: try row.decode(column: "sent_on", as: String.self)) ?? LocalDate(daysSinceEpoch: 0),
            receivedOn: try row.decode(column: "received_on", as: String?.self).flatMap(LocalDate.init(iso:))
        )
    }

    /// Transfers to a store not received yet.
    public func inTransit(to store: String) async throws -> [StockTransfer] {
        try await database.read { sql in
            try await sql.select().column("*").from("stock_transfers").where("to_store", .equal, store)
                .where(SQLIdentifier("received_on"), .is, SQLLiteral.null).orderBy("sent_on").orderBy("id").all()
                .map(Self.transfer)
        }
    }

    /// Closes a store's period through a day: later lines may not be dated on or before it.
    public func close(store: String, through day: LocalDate) async throws {
        try await database.write { sql in
            let updated = try await sql.update("stock_stores").set("closed_through", to: day.description)
                .where("id", .equal, store).returning("id").all()
            guard !updated.isEmpty else { throw StockStoreError.unknown("store") }
        }
    }

    /// Whether a unit is `parent` or lies inside its area (a province's 2021 districts and 2025
    /// communes, a 2021 district's 2025 communes): a store's parent must serve such a unit.
    public func unit(_ unit: String, liesIn parent: String) async throws -> Bool {
        if unit == parent { return true }
        guard let area = try await IdentityStore(database: database).area(ofUnit: parent) else { return false }
        switch unit.count {
        case 2: return false
        case 3: return area.districts2021.contains(unit)
        default:
            if area.communes.contains(unit) { return true }
            guard parent.count == 2 else { return false }
            return try await database.read { sql in
                try await sql.select().column("code").from("admin_units").where("scheme", .equal, "2025")
                    .where("code", .equal, unit).where("parent_code", .equal, parent).first() != nil
            }
        }
    }

    /// On hand per lot at stores, now or at the end of a day, with the lot's facts; lots at zero left out.
    public func onHand(stores: [String], at day: LocalDate? = nil) async throws -> [StockBalance] {
        guard !stores.isEmpty else { return [] }
        return try await database.read { sql in
            let ids = SQLGroupExpression(stores.map { SQLBind($0) as any SQLExpression })
            let rows: [any SQLRow]
            if let day {
                rows = try await sql.raw(
                    """
                    SELECT t.store_id, t.product_code, t.lot_number, SUM(t.vials) AS vials, l.expiry, l.doses_per_vial, l.vvm_stage
                    FROM stock_transactions t JOIN vaccine_lots l ON l.product_code = t.product_code AND l.lot_number = t.lot_number
                    WHERE t.store_id IN \(ids) AND t.occurred_on <= \(bind: day.description)
                    GROUP BY t.store_id, t.product_code, t.lot_number, l.expiry, l.doses_per_vial, l.vvm_stage
                    """
                ).all()
            } else {
                rows = try await sql.raw(
                    """
                    SELECT b.store_id, b.product_code, b.lot_number, b.on_hand AS vials, l.expiry, l.doses_per_vial, l.vvm_stage
                    FROM stock_balances b JOIN vaccine_lots l ON l.product_code = b.product_code AND l.lot_number = b.lot_number
                    WHERE b.store_id IN \(ids)
                    """
                ).all()
            }
            return try rows.compactMap { row in
                let vials = try row.decode(column: "vials", as: Int.self)
                guard vials != 0 else { return nil }
                return StockBalance(
                    storeID: try row.decode(column: "store_id", as: String.self),
                    productCode: try row.decode(column: "product_code", as: String.self),
                    lotNumber: try row.decode(column: "lot_number", as: String.self),
                    expiry: LocalDate(iso: try row.decode(column: "expiry", as: String.self))
                        ?? LocalDate(daysSinceEpoch: 0),
                    dosesPerVial: try row.decode(column: "doses_per_vial", as: Int.self),
                    vvmStage: try row.decode(column: "vvm_stage", as: Int.self),
                    vials: vials
                )
            }.sorted { ($0.storeID, $0.productCode, $0.lotNumber) < ($1.storeID, $1.productCode, $1.lotNumber) }
        }
    }

    /// On hand per store and product now: vials and doses (summed in the database: a province has
    /// thousands of store × lot rows).
    public func onHandByProduct(stores: [String]) async throws -> [String: [String: (vials: Int, doses: Int)]] {
        guard !stores.isEmpty else { return [:] }
        return try await database.read { sql in
            var found: [String: [String: (vials: Int, doses: Int)]] = [:]
            for row in try await sql.raw(
                """
                SELECT b.store_id, b.product_code, CAST(SUM(b.on_hand) AS BIGINT) AS vials,
                CAST(SUM(b.on_hand * l.doses_per_vial) AS BIGINT) AS doses
                FROM stock_balances b JOIN vaccine_lots l ON l.product_code = b.product_code AND l.lot_number = b.lot_number
                WHERE b.store_id IN \(SQLGroupExpression(stores.map { SQLBind($0) as any SQLExpression }))
                GROUP BY b.store_id, b.product_code HAVING SUM(b.on_hand) <> 0
                """
            ).all() {
                found[try row.decode(column: "store_id", as: String.self), default: [:]][
                    try row.decode(column: "product_code", as: String.self)
                ] = (
                    Int(try row.decode(column: "vials", as: Int64.self)),
                    Int(try row.decode(column: "doses", as: Int64.self))
                )
            }
            return found
        }
    }

    /// Doses that left stores (issues to sessions and transfers out, net of returns) per store and
    /// product from `from` through `through`: the use that days of cover divide by.
    public func outflow(stores: [String], from: LocalDate, through: LocalDate) async throws -> [String: [String: Int]] {
        guard !stores.isEmpty else { return [:] }
        return try await database.read { sql in
            let ids = SQLGroupExpression(stores.map { SQLBind($0) as any SQLExpression })
            var found: [String: [String: Int]] = [:]
            for row in try await sql.raw(
                """
                SELECT t.store_id, t.product_code, -SUM(t.vials * l.doses_per_vial) AS doses
                FROM stock_transactions t JOIN vaccine_lots l ON l.product_code = t.product_code AND l.lot_number = t.lot_number
                WHERE t.store_id IN \(ids) AND t.kind IN ('issue', 'transfer_out', 'return')
                AND t.occurred_on >= \(bind: from.description) AND t.occurred_on <= \(bind: through.description)
                GROUP BY t.store_id, t.product_code
                """
            ).all() {
                found[try row.decode(column: "store_id", as: String.self), default: [:]][
                    try row.decode(column: "product_code", as: String.self)
                ] = try row.decode(column: "doses", as: Int.self)
            }
            return found
        }
    }

    /// The ledger lines of a store, oldest first.
    public func ledger(store: String, limit: Int) async throws -> [StockTransaction] {
        try await database.read { sql in
            try await sql.select().column("*").from("stock_transactions").where("store_id", .equal, store)
                .orderBy("occurred_on").orderBy("recorded_at").orderBy("id").limit(limit).all().map(Self.transaction)
        }
    }

    /// What was issued to a session and returned from it, per lot (vials, signed as in the ledger).
    public func sessionLines(_ session: UUID) async throws -> [StockTransaction] {
        try await database.read { sql in
            try await sql.select().column("*").from("stock_transactions").where("session_id", .equal, session.lower)
                .orderBy("recorded_at").all().map(Self.transaction)
        }
    }

    static func transaction(_ row: any SQLRow) throws -> StockTransaction {
        StockTransaction(
            id: try row.uuid("id"),
            storeID: try row.decode(column: "store_id", as: String.self),
            productCode: try row.decode(column: "product_code", as: String.self),
            lotNumber: try row.decode(column: "lot_number", as: String.self),
            kind: StockTransaction.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .count,
            vials: try row.decode(column: "vials", as: Int.self),
            occurredOn: LocalDate(iso: try row.decode(column: "occurred_on", as: String.self))
                ?? LocalDate(daysSinceEpoch: 0),
            reason: try row.decode(column: "reason", as: String?.self),
            transferID: try row.decode(column: "transfer_id", as: String?.self).flatMap(UUID.init(uuidString:)),
            sessionID: try row.decode(column: "session_id", as: String?.self).flatMap(UUID.init(uuidString:)),
            countedVials: try row.decode(column: "counted_vials", as: Int?.self),
            recordedBy: try row.decode(column: "recorded_by", as: String.self),
            recordedAt: try row.date("recorded_at")
        )
    }

    // MARK: Cold chain

    public func insert(_ reading: TemperatureReading) async throws {
        try await database.write { sql in
            try await sql.insert(into: "cold_chain_readings")
                .columns("id", "store_id", "measured_at", "celsius", "excursion", "recorded_by")
                .values(
                    SQLBind(reading.id.lower),
                    SQLBind(reading.storeID),
                    SQLBind(reading.measuredAt.millisecondsSince1970),
                    SQLBind(reading.celsius),
                    SQLBind(reading.excursion ? 1 : 0),
                    SQLBind(reading.recordedBy)
                ).run()
        }
    }

    /// Readings of stores since a time, newest first; only excursions when asked.
    public func readings(
        stores: [String],
        since: Date,
        excursionsOnly: Bool,
        limit: Int
    ) async throws
        -> [TemperatureReading]
    {
        guard !stores.isEmpty else { return [] }
        return try await database.read { sql in
            var query = sql.select().column("*").from("cold_chain_readings").where("store_id", .in, stores)
                .where("measured_at", .greaterThanOrEqual, since.millisecondsSince1970)
            if excursionsOnly { query = query.where("excursion", .equal, 1) }
            return try await query.orderBy("measured_at", .descending).limit(limit).all().map { row in
                TemperatureReading(
                    id: try row.uuid("id"),
                    storeID: try row.decode(column: "store_id", as: String.self),
                    measuredAt: try row.date("measured_at"),
                    celsius: try row.decode(column: "celsius", as: Double.self),
                    excursion: try row.decode(column: "excursion", as: Int.self) == 1,
                    recordedBy: try row.decode(column: "recorded_by", as: String.self)
                )
            }
        }
    }

    // MARK: Tallies

    /// A site's aggregate tally for a day and product (the last report wins).
    public func saveTally(
        facility: String,
        day: LocalDate,
        product: String,
        doses: Int,
        by actor: String,
        at now: Date
    )
        async throws
    {
        try await database.write { sql in
            try await sql.raw(
                """
                INSERT INTO site_tallies (facility_id, day, product_code, doses, reported_by, reported_at)
                VALUES (\(bind: facility), \(bind: day.description), \(bind: product), \(bind: doses), \(bind: actor), \(bind: now.millisecondsSince1970))
                ON CONFLICT (facility_id, day, product_code) DO UPDATE SET doses = excluded.doses,
                reported_by = excluded.reported_by, reported_at = excluded.reported_at
                """
            ).run()
        }
    }
}
