import SQLKit

extension VaxDatabase {
    /// Inserts many rows in one transaction, 500 to a statement: for synthetic data and benchmarks,
    /// which write raw records without the services' checks.
    public func bulkInsert(into table: String, columns: [String], rows: [[any Encodable & Sendable]]) async throws {
        guard !rows.isEmpty else { return }
        try await write { sql in
            var batch = WriteBatch()
            batch.insert(into: table, columns: columns, rows: rows.map { $0.map { SQLBind($0) } })
            _ = try await batch.run(on: sql)
        }
    }

    /// Rows of a query as text columns (for synthetic data that reads reference tables).
    public func textRows(_ query: String, columns: [String]) async throws -> [[String?]] {
        try await read { sql in
            try await sql.raw("\(unsafeRaw: query)").all().map { row in
                try columns.map { try row.decode(column: $0, as: String?.self) }
            }
        }
    }
}
