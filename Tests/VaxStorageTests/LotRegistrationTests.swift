import Foundation
import SQLKit
import Testing
import VaxDomain
import VaxTestSupport

@testable import VaxStorage

@Suite struct LotRegistrationTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)

    @Test(arguments: TestDatabase.engines)
    func sitesRegisteringOneNewLotAtOnceBothSucceedAndAnotherExpiryIsRefused(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            let expiry = LocalDate(iso: "2022-03-31")!
            // Eight transactions register the same new lot at once: none fails (on PostgreSQL the
            // insert waits for the first one's row and yields to it).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await database.write { sql in
                            try await CampaignStore.registerLot(
                                product: "COMIRNATY",
                                number: "FK1234",
                                expiry: expiry,
                                at: self.now,
                                on: sql
                            )
                        }
                    }
                }
                try await group.waitForAll()
            }
            let count = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM vaccine_lots").first(decodingColumn: "n", as: Int.self)
            }
            #expect(count == 1)
            // A known lot with another expiry is refused, from the database and then from the cache.
            let cache = LotCache()
            for _ in 0..<2 {
                await #expect(throws: CampaignStoreError.lotExpiryMismatch(known: expiry)) {
                    try await database.write { sql in
                        try await CampaignStore.registerLot(
                            product: "COMIRNATY",
                            number: "FK1234",
                            expiry: LocalDate(iso: "2022-04-30")!,
                            at: self.now,
                            cache: cache,
                            on: sql
                        )
                    }
                }
            }
            #expect(cache.expiry(product: "COMIRNATY", lot: "FK1234") == expiry)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func aBatchWhoseGuardMissesWritesNothing(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: []) { database in
            @Sendable func batch(guardMatches: Bool) -> WriteBatch {
                var batch = WriteBatch(
                    guard: SQLQueryString(
                        "UPDATE audit_chain_head SET seq = seq WHERE id = \(bind: guardMatches ? 1 : 2) RETURNING id"
                    )
                )
                batch.insert(
                    into: "vaccine_lots",
                    columns: ["product_code", "lot_number", "expiry", "created_at"],
                    rows: [
                        [SQLBind("VAXZEVRIA"), SQLBind(guardMatches ? "A1" : "B2"), SQLBind("2022-01-31"), SQLBind(0)]
                    ]
                )
                return batch
            }
            struct Stale: Error {}
            await #expect(throws: Stale.self) {
                try await database.write { sql in
                    if try await batch(guardMatches: false).run(on: sql) == 0 { throw Stale() }
                }
            }
            let touched = try await database.write { sql in try await batch(guardMatches: true).run(on: sql) }
            #expect(touched == 1)
            let lots = try await database.read { sql in
                try await sql.raw("SELECT lot_number FROM vaccine_lots").all(
                    decodingColumn: "lot_number",
                    as: String.self
                )
            }
            #expect(lots == ["A1"])
        }
    }
}
