import Foundation

/// Where the data lives, parsed from `DATABASE_URL`.
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    /// An embedded SQLite file.
    case sqliteFile(path: String)
    /// An embedded SQLite database in memory (tests, demos): gone when the process ends.
    case sqliteMemory
    /// A PostgreSQL server.
    case postgres(PostgresLocation)

    /// The parts of a `postgres://user:password@host:port/database?sslmode=…` URL.
    public struct PostgresLocation: Sendable, Equatable {
        /// Host name or address.
        public var host: String
        /// Port.
        public var port: Int
        /// User name.
        public var username: String
        /// Password, if any.
        public var password: String?
        /// Database name.
        public var database: String
        /// Whether TLS is required (`sslmode=require`).
        public var requireTLS: Bool
        /// The schema used for every connection (`?schema=`), for tests that need isolation.
        public var schema: String?
    }

    /// Parses `sqlite:///abs/path`, `sqlite://relative/path`, `sqlite::memory:` or `postgres://…`.
    public init(url: String) throws(DatabaseURLError) {
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            self = .sqliteMemory
            return
        }
        if url.hasPrefix("sqlite://") {
            let path = String(url.dropFirst("sqlite://".count))
            guard !path.isEmpty else { throw DatabaseURLError(url: url, reason: "the SQLite URL has no file path") }
            self = .sqliteFile(path: path)
            return
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
            let components = URLComponents(string: url)
        else {
            throw DatabaseURLError(
                url: url,
                reason:
                    "expected sqlite:///path/to/file, sqlite::memory: or postgres://user:password@host:port/database"
            )
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseURLError(url: url, reason: "the PostgreSQL URL has no host")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else {
            throw DatabaseURLError(url: url, reason: "the PostgreSQL URL has no database name")
        }
        let query = Dictionary(
            (components.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { $1 }
        )
        if let schema = query["schema"], !schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        {
            throw DatabaseURLError(url: url, reason: "the schema name may only hold letters, digits and _")
        }
        self = .postgres(
            PostgresLocation(
                host: host,
                port: components.port ?? 5432,
                username: components.user.flatMap { $0.removingPercentEncoding } ?? "postgres",
                password: components.password.flatMap { $0.removingPercentEncoding },
                database: database,
                requireTLS: ["require", "verify-ca", "verify-full"].contains(query["sslmode"] ?? ""),
                schema: query["schema"]
            )
        )
    }

    /// A description without the password, safe to log.
    public var description: String {
        switch self {
        case .sqliteFile(let path): "sqlite://\(path)"
        case .sqliteMemory: "sqlite::memory:"
        case .postgres(let location):
            "postgres://\(location.username)@\(location.host):\(location.port)/\(location.database)"
                + (location.schema.map { "?schema=\($0)" } ?? "")
        }
    }
}

/// A `DATABASE_URL` that cannot be used.
public struct DatabaseURLError: Error, CustomStringConvertible {
    /// The URL, without its password.
    public let url: String
    /// What is wrong.
    public let reason: String

    init(url: String, reason: String) {
        self.url = url.replacingOccurrences(of: #":[^:@/]*@"#, with: ":***@", options: .regularExpression)
        self.reason = reason
    }

    public var description: String { "DATABASE_URL \(url): \(reason)" }
}
