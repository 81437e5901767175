import Foundation
import SQLKit
import Synchronization
import VaxDomain

/// Keeps the dashboards' rollup tables: from the outbox events, a following transaction moves what
/// the records of the people concerned contribute (`processPending`); `rebuild` recomputes every
/// table from the raw records. Both derive the cells with the same `RollupFacts.cells`, so the
/// incremental result equals the rebuild (a test holds them to it).
public final class RollupStore: Sendable {
    /// The consumer name in `outbox_pending` and `outbox_deliveries`.
    public static let consumer = "rollups"

    let database: VaxDatabase
    let knownMembership = Mutex<UnitMembership?>(nil)

    /// A store over a database.
    public init(database: VaxDatabase) {
        self.database = database
    }

    // MARK: Unit membership

    /// The dashboard units of addresses (read once: units change only with a law).
    func units(on sql: any SQLDatabase) async throws -> UnitMembership {
        if let known = knownMembership.withLock({ $0 }) { return known }
        var m = UnitMembership()
        for row in try await sql.raw(
            "SELECT new_province_code, new_commune_code, old_commune_code, old_district_code FROM unit_conversions"
        ).all() {
            let newProvince = try row.decode(column: "new_province_code", as: String.self)
            let newCommune = try row.decode(column: "new_commune_code", as: String.self)
            let oldCommune = try row.decode(column: "old_commune_code", as: String?.self)
            let oldDistrict = try row.decode(column: "old_district_code", as: String?.self)
            if let oldDistrict {
                m.provinceOfDistrict2021[oldDistrict, default: []].insert(newProvince)
                m.districtsOfCommune2025[newCommune, default: []].insert(oldDistrict)
            }
            if let oldCommune { m.communesOfCommune2021[oldCommune, default: []].insert(newCommune) }
            m.provinceOfCommune2025[newCommune] = newProvince
        }
        for row in try await sql.raw(
            "SELECT code, parent_code FROM admin_units WHERE scheme = '2025' AND parent_code IS NOT NULL"
        ).all() {
            m.provinceOfCommune2025[try row.decode(column: "code", as: String.self)] = try row.decode(
                column: "parent_code",
                as: String.self
            )
        }
        let loaded = m
        knownMembership.withLock { $0 = loaded }
        return loaded
    }

    // MARK: Facts

