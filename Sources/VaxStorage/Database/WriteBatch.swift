import SQLKit

/// Writes of one transaction that go to the server together. On PostgreSQL they are one statement
/// (each a data-modifying `WITH` part), so a busy write costs one round trip instead of one per table;
/// on SQLite, in process, they run one by one.
///
/// A batch may have a guard, an `UPDATE … RETURNING` that decides whether the change applies (an
/// appointment still in the expected state). `run` answers how many rows the guard touched; on
/// PostgreSQL the other parts ran anyway, so a caller that gets 0 must throw to roll the
/// transaction back (on SQLite they did not run).
struct WriteBatch {
    private(set) var guardUpdate: (any SQLExpression)?
    private(set) var statements: [any SQLExpression] = []
    /// Bound values so far: PostgreSQL takes at most 65,535 in one statement.
    private(set) var binds = 0

    init(guard update: (any SQLExpression)? = nil) {
        self.guardUpdate = update
    }

    /// Adds an insert of `rows` (nothing when there are none).
    mutating func insert(into table: String, columns: [String], rows: [[any SQLExpression]]) {
        guard !rows.isEmpty else { return }
        for start in stride(from: 0, to: rows.count, by: 500) {
            var insert = SQLInsert(table: SQLIdentifier(table))
            // Our own lower-case column names, unquoted: quoting each one on every call showed in profiles.
            insert.columns = [SQLRaw(columns.joined(separator: ", "))]
            insert.values = Array(rows[start..<min(start + 500, rows.count)])
            binds += insert.values.count * columns.count
            statements.append(insert)
        }
    }

    /// Adds any other statement (an `UPDATE` in SQL text).
    mutating func add(_ statement: any SQLExpression) {
        statements.append(statement)
    }

    /// Runs the batch; returns the rows the guard touched (1 without a guard).
    func run(on sql: any SQLDatabase) async throws -> Int {
        // A big batch (a list import) goes part by part: one statement would pass the bind limit,
        // and its round trips do not matter there.
        guard sql.dialect.name == "postgresql", binds <= 30_000 else {
            var touched = 1
            if let guardUpdate { touched = try await sql.raw(SQLQueryString([guardUpdate])).all().count }
            guard touched > 0 else { return 0 }
            for statement in statements { try await sql.raw(SQLQueryString([statement])).run() }
            return touched
        }
        var parts: [any SQLExpression] = []
        var query = "WITH "
        if let guardUpdate {
            query += "guarded AS (?)"
            parts.append(guardUpdate)
        }
        for (index, statement) in statements.enumerated() {
            query += (parts.isEmpty ? "" : ", ") + "part\(index) AS (?)"
            parts.append(statement)
        }
        if parts.isEmpty { return guardUpdate == nil ? 1 : 0 }
        query += guardUpdate == nil ? " SELECT 1 AS n" : " SELECT count(*) AS n FROM guarded"
        let row = try await sql.raw(SQLQueryString(query, parts)).first()
        return try row?.decode(column: "n", as: Int.self) ?? 0
    }
}

extension SQLQueryString {
    /// SQL text whose `?` placeholders are the given expressions, in order.
    fileprivate init(_ text: String, _ expressions: [any SQLExpression]) {
        self.init("")
        var remaining = expressions[...]
        for (index, piece) in text.split(separator: "?", omittingEmptySubsequences: false).enumerated() {
            if index > 0, let next = remaining.popFirst() { appendInterpolation(next) }
            appendLiteral(String(piece))
        }
    }

    fileprivate init(_ expressions: [any SQLExpression]) {
        self.init("?", expressions)
    }
}
