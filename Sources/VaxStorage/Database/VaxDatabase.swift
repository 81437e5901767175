import Foundation
import Logging
import Metrics
import NIOPosix
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit
import SQLiteKit
import ServiceLifecycle
import Synchronization

/// The two engines Vaxtrace stores data in.
public enum DatabaseEngine: String, Sendable, CaseIterable {
    /// Embedded SQLite: development, demos, a single facility.
    case sqlite
    /// PostgreSQL: production.
    case postgres
}

/// The application's database: one SQLKit interface over SQLite or PostgreSQL.
///
/// `read` runs queries outside a transaction; `write` runs its body in one transaction, committed
/// when the body returns and rolled back when it throws, on both engines.
public final class VaxDatabase: Sendable {
    /// The engine.
    public let engine: DatabaseEngine
    /// Where the data lives (no password).
    public let location: DatabaseLocation
    /// Long-running parts that must run while the database is used: the PostgreSQL pool, or the
    /// SQLite connections, which they close at graceful shutdown.
    public let services: [any Service]

    private let backend: any DatabaseBackend
    private let inUse: Meter
    private let logger: Logger

    private init(location: DatabaseLocation, backend: any DatabaseBackend, services: [any Service], logger: Logger) {
        self.engine = backend.engine
        self.location = location
        self.backend = backend
        self.services = services
        self.logger = logger
        self.inUse = Meter(label: "vaxtrace_db_operations_in_flight", dimensions: [("engine", backend.engine.rawValue)])
        Gauge(label: "vaxtrace_db_pool_connections", dimensions: [("engine", backend.engine.rawValue)])
            .record(backend.connections)
    }

    /// Opens the database. For PostgreSQL the returned `services` must be run (e.g. in a ServiceGroup).
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> VaxDatabase {
        switch location {
        case .sqliteMemory:
            let backend = try await SQLiteBackend.open(path: nil, logger: logger)
            return VaxDatabase(location: location, backend: backend, services: [backend], logger: logger)
        case .sqliteFile(let path):
            let backend = try await SQLiteBackend.open(path: path, logger: logger)
            return VaxDatabase(location: location, backend: backend, services: [backend], logger: logger)
        case .postgres(let postgres):
            let backend = PostgresBackend(location: postgres, logger: logger)
            return VaxDatabase(location: location, backend: backend, services: [backend], logger: logger)
        }
    }

    /// Opens the database, runs its services while `body` runs, then closes it (for commands and tests).
    public static func withDatabase<T: Sendable>(
        _ location: DatabaseLocation,
        logger: Logger,
        _ body: @Sendable (VaxDatabase) async throws -> T
    ) async throws -> T {
        let database = try await open(location, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for service in database.services {
                group.addTask { try await service.run() }
            }
            do {
                let result = try await body(database)
                group.cancelAll()
                try await database.close()
                return result
            } catch {
                group.cancelAll()
                try? await database.close()
                throw error
            }
        }
    }

    /// Runs queries outside a transaction.
    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        inUse.increment()
        defer { inUse.decrement() }
        return try await backend.read(body)
    }

    /// Runs queries outside a transaction for background work that reads a lot (finding pending events,
    /// working out rollups): on SQLite on a connection and a thread of its own, so that a long scan never
    /// keeps a request's read waiting for a connection or a thread. On PostgreSQL, as `read`.
    public func backgroundRead<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        inUse.increment()
        defer { inUse.decrement() }
        return try await backend.backgroundRead(body)
    }

    /// Runs `body` in one transaction: everything or nothing.
    public func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        inUse.increment()
        defer { inUse.decrement() }
        return try await backend.transaction(body)
    }

    /// Checks that the database answers.
    public func ping() async throws {
        try await read { database in try await database.raw("SELECT 1 AS one").run() }
    }

    /// Closes connections (SQLite); the PostgreSQL pool closes when its service ends.
    public func close() async throws {
        try await backend.close()
    }
}

// MARK: - Backends

protocol DatabaseBackend: Sendable {
    var engine: DatabaseEngine { get }
    /// The most connections the backend opens.
    var connections: Int { get }
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    func backgroundRead<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    func close() async throws
}