    /// The facts of every record of these people, by (kind, source id).
    static func facts(
        of people: [String],
        on sql: any SQLDatabase
    ) async throws -> [SourceKey: (
        person: String, facts: RollupFacts
    )] {
        guard !people.isEmpty else { return [:] }
        let ids = SQLValues.oneOf(people, on: sql)
        var found: [SourceKey: (String, RollupFacts)] = [:]
        func address(_ row: any SQLRow) throws -> RollupAddress {
            RollupAddress(
                s: try row.decode(column: "unit_scheme", as: String.self),
                p: try row.decode(column: "province_code", as: String.self),
                d: try row.decode(column: "district_code", as: String?.self),
                c: try row.decode(column: "commune_code", as: String.self)
            )
        }
        func day(_ row: any SQLRow, _ column: String) throws -> String {
            LocalDate(at: Date(millisecondsSince1970: try row.decode(column: column, as: Int64.self))).description
        }
        let personColumns = "p.unit_scheme, p.province_code, p.district_code, p.commune_code"

        // Doses, with what drop-out needs: the due day of each person's first primary dose.
        let doseRows = try await sql.raw(
            """
            SELECT d.id, d.person_id, d.product_code, d.lot_number, d.dose_number, d.kind, d.administered_on,
            d.facility_id, f.unit_code AS facility_unit, d.retrospective, d.next_due_on, a.session_id,
            p.primary_priority_group, p.sex, p.date_of_birth, \(unsafeRaw: personColumns)
            FROM doses d JOIN people p ON p.id = d.person_id
            LEFT JOIN appointments a ON a.id = d.appointment_id
            LEFT JOIN facilities f ON f.id = d.facility_id
            WHERE d.person_id \(ids)
            """
        ).all()
        var firstDue: [String: String] = [:]
        for row in doseRows
        where try row.decode(column: "dose_number", as: Int.self) == 1
            && row.decode(column: "kind", as: String.self) == "primary"
        {
            if let due = try row.decode(column: "next_due_on", as: String?.self) {
                firstDue[try row.decode(column: "person_id", as: String.self)] = due
            }
        }
        for row in doseRows {
            let person = try row.decode(column: "person_id", as: String.self)
            let number = try row.decode(column: "dose_number", as: Int.self)
            let kind = try row.decode(column: "kind", as: String.self)
            let dayText = try row.decode(column: "administered_on", as: String.self)
            guard let day = LocalDate(iso: dayText),
                let born = LocalDate(iso: try row.decode(column: "date_of_birth", as: String.self))
            else { throw StorageError.corruptRow("doses: a date is not yyyy-mm-dd") }
            let facts = RollupFacts.Dose(
                a: try address(row),
                day: dayText,
                facility: try row.decode(column: "facility_id", as: String?.self) ?? "",
                facilityUnit: try row.decode(column: "facility_unit", as: String?.self) ?? "",
                product: try row.decode(column: "product_code", as: String.self),
                lot: try row.decode(column: "lot_number", as: String.self),
                kind: kind,
                number: number,
                group: try row.decode(column: "primary_priority_group", as: Int.self),
                sex: try row.decode(column: "sex", as: String.self),
                band: RollupFacts.ageBand(born: born, on: day),
                retro: try row.decode(column: "retrospective", as: Int.self) == 1,
                session: try row.decode(column: "session_id", as: String?.self),
                due: number == 1 && kind == "primary" ? try row.decode(column: "next_due_on", as: String?.self) : nil,
                follows: number == 2 && kind == "primary" ? firstDue[person] : nil
            )
            found[SourceKey(kind: "dose", id: try row.decode(column: "id", as: String.self))] = (person, .dose(facts))
        }

        // Registrations, with what the organisation view counts.
        for row in try await sql.raw(
            """
            SELECT r.id, r.person_id, r.organisation, r.registered_at, \(unsafeRaw: personColumns),
            EXISTS (SELECT 1 FROM appointments x WHERE x.person_id = r.person_id AND x.walk_in = 0) AS invited,
            EXISTS (SELECT 1 FROM doses x WHERE x.person_id = r.person_id) AS vaccinated,
            EXISTS (SELECT 1 FROM accounts x WHERE x.kind = 'citizen' AND x.phone = p.phone) AS health_book
            FROM registrations r JOIN people p ON p.id = r.person_id
            WHERE r.person_id \(ids)
            """
        ).all() {
            let facts = RollupFacts.Registration(
                a: try address(row),
                day: try day(row, "registered_at"),
                organisation: try row.decode(column: "organisation", as: String?.self),
                invited: try Self.flag(row, "invited"),
                vaccinated: try Self.flag(row, "vaccinated"),
                healthBook: try Self.flag(row, "health_book")
            )
            found[SourceKey(kind: "registration", id: try row.decode(column: "id", as: String.self))] = (
                try row.decode(column: "person_id", as: String.self), .registration(facts)
            )
        }

        for row in try await sql.raw(
            """
            SELECT a.id, a.person_id, a.walk_in, a.created_at, \(unsafeRaw: personColumns)
            FROM appointments a JOIN people p ON p.id = a.person_id WHERE a.person_id \(ids)
            """
        ).all() {
            let facts = RollupFacts.Appointment(
                a: try address(row),
                day: try day(row, "created_at"),
                walkIn: try row.decode(column: "walk_in", as: Int.self) == 1
            )
            found[SourceKey(kind: "appointment", id: try row.decode(column: "id", as: String.self))] = (
                try row.decode(column: "person_id", as: String.self), .appointment(facts)
            )
        }

        for row in try await sql.raw(
            """
            SELECT s.id, s.person_id, s.outcome, s.screened_at, \(unsafeRaw: personColumns)
            FROM screenings s JOIN people p ON p.id = s.person_id WHERE s.person_id \(ids)
            """
        ).all() {
            let facts = RollupFacts.Screening(
                a: try address(row),
                day: try day(row, "screened_at"),
                outcome: try row.decode(column: "outcome", as: String.self)
            )
            found[SourceKey(kind: "screening", id: try row.decode(column: "id", as: String.self))] = (
                try row.decode(column: "person_id", as: String.self), .screening(facts)
            )
        }

        // Reports count where the report places them (the reporter's unit), by the suspect dose's lot.
        for row in try await sql.raw(
            """
            SELECT r.id, r.person_id, r.unit_scheme, r.province_code, r.district_code, r.commune_code, r.received_at,
            r.serious, d.product_code, d.lot_number
            FROM aefi_reports r LEFT JOIN doses d ON d.id = r.dose_id WHERE r.person_id \(ids)
            """
        ).all() {
            let facts = RollupFacts.AEFI(
                a: try address(row),
                day: try day(row, "received_at"),
                product: try row.decode(column: "product_code", as: String?.self) ?? "unknown",
                lot: try row.decode(column: "lot_number", as: String?.self) ?? "unknown",
                serious: try row.decode(column: "serious", as: Int.self) == 1
            )
            found[SourceKey(kind: "aefi", id: try row.decode(column: "id", as: String.self))] = (
                try row.decode(column: "person_id", as: String.self), .aefi(facts)
            )
        }
        return found
    }

