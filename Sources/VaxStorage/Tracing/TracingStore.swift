import Foundation
import SQLKit
import VaxDomain

/// Venues, check-ins, declarations and tracing over SQLKit on both engines; each change and its
/// messages, events, notifications and audit entries land in one transaction.
public struct TracingStore: Sendable {
    let database: VaxDatabase

    /// No stay counts as longer than this (a forgotten check-out is not a 3-day visit); it also bounds
    /// the overlap query, which then reads one venue's check-ins from a narrow time range.
    public static let maxStay: TimeInterval = 12 * 3600

    public init(database: VaxDatabase) {
        self.database = database
    }

    // MARK: Keys

    /// Every venue key, newest first.
    public func venueKeys() async throws -> [VenueKey] {
        try await database.read { sql in
            try await sql.select().columns("kid", "public_key", "sealed_private_key", "created_at", "retired_at")
                .from("venue_keys").orderBy("created_at", .descending).orderBy("kid", .descending).all().map {
                    VenueKey(
                        kid: try $0.decode(column: "kid", as: String.self),
                        publicKey: try $0.decode(column: "public_key", as: String.self),
                        sealedPrivateKey: try $0.decode(column: "sealed_private_key", as: String.self),
                        createdAt: try $0.date("created_at"),
                        retiredAt: try $0.decode(column: "retired_at", as: Int64?.self).map(
                            Date.init(millisecondsSince1970:)
                        )
                    )
                }
        }
    }

    /// Stores a new key and retires every older key that no venue's current token uses any more.
    public func insert(_ key: VenueKey) async throws {
        try await database.write { sql in
            try await sql.insert(into: "venue_keys")
                .columns("kid", "public_key", "sealed_private_key", "created_at")
                .values(
                    SQLBind(key.kid),
                    SQLBind(key.publicKey),
                    SQLBind(key.sealedPrivateKey),
                    SQLBind(key.createdAt.millisecondsSince1970)
                ).run()
            try await Self.retireUnused(except: key.kid, at: key.createdAt, on: sql)
        }
    }

    /// Retires keys that are not `current` and that no poster carries; returns how many.
    @discardableResult
    public func retireUnusedKeys(except current: String, at date: Date) async throws -> Int {
        try await database.write { sql in try await Self.retireUnused(except: current, at: date, on: sql) }
    }

    private static func retireUnused(except current: String, at date: Date, on sql: any SQLDatabase) async throws -> Int
    {
        try await sql.raw(
            """
            UPDATE venue_keys SET retired_at = \(bind: date.millisecondsSince1970)
            WHERE retired_at IS NULL AND kid <> \(bind: current)
            AND NOT EXISTS (SELECT 1 FROM venues v WHERE v.token_kid = venue_keys.kid)
            RETURNING kid
            """
        ).all().count
    }

    // MARK: Venues

    static let venueColumns = [
        "id", "name", "kind", "unit_code", "address", "owner_name", "owner_phone", "staff_phones", "token", "token_kid",
        "created_at", "updated_at",
    ]