/// SQLite: one writer connection, used by one transaction at a time, and reader connections (WAL)
/// for files. An in-memory database has a single connection, so its reads queue behind writes.
/// As a Service it closes the connections at graceful shutdown (after the HTTP server has stopped).
final class SQLiteBackend: DatabaseBackend, Service {
    let engine = DatabaseEngine.sqlite
    private let closed = Atomic<Bool>(false)
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    /// For files: a connection that copies the WAL into the database file in the background, so that
    /// the writer (and every request queued behind it) rarely pays a checkpoint's writes and fsync.
    private let checkpointer: SQLiteConnection?
    /// For files: the connection `backgroundRead` uses.
    private let background: SQLiteConnection?
    private let writeLock = AsyncLock()
    private let nextReader = ManagedCounter()

    /// The checkpointer's own thread: on the shared pool (one thread per core) a checkpoint's fsync
    /// would hold a thread the writer and readers need.
    private static let checkpointThread: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()

    /// For files, the threads of this database's own: the writer's (on the shared pool two slow reads, a
    /// dashboard or a background scan, would hold both threads, and every write, a nurse's dose among
    /// them, would wait for a thread as well as for the writer) and the background reader's. Not shared
    /// with another database: a write of one waiting out a lock would hold the thread another needs.
    private let threads: [NIOThreadPool]

    private init(
        writer: SQLiteConnection,
        readers: [SQLiteConnection],
        background: SQLiteConnection?,
        checkpointer: SQLiteConnection?,
        threads: [NIOThreadPool]
    ) {
        self.writer = writer
        self.readers = readers
        self.background = background
        self.checkpointer = checkpointer
        self.threads = threads
    }

    private static func thread() -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }

    static func open(path: String?, logger: Logger) async throws -> SQLiteBackend {
        if let path {
            // SQLite creates the file but not its folder (the default is under ./var/).
            try FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
        }
        let storage: SQLiteConnection.Storage = path.map { .file(path: $0) } ?? .memory
        // A file's writer has a thread of its own; an in-memory database (tests) has one connection, on
        // the shared pool.
        let threads = path == nil ? [] : [thread(), thread()]
        let writer = try await SQLiteConnection.open(
            storage: storage,
            threadPool: threads.first ?? .singleton,
            logger: logger,
            on: MultiThreadedEventLoopGroup.singleton.any()
        )
        // A 64 MiB page cache per connection (SQLite's default is 2 MiB): the registry's indexes of a
        // province (1.3 M people) stay in memory, which keeps bulk loads and look-ups fast.
        let pragmas = [
            "PRAGMA foreign_keys = ON", "PRAGMA busy_timeout = 5000", "PRAGMA synchronous = NORMAL",
            "PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY",
        ]
        // busy_timeout first: switching to WAL needs a lock another process may hold.
        for pragma in ["PRAGMA busy_timeout = 5000"] + (path == nil ? [] : ["PRAGMA journal_mode = WAL"]) + pragmas {
            try await writer.sql().raw(SQLQueryString(pragma)).run()
        }
        var readers: [SQLiteConnection] = []
        var background: SQLiteConnection?
        var checkpointer: SQLiteConnection?
        if let path {
            // The writer checkpoints only if the background falls far behind (16 MiB of WAL).
            try await writer.sql().raw("PRAGMA wal_autocheckpoint = 4000").run()
            let connection = try await SQLiteConnection.open(
                storage: .file(path: path),
                threadPool: checkpointThread,
                logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any()
            )
            try await connection.sql().raw("PRAGMA busy_timeout = 5000").run()
            checkpointer = connection
            for _ in 0..<2 {
                let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
                for pragma in pragmas + ["PRAGMA query_only = ON"] {
                    try await reader.sql().raw(SQLQueryString(pragma)).run()
                }
                readers.append(reader)
            }
            let reader = try await SQLiteConnection.open(
                storage: .file(path: path),
                threadPool: threads[1],
                logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any()
            )
            for pragma in pragmas + ["PRAGMA query_only = ON"] {
                try await reader.sql().raw(SQLQueryString(pragma)).run()
            }
            background = reader
        }
        return SQLiteBackend(
            writer: writer,
            readers: readers,
            background: background,
            checkpointer: checkpointer,
            threads: threads
        )
    }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard !readers.isEmpty else {
            return try await writeLock.withLock { try await body(self.writer.sql(queryLogLevel: nil)) }
        }
        let reader = readers[nextReader.next() % readers.count]
        return try await body(reader.sql(queryLogLevel: nil))
    }

    func backgroundRead<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        guard let background else { return try await read(body) }
        return try await body(background.sql(queryLogLevel: nil))
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writeLock.withLock {
            let database = self.writer.sql(queryLogLevel: nil)
            try await database.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(database)
                try await database.raw("COMMIT").run()
                return result
            } catch {
                try? await database.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    var connections: Int { 1 + readers.count + (background == nil ? 0 : 1) + (checkpointer == nil ? 0 : 1) }

    func run() async throws {
        if let checkpointer {
            // A passive checkpoint never blocks the writer; it copies what readers no longer need.
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    _ = try? await checkpointer.sql(queryLogLevel: nil).raw("PRAGMA wal_checkpoint(PASSIVE)").all()
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        try await close()
    }

    func close() async throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if let checkpointer { try await Self.closeIgnoringCancellation(checkpointer) }
        // The future-returning close: the async one skips its work when the calling task is
        // cancelled (as a service's is at shutdown), which would leave the connection open.
        for reader in readers { try await Self.closeIgnoringCancellation(reader) }
        if let background { try await Self.closeIgnoringCancellation(background) }
        try await writeLock.withLock { try await Self.closeIgnoringCancellation(self.writer) }
        for thread in threads { try await thread.shutdownGracefully() }
    }

    private static func closeIgnoringCancellation(_ connection: SQLiteConnection) async throws {
        let closing: EventLoopFuture<Void> = connection.close()
        try await closing.get()
    }
}