    static func flag(_ row: any SQLRow, _ column: String) throws -> Bool {
        if let value = try? row.decode(column: column, as: Bool.self) { return value }
        return try row.decode(column: column, as: Int.self) != 0
    }

    struct SourceKey: Hashable, Sendable {
        var kind: String
        var id: String
    }

    // MARK: Incremental

    /// Handles up to `limit` pending events, oldest first, in one transaction: the records of every
    /// person they concern are read again and the difference to what they contributed before is
    /// applied. Returns how many events were handled.
    public func processPending(limit: Int, at now: Date) async throws -> Int {
        try await process(try await pendingEvents(limit: limit), at: now)
    }

    /// Up to `limit` events not yet rolled up, oldest first (their rows in `outbox_pending`).
    public func pendingEvents(limit: Int) async throws -> [OutboxEvent] {
        try await database.backgroundRead { sql in
            try await OutboxPending.next(for: Self.consumer, limit: limit, on: sql)
        }
    }

    /// Rolls up `events`, those of them still not rolled up when it writes (another maintainer, or a
    /// rebuild, may have taken them meanwhile). Returns how many it handled.
    ///
    /// The reads (who the events concern, their records, what `rollup_sources` remembers of them) and
    /// the difference are worked out on a read connection first; the write transaction then only checks
    /// that nobody rolled these people up meanwhile and writes. On SQLite the transaction holds the one
    /// writer that a nurse's dose waits for: after a 100,000-row import the reads made it hold the writer
    /// for a third of the time. A record changed after the reads is no loss: its change is an event of its
    /// own, still pending, and rolling it up reads the record again. If anyone did roll up these events
    /// or people meanwhile, the batch is worked out again inside the transaction.
    public func process(_ events: [OutboxEvent], at now: Date) async throws -> Int {
        try await commit(try await prepare(events), at: now)
    }

    /// A batch of events with what rolling them up changes, worked out by reads.
    public struct Prepared: Sendable {
        let events: [OutboxEvent]
        let change: Change
    }

    /// The reads of `process`: who `events` concern and what rolling them up changes.
    public func prepare(_ events: [OutboxEvent]) async throws -> Prepared {
        guard !events.isEmpty else { return Prepared(events: [], change: Change(people: [], remembered: [])) }
        let change = try await database.backgroundRead { sql in
            try await self.change(of: try await Self.people(concernedBy: events, on: sql).sorted(), on: sql)
        }
        return Prepared(events: events, change: change)
    }