    /// Stores a new venue.
    public func insert(_ venue: Venue, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await sql.insert(into: "venues").columns(Self.venueColumns).values(Self.values(venue)).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Replaces a venue's editable fields and token.
    public func update(_ venue: Venue, audit: [AuditEntry]) async throws {
        try await database.write { sql in
            try await sql.update("venues")
                .set("name", to: venue.name).set("kind", to: venue.kind).set("address", to: venue.address)
                .set("owner_name", to: venue.ownerName)
                .set("staff_phones", to: venue.staffPhones.joined(separator: ","))
                .set("token", to: venue.token).set("token_kid", to: venue.tokenKid)
                .set("updated_at", to: venue.updatedAt.millisecondsSince1970)
                .where("id", .equal, venue.id.lower).run()
            try await AuditChain.append(audit, on: sql)
        }
    }

    static func values(_ v: Venue) -> [any SQLExpression] {
        [
            SQLBind(v.id.lower), SQLBind(v.name), SQLBind(v.kind), SQLBind(v.unitCode), SQLBind(v.address),
            SQLBind(v.ownerName), SQLBind(v.ownerPhone), SQLBind(v.staffPhones.joined(separator: ",")),
            SQLBind(v.token), SQLBind(v.tokenKid), SQLBind(v.createdAt.millisecondsSince1970),
            SQLBind(v.updatedAt.millisecondsSince1970),
        ]
    }

    /// A venue by id.
    public func venue(id: UUID) async throws -> Venue? {
        try await database.read { sql in
            try await sql.select().columns(Self.venueColumns).from("venues").where("id", .equal, id.lower).first()
                .map(Self.venue(from:))
        }
    }

    /// The venues a phone owns, newest first.
    public func venues(ownedBy phone: String, limit: Int) async throws -> [Venue] {
        try await database.read { sql in
            try await sql.select().columns(Self.venueColumns).from("venues").where("owner_phone", .equal, phone)
                .orderBy("created_at", .descending).limit(limit).all().map(Self.venue(from:))
        }
    }

    static func venue(from row: any SQLRow) throws -> Venue {
        let staff = try row.decode(column: "staff_phones", as: String.self)
        return Venue(
            id: try row.uuid("id"),
            name: try row.decode(column: "name", as: String.self),
            kind: try row.decode(column: "kind", as: String.self),
            unitCode: try row.decode(column: "unit_code", as: String.self),
            address: try row.decode(column: "address", as: String.self),
            ownerName: try row.decode(column: "owner_name", as: String.self),
            ownerPhone: try row.decode(column: "owner_phone", as: String.self),
            staffPhones: staff.isEmpty ? [] : staff.split(separator: ",").map(String.init),
            token: try row.decode(column: "token", as: String.self),
            tokenKid: try row.decode(column: "token_kid", as: String.self),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at")
        )
    }

    // MARK: Check-ins

    static let checkInColumns = [
        "id", "day", "venue_id", "person_id", "phone", "name", "method", "arrived_at", "left_at", "stay_until",
        "checkout_hash",
    ]

    /// The result of a check-in.
    public enum Recorded: Sendable, Equatable {
        case created(CheckIn)
        /// The same visitor checked in at the same venue within the merge window: that visit stands.
        case merged(CheckIn)

        public var checkIn: CheckIn {
            switch self {
            case .created(let c), .merged(let c): c
            }
        }
    }

    /// Records a visit unless the same person (or phone) checked in at the venue since `mergeSince`;
    /// an optional declaration and its notifications land with it.
    public func record(
        _ checkIn: CheckIn,
        mergeSince: Date,
        declaration: HealthDeclaration? = nil,
        notifications: [OfficialNotification] = []
    ) async throws -> Recorded {
        try await database.write { sql in
            if let previous = try await Self.recent(like: checkIn, since: mergeSince, on: sql) {
                return .merged(previous)
            }
            try await Self.insert([checkIn], on: sql)
            if let declaration { try await Self.insert(declaration, on: sql) }
            try await CampaignStore.insert(notifications, on: sql)
            return .created(checkIn)
        }
    }

    /// Inserts check-ins as they are (the group-commit path merges before it calls this).
    public func insert(_ checkIns: [CheckIn]) async throws {
        try await database.write { sql in try await Self.insert(checkIns, on: sql) }
    }

    static func insert(_ checkIns: [CheckIn], on sql: any SQLDatabase) async throws {
        guard !checkIns.isEmpty else { return }
        if sql.dialect.name == "postgresql" {
            try await sql.raw(unnestInsert(checkIns)).run()
            return
        }
        var batch = WriteBatch()
        batch.insert(into: "checkins", columns: checkInColumns, rows: checkIns.map(values))
        _ = try await batch.run(on: sql)
    }

    /// PostgreSQL: the rows as eleven array parameters, one per column, whatever their number: one short
    /// statement to parse and eleven values to bind, where a multi-row `VALUES` has eleven per row (group
    /// commit writes hundreds at once, and their binding and parsing showed in the check-in profile). Arrays
    /// of optionals take PostgresKit's slow encoding path, so a missing value travels as '' or -1, which no
    /// real value can be (ids, phones and hashes are never empty, times are after 1970).
    static func unnestInsert(_ checkIns: [CheckIn]) -> SQLQueryString {
        let ids = checkIns.map { $0.id.lower }
        let days = checkIns.map { CheckIn.day(of: $0.arrivedAt) }
        let venues = checkIns.map { $0.venueID.lower }
        let people = checkIns.map { $0.personID?.description ?? "" }
        let phones = checkIns.map { $0.phone ?? "" }
        let names = checkIns.map(\.name)
        let methods = checkIns.map(\.method.rawValue)
        let arrivals = checkIns.map { $0.arrivedAt.millisecondsSince1970 }
        let departures = checkIns.map { $0.leftAt?.millisecondsSince1970 ?? -1 }
        let stays = checkIns.map { $0.stayUntil.millisecondsSince1970 }
        let hashes = checkIns.map { $0.checkoutHash ?? "" }
        return """
            INSERT INTO checkins (\(unsafeRaw: checkInColumns.joined(separator: ", ")))
            SELECT id, day, venue_id, NULLIF(person_id, ''), NULLIF(phone, ''), name, method, arrived_at,
                   NULLIF(left_at, -1), stay_until, NULLIF(checkout_hash, '')
            FROM unnest(\(bind: ids)::text[], \(bind: days)::integer[], \(bind: venues)::text[], \(bind: people)::text[],
                        \(bind: phones)::text[], \(bind: names)::text[], \(bind: methods)::text[], \(bind: arrivals)::bigint[],
                        \(bind: departures)::bigint[], \(bind: stays)::bigint[], \(bind: hashes)::text[])
                AS t(id, day, venue_id, person_id, phone, name, method, arrived_at, left_at, stay_until, checkout_hash)
            """
    }

    static func values(_ c: CheckIn) -> [any SQLExpression] {
        [
            SQLBind(c.id.lower), SQLBind(CheckIn.day(of: c.arrivedAt)), SQLBind(c.venueID.lower),
            SQLBind(c.personID?.description), SQLBind(c.phone), SQLBind(c.name), SQLBind(c.method.rawValue),
            SQLBind(c.arrivedAt.millisecondsSince1970), SQLBind(c.leftAt?.millisecondsSince1970),
            SQLBind(c.stayUntil.millisecondsSince1970), SQLBind(c.checkoutHash),
        ]
    }

    static func recent(like c: CheckIn, since: Date, on sql: any SQLDatabase) async throws -> CheckIn? {
        guard c.personID != nil || c.phone != nil else { return nil }
        let select = sql.select().columns(checkInColumns).from("checkins")
            .where("venue_id", .equal, c.venueID.lower)
            .where("arrived_at", .greaterThanOrEqual, since.millisecondsSince1970)
            .where("day", .greaterThanOrEqual, CheckIn.day(of: since))
        if let person = c.personID {
            select.where("person_id", .equal, person.description)
        } else if let phone = c.phone {
            select.where("phone", .equal, phone)
        }
        return try await select.orderBy("arrived_at", .descending).limit(1).first().map(checkIn(from:))
    }

    /// A check-in by id.
    public func checkIn(id: UUID) async throws -> CheckIn? {
        try await database.read { sql in
            try await sql.select().columns(Self.checkInColumns).from("checkins").where("id", .equal, id.lower).first()
                .map(Self.checkIn(from:))
        }
    }

    /// Records a departure (never before the arrival, never past the longest stay).
    public func checkOut(_ checkIn: CheckIn, at date: Date) async throws -> CheckIn {
        var out = checkIn
        out.leftAt = min(max(date, checkIn.arrivedAt), checkIn.arrivedAt.addingTimeInterval(Self.maxStay))
        out.stayUntil = out.leftAt!
        let updated = out
        try await database.write { sql in
            try await sql.update("checkins")
                .set("left_at", to: updated.leftAt!.millisecondsSince1970)
                .set("stay_until", to: updated.stayUntil.millisecondsSince1970)
                .where("day", .equal, CheckIn.day(of: updated.arrivedAt)).where("id", .equal, updated.id.lower).run()
        }
        return out
    }

    /// A venue's visitors since `since`, newest first.
    public func visitors(venue: UUID, since: Date, limit: Int) async throws -> [CheckIn] {
        try await database.read { sql in
            try await sql.select().columns(Self.checkInColumns).from("checkins")
                .where("venue_id", .equal, venue.lower)
                .where("day", .greaterThanOrEqual, CheckIn.day(of: since))
                .where("arrived_at", .greaterThanOrEqual, since.millisecondsSince1970)
                .orderBy("arrived_at", .descending).limit(limit).all().map(Self.checkIn(from:))
        }
    }

    /// A person's (or a phone's) visits whose stay touches `start…end`.
    public func checkIns(person: Person.ID?, phone: String?, from start: Date, to end: Date) async throws -> [CheckIn] {
        guard person != nil || phone != nil else { return [] }
        let lower = start.addingTimeInterval(-Self.maxStay)
        if database.engine == .postgres {
            // One function with a generic plan (migration 0012): planning over the daily partitions
            // cost more than running the search.
            return try await database.read { sql in
                try await sql.raw(
                    """
                    SELECT * FROM tracing_own_checkins(\(bind: phone), \(bind: person?.description), \
                    \(bind: Int32(CheckIn.day(of: lower))), \(bind: Int32(CheckIn.day(of: end))), \
                    \(bind: lower.millisecondsSince1970), \(bind: end.millisecondsSince1970), \
                    \(bind: start.millisecondsSince1970)) ORDER BY arrived_at, id
                    """
                ).all().map(Self.checkIn(from:))
            }
        }
        return try await database.read { sql in
            let select = sql.select().columns(Self.checkInColumns).from("checkins")
                .where("day", .greaterThanOrEqual, CheckIn.day(of: lower))
                .where("day", .lessThanOrEqual, CheckIn.day(of: end))
                .where("arrived_at", .greaterThanOrEqual, lower.millisecondsSince1970)
                .where("arrived_at", .lessThanOrEqual, end.millisecondsSince1970)
                .where("stay_until", .greaterThanOrEqual, start.millisecondsSince1970)
                .where { group in
                    if let person { group.orWhere("person_id", .equal, person.description) }
                    if let phone { group.orWhere("phone", .equal, phone) }
                    return group
                }
            return try await select.orderBy("arrived_at").orderBy("id").all().map(Self.checkIn(from:))
        }
    }

    /// Every visit whose stay touches one of `windows` at its venue, once each, in order of arrival: a
    /// case's stays are looked up together (one round trip instead of one per venue).
    public func checkIns(touching windows: [(venue: UUID, from: Date, to: Date)]) async throws -> [CheckIn] {
        guard !windows.isEmpty else { return [] }
        var found: [CheckIn] = []
        for part in stride(from: 0, to: windows.count, by: 200) {
            let slice = windows[part..<min(part + 200, windows.count)]
            found += try await database.read { sql in
                if database.engine == .postgres {
                    // Each window searches only its own days' partitions, with the function's generic plan.
                    let earliest = slice.map { $0.from.addingTimeInterval(-Self.maxStay) }
                    return try await sql.raw(
                        """
                        SELECT * FROM tracing_touching_checkins(\(bind: slice.map(\.venue.lower)), \
                        \(bind: earliest.map { Int32(CheckIn.day(of: $0)) }), \
                        \(bind: slice.map { Int32(CheckIn.day(of: $0.to)) }), \
                        \(bind: earliest.map(\.millisecondsSince1970)), \(bind: slice.map(\.to.millisecondsSince1970)), \
                        \(bind: slice.map(\.from.millisecondsSince1970)))
                        """
                    ).all().map(Self.checkIn(from:))
                }
                let lowest = slice.map(\.from).min()!.addingTimeInterval(-Self.maxStay)
                let highest = slice.map(\.to).max()!
                return try await sql.select().columns(Self.checkInColumns).from("checkins")
                    .where("day", .greaterThanOrEqual, CheckIn.day(of: lowest))
                    .where("day", .lessThanOrEqual, CheckIn.day(of: highest))
                    .where { group in
                        for window in slice {
                            group.orWhere { arm in
                                arm.where("venue_id", .equal, window.venue.lower)
                                    .where(
                                        "arrived_at",
                                        .greaterThanOrEqual,
                                        window.from.addingTimeInterval(-Self.maxStay).millisecondsSince1970
                                    )
                                    .where("arrived_at", .lessThanOrEqual, window.to.millisecondsSince1970)
                                    .where("stay_until", .greaterThanOrEqual, window.from.millisecondsSince1970)
                            }
                        }
                        return group
                    }
                    .all().map(Self.checkIn(from:))
            }
        }
        // A visit can touch two windows (the case was at the venue twice).
        var seen = Set<UUID>()
        return found.filter { seen.insert($0.id).inserted }.sorted {
            ($0.arrivedAt, $0.id.lower) < ($1.arrivedAt, $1.id.lower)
        }
    }

    static func checkIn(from row: any SQLRow) throws -> CheckIn {
        CheckIn(
            id: try row.uuid("id"),
            venueID: try row.uuid("venue_id"),
            personID: try row.decode(column: "person_id", as: String?.self).map(SQLPersonRepository.personID),
            phone: try row.decode(column: "phone", as: String?.self),
            name: try row.decode(column: "name", as: String.self),
            method: CheckIn.Method(rawValue: try row.decode(column: "method", as: String.self)) ?? .venueQR,
            arrivedAt: try row.date("arrived_at"),
            leftAt: try row.decode(column: "left_at", as: Int64?.self).map(Date.init(millisecondsSince1970:)),
            stayUntil: try row.date("stay_until"),
            checkoutHash: try row.decode(column: "checkout_hash", as: String?.self)
        )
    }

    // MARK: Declarations

    /// Whether the person (or phone) made a full declaration since `since`.
    public func hasFullDeclaration(person: Person.ID?, phone: String?, since: Date) async throws -> Bool {
        guard person != nil || phone != nil else { return false }
        return try await database.read { sql in
            let select = sql.select().column("id").from("health_declarations").where("kind", .equal, "full")
                .where("created_at", .greaterThanOrEqual, since.millisecondsSince1970)
            if let person {
                select.where("person_id", .equal, person.description)
            } else if let phone {
                select.where("phone", .equal, phone)
            }
            return try await select.limit(1).first() != nil
        }
    }

    /// Stores a declaration with the notifications to the commune when it is flagged.
    public func insert(_ declaration: HealthDeclaration, notifications: [OfficialNotification]) async throws {
        try await database.write { sql in
            try await Self.insert(declaration, on: sql)
            try await CampaignStore.insert(notifications, on: sql)
        }
    }

    static func insert(_ d: HealthDeclaration, on sql: any SQLDatabase) async throws {
        try await sql.insert(into: "health_declarations")
            .columns(
                "id",
                "person_id",
                "phone",
                "name",
                "unit_code",
                "kind",
                "symptoms",
                "f0_contact",
                "flagged",
                "details",
                "declared_by",
                "created_at"
            )
            .values(
                SQLBind(d.id.lower),
                SQLBind(d.personID?.description),
                SQLBind(d.phone),
                SQLBind(d.name),
                SQLBind(d.unitCode),
                SQLBind(d.kind.rawValue),
                SQLBind(d.symptoms.joined(separator: ",")),
                SQLBind(d.f0Contact ? 1 : 0),
                SQLBind(d.flagged ? 1 : 0),
                SQLBind(d.details),
                SQLBind(d.declaredBy),
                SQLBind(d.createdAt.millisecondsSince1970)
            ).run()
    }

    /// A declaration by id.
    public func declaration(id: UUID) async throws -> HealthDeclaration? {
        try await database.read { sql in
            guard
                let row = try await sql.select().columns("*").from("health_declarations")
                    .where("id", .equal, id.lower).first()
            else { return nil }
            let symptoms = try row.decode(column: "symptoms", as: String.self)
            return HealthDeclaration(
                id: try row.uuid("id"),
                personID: try row.decode(column: "person_id", as: String?.self).map(SQLPersonRepository.personID),
                phone: try row.decode(column: "phone", as: String?.self),
                name: try row.decode(column: "name", as: String.self),
                unitCode: try row.decode(column: "unit_code", as: String.self),
                kind: HealthDeclaration.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .update,
                symptoms: symptoms.isEmpty ? [] : symptoms.split(separator: ",").map(String.init),
                f0Contact: try row.decode(column: "f0_contact", as: Int.self) != 0,
                flagged: try row.decode(column: "flagged", as: Int.self) != 0,
                details: try row.decode(column: "details", as: String.self),
                declaredBy: try row.decode(column: "declared_by", as: String.self),
                createdAt: try row.date("created_at")
            )
        }
    }

    // MARK: Cases and contacts

    static let caseColumns = [
        "id", "level", "person_id", "phone", "name", "unit_code", "window_start", "window_end", "quarantine_until",
        "source_contact_id", "recorded_by", "recorded_at", "warnings_queued_micros",
    ]
    static let contactColumns = [
        "id", "case_id", "checkin_id", "case_checkin_id", "venue_id", "person_id", "phone", "name", "contact_start",
        "contact_end", "overlap_seconds", "status", "created_at",
    ]

    /// Stores a case with its contacts, their warnings (SMS and health-book events) and the audit
    /// entries; for an F1, the contact it came from is marked `f1` in the same transaction.
    public func insert(
        _ c: TracingCase,
        contacts: [TracingContact],
        messages: [OutboxMessage],
        events: [OutboxEvent],
        audit: [AuditEntry]
    ) async throws {
        try await database.write { sql in
            var batch = WriteBatch()
            batch.insert(into: "tracing_cases", columns: Self.caseColumns, rows: [Self.values(c)])
            batch.insert(into: "tracing_contacts", columns: Self.contactColumns, rows: contacts.map(Self.values))
            for message in messages { IdentityStore.add(message, to: &batch) }
            CampaignStore.add(events, to: &batch)
            _ = try await batch.run(on: sql)
            if let source = c.sourceContactID {
                try await sql.update("tracing_contacts").set("status", to: TracingContact.Status.f1.rawValue)
                    .where("id", .equal, source.lower).run()
            }
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Records how long the case took from receipt to warnings queued.
    public func setWarningsQueued(case id: UUID, micros: Int64) async throws {
        try await database.write { sql in
            try await sql.update("tracing_cases").set("warnings_queued_micros", to: micros)
                .where("id", .equal, id.lower).run()
        }
    }

    static func values(_ c: TracingCase) -> [any SQLExpression] {
        [
            SQLBind(c.id.lower), SQLBind(c.level), SQLBind(c.personID?.description), SQLBind(c.phone),
            SQLBind(c.name), SQLBind(c.unitCode), SQLBind(c.windowStart.millisecondsSince1970),
            SQLBind(c.windowEnd.millisecondsSince1970), SQLBind(c.quarantineUntil?.millisecondsSince1970),
            SQLBind(c.sourceContactID?.lower), SQLBind(c.recordedBy), SQLBind(c.recordedAt.millisecondsSince1970),
            SQLBind(c.warningsQueuedMicros),
        ]
    }

    static func values(_ c: TracingContact) -> [any SQLExpression] {
        [
            SQLBind(c.id.lower), SQLBind(c.caseID.lower), SQLBind(c.checkInID.lower), SQLBind(c.caseCheckInID.lower),
            SQLBind(c.venueID.lower), SQLBind(c.personID?.description), SQLBind(c.phone), SQLBind(c.name),
            SQLBind(c.contactStart.millisecondsSince1970), SQLBind(c.contactEnd.millisecondsSince1970),
            SQLBind(c.overlapSeconds), SQLBind(c.status.rawValue), SQLBind(c.createdAt.millisecondsSince1970),
        ]
    }

    /// A case by id.
    public func tracingCase(id: UUID) async throws -> TracingCase? {
        try await database.read { sql in
            try await sql.select().columns(Self.caseColumns).from("tracing_cases").where("id", .equal, id.lower)
                .first().map(Self.tracingCase(from:))
        }
    }

    /// The F0 cases recorded since `since` (for the published risky venue list).
    public func confirmedCases(since: Date, limit: Int) async throws -> [TracingCase] {
        try await database.read { sql in
            try await sql.select().columns(Self.caseColumns).from("tracing_cases").where("level", .equal, "F0")
                .where("recorded_at", .greaterThanOrEqual, since.millisecondsSince1970)
                .orderBy("recorded_at").limit(limit).all().map(Self.tracingCase(from:))
        }
    }

    static func tracingCase(from row: any SQLRow) throws -> TracingCase {
        TracingCase(
            id: try row.uuid("id"),
            level: try row.decode(column: "level", as: String.self),
            personID: try row.decode(column: "person_id", as: String?.self).map(SQLPersonRepository.personID),
            phone: try row.decode(column: "phone", as: String?.self),
            name: try row.decode(column: "name", as: String.self),
            unitCode: try row.decode(column: "unit_code", as: String.self),
            windowStart: try row.date("window_start"),
            windowEnd: try row.date("window_end"),
            quarantineUntil: try row.decode(column: "quarantine_until", as: Int64?.self)
                .map(Date.init(millisecondsSince1970:)),
            sourceContactID: try row.decode(column: "source_contact_id", as: String?.self).flatMap(UUID.init),
            recordedBy: try row.decode(column: "recorded_by", as: String.self),
            recordedAt: try row.date("recorded_at"),
            warningsQueuedMicros: try row.decode(column: "warnings_queued_micros", as: Int64.self)
        )
    }

    /// A case's contacts, longest overlap first.
    public func contacts(case id: UUID, limit: Int) async throws -> [TracingContact] {
        try await database.read { sql in
            try await sql.select().columns(Self.contactColumns).from("tracing_contacts")
                .where("case_id", .equal, id.lower)
                .orderBy("overlap_seconds", .descending).orderBy("contact_start").orderBy("id").limit(limit).all()
                .map(Self.contact(from:))
        }
    }

    /// A contact by id.
    public func contact(id: UUID) async throws -> TracingContact? {
        try await database.read { sql in
            try await sql.select().columns(Self.contactColumns).from("tracing_contacts").where("id", .equal, id.lower)
                .first().map(Self.contact(from:))
        }
    }

    /// The warnings a person (or phone) received since `since`, newest first (the health book).
    public func warnings(person: Person.ID?, phone: String?, since: Date, limit: Int) async throws -> [TracingContact] {
        guard person != nil || phone != nil else { return [] }
        return try await database.read { sql in
            try await sql.select().columns(Self.contactColumns).from("tracing_contacts")
                .where("created_at", .greaterThanOrEqual, since.millisecondsSince1970)
                .where { group in
                    if let person { group.orWhere("person_id", .equal, person.description) }
                    if let phone { group.orWhere("phone", .equal, phone) }
                    return group
                }
                .orderBy("created_at", .descending).limit(limit).all().map(Self.contact(from:))
        }
    }

    static func contact(from row: any SQLRow) throws -> TracingContact {
        TracingContact(
            id: try row.uuid("id"),
            caseID: try row.uuid("case_id"),
            checkInID: try row.uuid("checkin_id"),
            caseCheckInID: try row.uuid("case_checkin_id"),
            venueID: try row.uuid("venue_id"),
            personID: try row.decode(column: "person_id", as: String?.self).map(SQLPersonRepository.personID),
            phone: try row.decode(column: "phone", as: String?.self),
            name: try row.decode(column: "name", as: String.self),
            contactStart: try row.date("contact_start"),
            contactEnd: try row.date("contact_end"),
            overlapSeconds: try row.decode(column: "overlap_seconds", as: Int64.self),
            status: TracingContact.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .candidate,
            createdAt: try row.date("created_at")
        )
    }
}
