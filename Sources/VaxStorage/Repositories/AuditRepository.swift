import Foundation
import SQLKit
import VaxDomain

/// One row of the audit trail: who looked at or changed which person, when, and why.
public struct AuditEntry: Sendable, Equatable {
    /// The entry's id (UUIDv7).
    public var id: UUID
    /// When it happened.
    public var occurredAt: Date
    /// Who: the account or token subject.
    public var actor: String
    /// In which role.
    public var actorRole: String
    /// In which scope (`unit/19`, `facility/…`, `*`).
    public var actorScope: String
    /// What: `person.read`, `person.search`, `person.create`, `person.merge`.
    public var action: String
    /// Which person, if one.
    public var personID: Person.ID?
    /// Why: the purpose the caller gave.
    public var reason: String
    /// The request id, to join with the logs.
    public var requestID: String

    /// An audit entry.
    public init(
        id: UUID,
        occurredAt: Date,
        actor: String,
        actorRole: String,
        actorScope: String,
        action: String,
        personID: Person.ID?,
        reason: String,
        requestID: String
    ) {
        self.id = id
        self.occurredAt = occurredAt
        self.actor = actor
        self.actorRole = actorRole
        self.actorScope = actorScope
        self.action = action
        self.personID = personID
        self.reason = reason
        self.requestID = requestID
    }

    /// The same entry about another person, with its own id.
    public func about(_ person: Person.ID?, id: UUID) -> AuditEntry {
        var copy = self
        copy.id = id
        copy.personID = person
        return copy
    }
}

/// The append-only, hash-chained audit trail (see `AuditChain`).
public protocol AuditRepository: Sendable {
    /// Appends entries.
    func record(_ entries: [AuditEntry]) async throws
    /// The entries about a person, oldest first.
    func entries(about person: Person.ID) async throws -> [AuditEntry]
    /// Entries matching a filter, newest first, with their sequence numbers.
    func search(_ filter: AuditFilter) async throws -> [(seq: Int64, entry: AuditEntry)]
}

/// What the data-protection officer's audit view asks for; every field narrows the result.
public struct AuditFilter: Sendable, Equatable {
    /// Entries about this person.
    public var personID: Person.ID?
    /// Entries by this actor (account id or token subject).
    public var actor: String?
    /// Entries of this action (`person.read`, `auth.sign_in`).
    public var action: String?
    /// Entries at or after.
    public var from: Date?
    /// Entries before.
    public var to: Date?
    /// Entries with a sequence number below this (the next page).
    public var beforeSeq: Int64?
    /// At most this many.
    public var limit: Int

    /// A filter.
    public init(
        personID: Person.ID? = nil,
        actor: String? = nil,
        action: String? = nil,
        from: Date? = nil,
        to: Date? = nil,
        beforeSeq: Int64? = nil,
        limit: Int = 100
    ) {
        self.personID = personID
        self.actor = actor
        self.action = action
        self.from = from
        self.to = to
        self.beforeSeq = beforeSeq
        self.limit = limit
    }
}

/// The SQLKit implementation, for both engines.
public struct SQLAuditRepository: AuditRepository {
    private let database: VaxDatabase

    /// A repository over the database.
    public init(database: VaxDatabase) {
        self.database = database
    }

    public func record(_ entries: [AuditEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await database.write { sql in try await Self.insert(entries, on: sql) }
    }

    public func entries(about person: Person.ID) async throws -> [AuditEntry] {
        try await AuditChain.flush(database)
        return try await database.read { sql in
            try await sql.select().columns(AuditRepositoryColumns.all.map { SQLIdentifier($0) }).from("audit_log")
                .where("person_id", .equal, person.description).orderBy("seq").all().map(Self.entry(from:))
        }
    }

    public func search(_ filter: AuditFilter) async throws -> [(seq: Int64, entry: AuditEntry)] {
        try await AuditChain.flush(database)
        let rows = try await database.read { sql in
            let query = sql.select().columns((["seq"] + AuditRepositoryColumns.all).map { SQLIdentifier($0) })
                .from("audit_log")
            if let person = filter.personID { query.where("person_id", .equal, person.description) }
            if let actor = filter.actor { query.where("actor", .equal, actor) }
            if let action = filter.action { query.where("action", .equal, action) }
            if let from = filter.from { query.where("occurred_at", .greaterThanOrEqual, from.millisecondsSince1970) }
            if let to = filter.to { query.where("occurred_at", .lessThan, to.millisecondsSince1970) }
            if let before = filter.beforeSeq { query.where("seq", .lessThan, before) }
            return try await query.orderBy("seq", .descending).limit(filter.limit).all()
        }
        return try rows.map { row in (try row.decode(column: "seq", as: Int64.self), try Self.entry(from: row)) }
    }

    /// Appends entries inside a caller's transaction, so an audited change and its entry land together.
    static func insert(_ entries: [AuditEntry], on sql: any SQLDatabase) async throws {
        try await AuditChain.append(entries, on: sql)
    }

    static func entry(from row: any SQLRow) throws -> AuditEntry {
        AuditEntry(
            id: UUID(uuidString: try row.decode(column: "id", as: String.self)) ?? UUID(),
            occurredAt: Date(millisecondsSince1970: try row.decode(column: "occurred_at", as: Int64.self)),
            actor: try row.decode(column: "actor", as: String.self),
            actorRole: try row.decode(column: "actor_role", as: String.self),
            actorScope: try row.decode(column: "actor_scope", as: String.self),
            action: try row.decode(column: "action", as: String.self),
            personID: try row.decode(column: "person_id", as: String?.self).flatMap(Person.ID.init),
            reason: try row.decode(column: "reason", as: String.self),
            requestID: try row.decode(column: "request_id", as: String.self)
        )
    }
}

extension Date {
    /// Milliseconds since 1970, as instants are stored.
    public var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    /// The instant `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