    /// The write of `process`: rolls up a prepared batch in one transaction. Returns how many events it
    /// handled.
    public func commit(_ prepared: Prepared, at now: Date) async throws -> Int {
        let events = prepared.events
        let planned = prepared.change
        guard !events.isEmpty else { return 0 }
        return try await database.write { sql in
            if sql.dialect.name == "postgresql" {
                // One maintainer at a time across app servers: two would both move the same difference.
                try await sql.raw("SELECT pg_advisory_xact_lock(8008)").run()
            }
            let claimed = try await OutboxPending.claim(events.map(\.id.lower), for: Self.consumer, on: sql)
            let allClaimed = claimed.count == events.count
            let events = events.filter { claimed.contains($0.id.lower) }
            guard !events.isEmpty else { return 0 }
            if allClaimed, try await Self.remembered(of: planned.people, on: sql) == planned.remembered {
                try await Self.write(planned, on: sql)
            } else {
                let people = try await Self.people(concernedBy: events, on: sql)
                try await Self.write(try await self.change(of: people.sorted(), on: sql), on: sql)
            }
            var batch = WriteBatch()
            batch.insert(
                into: "outbox_deliveries",
                columns: ["consumer", "event_id", "processed_at", "outcome"],
                rows: events.map {
                    [
                        SQLBind(Self.consumer), SQLBind($0.id.lower), SQLBind(now.millisecondsSince1970),
                        SQLBind("rolled_up"),
                    ]
                }
            )
            _ = try await batch.run(on: sql)
            return events.count
        }
    }

    /// Marks the oldest pending event handled without rolling it up, with why; returns its id.
    public func parkOldestPending(outcome: String, at now: Date) async throws -> String? {
        try await database.write { sql in
            guard let id = try await OutboxPending.next(for: Self.consumer, limit: 1, on: sql).first?.id.lower,
                try await !OutboxPending.claim([id], for: Self.consumer, on: sql).isEmpty
            else { return nil }
            try await sql.raw(
                """
                INSERT INTO outbox_deliveries (consumer, event_id, processed_at, outcome)
                VALUES (\(bind: Self.consumer), \(bind: id), \(bind: now.millisecondsSince1970), \(bind: String(outcome.prefix(200))))
                """
            ).run()
            return id
        }
    }

    /// The people whose records an event may have changed.
    static func people(concernedBy events: [OutboxEvent], on sql: any SQLDatabase) async throws -> Set<String> {
        var people: Set<String> = []
        var registrations: [String] = []
        var reports: [String] = []
        var accounts: [String] = []
        var facilities: [String] = []
        for event in events {
            if let data = event.payload.data(using: .utf8),
                let payload = try? JSONDecoder().decode([String: String].self, from: data),
                let person = payload["personId"]
            {
                people.insert(person)
                continue
            }
            if event.kind.hasPrefix("registration.") {
                registrations.append(event.subjectID)
            } else if event.kind.hasPrefix("aefi.") {
                reports.append(event.subjectID)
            } else if event.kind == "account.created" {
                accounts.append(event.subjectID)
            } else if event.kind.hasPrefix("person.") {
                // A correction of the person (date of birth, sex, phone, address): the subject is the person.
                people.insert(event.subjectID)
            } else if event.kind == "facility.moved" {
                facilities.append(event.subjectID)
            }
        }
        func collect(_ query: SQLQueryString) async throws {
            for row in try await sql.raw(query).all() {
                people.insert(try row.decode(column: "person_id", as: String.self))
            }
        }
        if !registrations.isEmpty {
            let ids = SQLValues.oneOf(registrations, on: sql)
            try await collect("SELECT person_id FROM registrations WHERE id \(ids)")
        }
        if !reports.isEmpty {
            let ids = SQLValues.oneOf(reports, on: sql)
            try await collect("SELECT person_id FROM aefi_reports WHERE id \(ids)")
        }
        if !accounts.isEmpty {
            let ids = SQLValues.oneOf(accounts, on: sql)
            try await collect(
                "SELECT p.id AS person_id FROM people p JOIN accounts a ON a.phone = p.phone WHERE a.id \(ids)"
            )
        }
        if !facilities.isEmpty {
            let ids = SQLValues.oneOf(facilities, on: sql)
            try await collect("SELECT DISTINCT person_id FROM doses WHERE facility_id \(ids)")
        }
        return people
    }

    /// What moving the contribution of some people's records from what `rollup_sources` remembers to
    /// what the records hold now changes.
    struct Change: Sendable {
        var people: [String]
        /// What `rollup_sources` held for them, as stored (to check it is still so when writing).
        var remembered: Set<[String]>
        var delta: [RollupCell: Int] = [:]
        var removed: [SourceKey] = []
        var upserts: [(SourceKey, String, RollupFacts)] = []
    }

