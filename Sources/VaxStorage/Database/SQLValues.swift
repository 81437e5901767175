import SQLKit

/// Lists of bound values in SQL.
enum SQLValues {
    /// `IN (…)`, one parameter per value, on SQLite; `= ANY(…)` with the values as one array parameter on
    /// PostgreSQL, which would otherwise parse and plan hundreds of parameters in each of the maintainer's
    /// reads.
    static func oneOf(_ values: [String], on sql: any SQLDatabase) -> any SQLExpression {
        if sql.dialect.name == "postgresql" { return "= ANY(\(bind: values))" as SQLQueryString }
        return "IN \(SQLGroupExpression(values.map { SQLBind($0) as any SQLExpression }))" as SQLQueryString
    }
}
