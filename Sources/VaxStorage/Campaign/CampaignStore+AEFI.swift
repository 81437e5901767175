import Foundation
import SQLKit
import VaxDomain

extension CampaignStore {
    static let aefiColumns = [
        "id", "person_id", "dose_id", "source", "unit_scheme", "province_code", "district_code", "commune_code",
        "onset_at", "events", "outcome", "death_on", "serious", "seriousness", "details", "stage", "investigate",
        "decision_note", "causality", "causality_note", "reported_by", "received_at", "updated_at",
    ]

    /// Stores a report with its notifications and event.
    public func insert(
        _ r: AEFIReport,
        notifications: [OfficialNotification],
        events: [OutboxEvent],
        audit: [AuditEntry]
    ) async throws {
        let encoder = JSONEncoder.sorted
        let eventsText = String(decoding: try encoder.encode(r.events), as: UTF8.self)
        let seriousness = String(decoding: try encoder.encode(r.seriousness), as: UTF8.self)
        try await database.write { sql in
            try await sql.insert(into: "aefi_reports").columns(Self.aefiColumns)
                .values(
                    SQLBind(r.id.lower),
                    SQLBind(r.personID.description),
                    SQLBind(r.doseID?.lower),
                    SQLBind(r.source),
                    SQLBind(r.address.scheme.rawValue),
                    SQLBind(r.address.provinceCode),
                    SQLBind(r.address.districtCode),
                    SQLBind(r.address.communeCode),
                    SQLBind(r.onsetAt.millisecondsSince1970),
                    SQLBind(eventsText),
                    SQLBind(r.outcome),
                    SQLBind(r.deathOn?.description),
                    SQLBind(r.serious ? 1 : 0),
                    SQLBind(seriousness),
                    SQLBind(r.details),
                    SQLBind(r.stage),
                    SQLBind(r.investigate.map { $0 ? 1 : 0 }),
                    SQLBind(r.decisionNote),
                    SQLBind(r.causality),
                    SQLBind(r.causalityNote),
                    SQLBind(r.reportedBy),
                    SQLBind(r.receivedAt.millisecondsSince1970),
                    SQLBind(r.updatedAt.millisecondsSince1970)
                ).run()
            try await Self.insert(notifications, on: sql)
            try await Self.insert(events, on: sql)
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// Moves a case from stage `from`, with its decision fields; a 409-worthy conflict when another
    /// decision came first.
    public func update(
        _ r: AEFIReport,
        from stage: String,
        notifications: [OfficialNotification],
        audit: [AuditEntry]
    ) async throws {
        try await database.write { sql in
            let changed = try await sql.update("aefi_reports").set("stage", to: r.stage)
                .set("investigate", to: r.investigate.map { $0 ? 1 : 0 }).set("decision_note", to: r.decisionNote)
                .set("causality", to: r.causality).set("causality_note", to: r.causalityNote)
                .set("updated_at", to: r.updatedAt.millisecondsSince1970)
                .where("id", .equal, r.id.lower).where("stage", .equal, stage).returning("id").all()
            guard !changed.isEmpty else {
                let current = try await sql.select().column("stage").from("aefi_reports").where(
                    "id",
                    .equal,
                    r.id.lower
                )
                .first()?.decode(column: "stage", as: String.self)
                throw CampaignStoreError.stageConflict(current: current ?? stage)
            }
            try await Self.insert(notifications, on: sql)
            try await AuditChain.append(audit, on: sql)
        }
    }

    /// A report by id.
    public func aefiReport(id: UUID) async throws -> AEFIReport? {
        try await database.read { sql in
            guard
                let row = try await sql.select().columns(Self.aefiColumns.map { SQLIdentifier($0) }).from(
                    "aefi_reports"
                )
                .where("id", .equal, id.lower).first()
            else { return nil }
            let decoder = JSONDecoder()
            guard let scheme = UnitScheme(rawValue: try row.decode(column: "unit_scheme", as: String.self)) else {
                throw StorageError.corruptRow("aefi_reports.unit_scheme")
            }
            return AEFIReport(
                id: try row.uuid("id"),
                personID: try row.personID("person_id"),
                doseID: try row.decode(column: "dose_id", as: String?.self).flatMap(UUID.init(uuidString:)),
                source: try row.decode(column: "source", as: String.self),
                address: Person.Address(
                    scheme: scheme,
                    provinceCode: try row.decode(column: "province_code", as: String.self),
                    districtCode: try row.decode(column: "district_code", as: String?.self),
                    communeCode: try row.decode(column: "commune_code", as: String.self),
                    street: nil
                ),
                onsetAt: try row.date("onset_at"),
                events: try decoder.decode(
                    [String].self,
                    from: Data(try row.decode(column: "events", as: String.self).utf8)
                ),
                outcome: try row.decode(column: "outcome", as: String.self),
                deathOn: try row.decode(column: "death_on", as: String?.self).flatMap { LocalDate(iso: $0) },
                serious: try row.decode(column: "serious", as: Int.self) == 1,
                seriousness: try decoder.decode(
                    [String].self,
                    from: Data(try row.decode(column: "seriousness", as: String.self).utf8)
                ),
                details: try row.decode(column: "details", as: String.self),
                stage: try row.decode(column: "stage", as: String.self),
                investigate: try row.decode(column: "investigate", as: Int?.self).map { $0 == 1 },
                decisionNote: try row.decode(column: "decision_note", as: String?.self),
                causality: try row.decode(column: "causality", as: String?.self),
                causalityNote: try row.decode(column: "causality_note", as: String?.self),
                reportedBy: try row.decode(column: "reported_by", as: String.self),
                receivedAt: try row.date("received_at"),
                updatedAt: try row.date("updated_at")
            )
        }
    }

    static func insert(_ notifications: [OfficialNotification], on sql: any SQLDatabase) async throws {
        for n in notifications {
            try await sql.insert(into: "notifications")
                .columns("id", "role", "unit_code", "kind", "subject_id", "message", "created_at")
                .values(
                    SQLBind(n.id.lower),
                    SQLBind(n.role),
                    SQLBind(n.unitCode),
                    SQLBind(n.kind),
                    SQLBind(n.subjectID),
                    SQLBind(n.message),
                    SQLBind(n.createdAt.millisecondsSince1970)
                ).run()
        }
    }

    /// The notifications for a role in a unit, newest first.
    public func notifications(role: String, unitCode: String, limit: Int) async throws -> [OfficialNotification] {
        try await database.read { sql in
            try await sql.select().columns("id", "role", "unit_code", "kind", "subject_id", "message", "created_at")
                .from("notifications").where("role", .equal, role).where("unit_code", .equal, unitCode)
                .orderBy("created_at", .descending).orderBy("id", .descending).limit(limit).all().map { row in
                    OfficialNotification(
                        id: try row.uuid("id"),
                        role: try row.decode(column: "role", as: String.self),
                        unitCode: try row.decode(column: "unit_code", as: String.self),
                        kind: try row.decode(column: "kind", as: String.self),
                        subjectID: try row.decode(column: "subject_id", as: String.self),
                        message: try row.decode(column: "message", as: String.self),
                        createdAt: try row.date("created_at")
                    )
                }
        }
    }
}