    /// The rows of `rollup_sources` for these people, as stored.
    static func remembered(of people: [String], on sql: any SQLDatabase) async throws -> Set<[String]> {
        var rows: Set<[String]> = []
        for start in stride(from: 0, to: people.count, by: 500) {
            let ids = SQLValues.oneOf(Array(people[start..<min(start + 500, people.count)]), on: sql)
            for row in try await sql.raw(
                "SELECT source_kind, source_id, person_id, facts FROM rollup_sources WHERE person_id \(ids)"
            ).all() {
                rows.insert(
                    try ["source_kind", "source_id", "person_id", "facts"].map {
                        try row.decode(column: $0, as: String.self)
                    }
                )
            }
        }
        return rows
    }

    /// Reads what moving the contribution of `people`'s records to what they hold now would change.
    func change(of people: [String], on sql: any SQLDatabase) async throws -> Change {
        let units = try await units(on: sql)
        var change = Change(people: people, remembered: try await Self.remembered(of: people, on: sql))
        let decoder = JSONDecoder()
        var before: [SourceKey: (person: String, facts: RollupFacts)] = [:]
        for row in change.remembered {
            before[SourceKey(kind: row[0], id: row[1])] = (
                row[2], try decoder.decode(RollupFacts.self, from: Data(row[3].utf8))
            )
        }
        for start in stride(from: 0, to: people.count, by: 500) {
            let now = try await Self.facts(of: Array(people[start..<min(start + 500, people.count)]), on: sql)
            for (key, new) in now {
                let old = before.removeValue(forKey: key)
                if old?.facts != new.facts {
                    for cell in old?.facts.cells(units) ?? [] { change.delta[cell, default: 0] -= 1 }
                    for cell in new.facts.cells(units) { change.delta[cell, default: 0] += 1 }
                }
                if old?.facts != new.facts || old?.person != new.person {
                    change.upserts.append((key, new.person, new.facts))
                }
            }
        }
        // What is left of `before` went: the records of these people hold none of it now.
        for (key, old) in before {
            for cell in old.facts.cells(units) { change.delta[cell, default: 0] -= 1 }
            change.removed.append(key)
        }
        change.delta = change.delta.filter { $0.value != 0 }
        return change
    }

    /// Writes a change worked out by `change(of:on:)`.
    static func write(_ change: Change, on sql: any SQLDatabase) async throws {
        try await apply(change.delta, on: sql)
        for key in change.removed {
            try await sql.raw(
                "DELETE FROM rollup_sources WHERE source_kind = \(bind: key.kind) AND source_id = \(bind: key.id)"
            ).run()
        }
        try await store(change.upserts, on: sql)
    }