/// PostgreSQL through PostgresNIO's `PostgresClient` pool, which runs as a Service.
final class PostgresBackend: DatabaseBackend, Service {
    let engine = DatabaseEngine.postgres
    private let client: PostgresClient
    private let logger: Logger
    static let maximumConnections = 16
    let connections = PostgresBackend.maximumConnections
    /// Queries wait for `run()` to have started the pool instead of racing it.
    private let started = StartSignal()

    init(location: DatabaseLocation.PostgresLocation, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: location.host,
            port: location.port,
            username: location.username,
            password: location.password,
            database: location.database,
            tls: location.requireTLS ? .require(.makeClientConfiguration()) : .disable
        )
        configuration.options.maximumConnections = Self.maximumConnections
        if let schema = location.schema {
            configuration.options.additionalStartupParameters = [("search_path", schema)]
        }
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.client.run() }
                group.addTask { self.started.signal() }
            }
        }
    }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        await started.wait()
        return try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    func backgroundRead<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await read(body)
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        await started.wait()
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await body(connection.sql(queryLogLevel: nil))
            }
        } catch let error as PostgresTransactionError {
            // The body's own error is what callers act on (as on SQLite); keep the wrapper only when
            // the transaction machinery itself failed.
            if let closureError = error.closureError, error.rollbackError == nil, error.beginError == nil {
                throw closureError
            }
            throw error
        }
    }

    func close() async throws {}
}

// MARK: - Small concurrency helpers

/// A first-in-first-out async mutex: holds the SQLite writer for one transaction at a time.
actor AsyncLock {
    private var isLocked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await lock()
        do {
            let result = try await body()
            unlock()
            return result
        } catch {
            unlock()
            throw error
        }
    }

    private func lock() async {
        if !isLocked {
            isLocked = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func unlock() {
        if waiters.isEmpty {
            isLocked = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// A one-shot signal: `wait()` returns once `signal()` has been called.
final class StartSignal: Sendable {
    private let state = Mutex<(signalled: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func signal() {
        let waiters = state.withLock { state in
            state.signalled = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        if state.withLock({ $0.signalled }) { return }  // the usual case: no suspension
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                if !state.signalled { state.waiters.append(continuation) }
                return state.signalled
            }
            if ready { continuation.resume() }
        }
    }
}

/// A counter shared between tasks, for round-robin choice of a reader connection.
final class ManagedCounter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).newValue & Int.max
    }
}
