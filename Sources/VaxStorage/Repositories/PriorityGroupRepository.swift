import SQLKit
import VaxDomain

/// The priority groups in force.
public protocol PriorityGroupRepository: Sendable {
    /// The codes of the groups valid on `date`.
    func codes(validOn date: LocalDate) async throws -> Set<Int>
}

/// The SQLKit implementation, for both engines.
public struct SQLPriorityGroupRepository: PriorityGroupRepository {
    private let database: VaxDatabase

    /// A repository over the database.
    public init(database: VaxDatabase) {
        self.database = database
    }

    public func codes(validOn date: LocalDate) async throws -> Set<Int> {
        let day = date.description
        return Set(
            try await database.read { sql in
                try await sql.select().column("code").from("priority_groups")
                    .where("valid_from", .lessThanOrEqual, day)
                    .where(group: {
                        $0.where("valid_to", .is, SQLLiteral.null).orWhere("valid_to", .greaterThanOrEqual, day)
                    })
                    .all(decodingColumn: "code", as: Int.self)
            }
        )
    }

    /// The groups valid on `date` with their Vietnamese and English names, by code (for forms).
    public func names(validOn date: LocalDate) async throws -> [(code: Int, vietnamese: String, english: String)] {
        let day = date.description
        return try await database.read { sql in
            try await sql.select().columns("code", "name_vi", "name_en").from("priority_groups")
                .where("valid_from", .lessThanOrEqual, day)
                .where(group: {
                    $0.where("valid_to", .is, SQLLiteral.null).orWhere("valid_to", .greaterThanOrEqual, day)
                })
                .orderBy("code")
                .all()
                .map {
                    (
                        try $0.decode(column: "code", as: Int.self),
                        try $0.decode(column: "name_vi", as: String.self),
                        try $0.decode(column: "name_en", as: String.self)
                    )
                }
        }
    }
}