    static func store(_ sources: [(SourceKey, String, RollupFacts)], on sql: any SQLDatabase) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for start in stride(from: 0, to: sources.count, by: 500) {
            var rows: [any SQLExpression] = []
            for (key, person, facts) in sources[start..<min(start + 500, sources.count)] {
                let text = String(decoding: try encoder.encode(facts), as: UTF8.self)
                rows.append(
                    SQLGroupExpression([SQLBind(key.kind), SQLBind(key.id), SQLBind(person), SQLBind(text)])
                )
            }
            try await sql.raw(
                """
                INSERT INTO rollup_sources (source_kind, source_id, person_id, facts) VALUES \(SQLList(rows))
                ON CONFLICT (source_kind, source_id) DO UPDATE SET person_id = excluded.person_id, facts = excluded.facts
                """
            ).run()
        }
    }

    /// Adds each count to its cell, and deletes cells that reach zero.
    static func apply(_ delta: [RollupCell: Int], on sql: any SQLDatabase) async throws {
        let byTable = Dictionary(grouping: delta, by: { $0.key.table })
        for table in RollupTable.allCases {
            guard let cells = byTable[table] else { continue }
            let ordered = cells.sorted { $0.key.key.lexicographicallyPrecedes($1.key.key) }
            let columns = table.keys.joined(separator: ", ")
            for start in stride(from: 0, to: ordered.count, by: 400) {
                let part = ordered[start..<min(start + 400, ordered.count)]
                let rows = part.map { cell, n in
                    SQLGroupExpression((cell.key.map { SQLBind($0) } + [SQLBind(n)]) as [any SQLExpression])
                }
                try await sql.raw(
                    """
                    INSERT INTO \(ident: table.rawValue) (\(unsafeRaw: columns), n) VALUES \(SQLList(rows))
                    ON CONFLICT (\(unsafeRaw: columns)) DO UPDATE SET n = \(ident: table.rawValue).n + excluded.n
                    """
                ).run()
            }
            for (cell, n) in ordered where n < 0 {
                let match = SQLList(
                    zip(table.keys, cell.key).map { column, value in
                        SQLBinaryExpression(SQLIdentifier(column), .equal, SQLBind(value)) as any SQLExpression
                    },
                    separator: SQLRaw(" AND ")
                )
                try await sql.raw("DELETE FROM \(ident: table.rawValue) WHERE n = 0 AND \(match)").run()
            }
        }
    }

    // MARK: Rebuild

    /// What a rebuild did.
    public struct RebuildSummary: Sendable {
        /// Raw records read.
        public var sources: Int
        /// Cells written.
        public var cells: Int
    }

    /// Recomputes every rollup table from the raw records, in one transaction, and marks the events
    /// committed before it began as handled.
    public func rebuild(at now: Date, progress: @Sendable (Int) -> Void = { _ in }) async throws -> RebuildSummary {
        try await database.write { sql in
            if sql.dialect.name == "postgresql" { try await sql.raw("SELECT pg_advisory_xact_lock(8008)").run() }
            // Events committed so far are handled by this rebuild; one committed while it reads stays
            // pending, and the incremental maintainer applies whatever difference it makes afterwards.
            if sql.dialect.name == "postgresql" {
                // One statement: the pending rows it deletes are exactly the ones it marks delivered.
                try await sql.raw(
                    """
                    WITH handled AS (DELETE FROM outbox_pending WHERE consumer = \(bind: Self.consumer) RETURNING event_id)
                    INSERT INTO outbox_deliveries (consumer, event_id, processed_at, outcome)
                    SELECT \(bind: Self.consumer), event_id, \(bind: now.millisecondsSince1970), 'rebuilt' FROM handled
                    """
                ).run()
            } else {
                // The one writer: nothing commits between the two statements.
                try await sql.raw(
                    """
                    INSERT INTO outbox_deliveries (consumer, event_id, processed_at, outcome)
                    SELECT consumer, event_id, \(bind: now.millisecondsSince1970), 'rebuilt' FROM outbox_pending
                    WHERE consumer = \(bind: Self.consumer)
                    """
                ).run()
                try await sql.raw("DELETE FROM outbox_pending WHERE consumer = \(bind: Self.consumer)").run()
            }
            let units = try await self.units(on: sql)
            for table in RollupTable.allCases { try await sql.raw("DELETE FROM \(ident: table.rawValue)").run() }
            try await sql.raw("DELETE FROM rollup_sources").run()
            var totals: [RollupCell: Int] = [:]
            var sources = 0
            var last = ""
            while true {
                let page = try await sql.raw(
                    "SELECT id FROM people WHERE id > \(bind: last) ORDER BY id LIMIT 2000"
                ).all(decodingColumn: "id", as: String.self)
                guard let end = page.last else { break }
                last = end
                let found = try await Self.facts(of: page, on: sql)
                for (_, source) in found {
                    for cell in source.facts.cells(units) { totals[cell, default: 0] += 1 }
                }
                try await Self.store(found.map { ($0.key, $0.value.person, $0.value.facts) }, on: sql)
                sources += found.count
                progress(sources)
            }
            try await Self.apply(totals, on: sql)
            return RebuildSummary(sources: sources, cells: totals.count)
        }
    }

    /// Every row of every rollup table, sorted (for comparing an incremental result with a rebuild).
    public func snapshot() async throws -> [String: [[String]]] {
        try await database.read { sql in
            var tables: [String: [[String]]] = [:]
            for table in RollupTable.allCases {
                var rows: [[String]] = []
                for row in try await sql.raw("SELECT * FROM \(ident: table.rawValue)").all() {
                    var values = try table.keys.map { try row.decode(column: $0, as: String.self) }
                    values.append(String(try row.decode(column: "n", as: Int.self)))
                    rows.append(values)
                }
                tables[table.rawValue] = rows.sorted { $0.lexicographicallyPrecedes($1) }
            }
            return tables
        }
    }
}
