import Foundation
import SQLKit
import Testing
import VaxDomain
import VaxStorage
import VaxTestSupport

@Suite struct AuditChainTests {
    func entries(_ count: Int) -> [AuditEntry] {
        (0..<count).map { index in
            AuditEntry(
                id: UUIDv7.make(),
                occurredAt: Date(timeIntervalSince1970: 1_795_000_000 + Double(index)),
                actor: "nurse-\(index % 3)",
                actorRole: "vaccinator",
                actorScope: "unit/19",
                action: "person.read",
                personID: Person.ID(UUIDv7.make()),
                reason: "check-in \(index)",
                requestID: "req-\(index)"
            )
        }
    }

    @Test(arguments: TestDatabase.engines)
    func anIntactChainVerifies(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            #expect(try await AuditChain.verify(database) == .intact(entries: 0))
            let audit = SQLAuditRepository(database: database)
            try await audit.record(entries(5))
            // Appenders racing each other still make one chain.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { try await audit.record(self.entries(3)) } }
                // Flushers racing each other and the appenders: each entry is chained exactly once.
                for _ in 0..<3 { group.addTask { try await AuditChain.flush(database, batch: 2) } }
                try await group.waitForAll()
            }
            #expect(try await AuditChain.verify(database, pageSize: 4) == .intact(entries: 23))
        }
    }

    @Test(arguments: TestDatabase.engines)
    func anAlteredRowIsDetected(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            try await SQLAuditRepository(database: database).record(entries(5))
            try await AuditChain.flush(database)  // PostgreSQL queues entries until they are chained
            try await database.write { sql in
                try await sql.update("audit_log").set("reason", to: "nothing to see").where("seq", .equal, 3).run()
            }
            guard case .broken(let seq, let reason) = try await AuditChain.verify(database) else {
                Issue.record("an altered row went unnoticed")
                return
            }
            #expect(seq == 3 && reason.contains("altered"))
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aDeletedRowIsDetected(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            try await SQLAuditRepository(database: database).record(entries(5))
            try await AuditChain.flush(database)  // PostgreSQL queues entries until they are chained
            try await database.write { sql in try await sql.delete(from: "audit_log").where("seq", .equal, 2).run() }
            #expect(try await AuditChain.verify(database) == .broken(seq: 2, reason: "entry 2 is missing (next is 3)"))
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aCutOffEndIsDetected(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            try await SQLAuditRepository(database: database).record(entries(5))
            try await AuditChain.flush(database)  // PostgreSQL queues entries until they are chained
            try await database.write { sql in
                try await sql.delete(from: "audit_log").where("seq", .greaterThan, 3).run()
            }
            guard case .broken(_, let reason) = try await AuditChain.verify(database) else {
                Issue.record("a truncated chain went unnoticed")
                return
            }
            #expect(reason.contains("removed"))
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aRewrittenChainTailIsDetected(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            try await SQLAuditRepository(database: database).record(entries(4))
            try await AuditChain.flush(database)  // PostgreSQL queues entries until they are chained
            // Someone swaps a row's fields and recomputes only that row's own hash: the next row
            // no longer links to it.
            try await database.write { sql in
                try await sql.update("audit_log").set("row_hash", to: String(repeating: "a", count: 64))
                    .where("seq", .equal, 2).run()
            }
            guard case .broken(let seq, _) = try await AuditChain.verify(database) else {
                Issue.record("a rewritten hash went unnoticed")
                return
            }
            #expect(seq == 2)
        }
    }
}
