import Foundation
import SQLKit
import Testing
import VaxDomain
import VaxStorage
import VaxTestSupport

@Suite struct AdminUnitTests {
    @Test(arguments: TestDatabase.engines)
    func importsTheWholeCountryIdempotently(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: nil) { database in
            let second = try await ReferenceDataImporter().importAll(into: database)
            #expect(second.units["2021 province"] == 63)
            #expect(second.units["2021 commune"] == 10_051)
            #expect(second.units["2025 province"] == 34)
            #expect(second.units["2025 commune"] == 3321)
            #expect(second.priorityGroups == 16)
            let count = try await database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM admin_units").first(decodingColumn: "n", as: Int.self)
            }
            let expected = second.units.values.reduce(0, +)
            #expect(count == expected)
            let units = SQLAdminUnitRepository(database: database)
            #expect(try await units.provinces(scheme: .tier3of2021).count == 63)
            #expect(try await units.provinces(scheme: .tier2of2025).count == 34)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func thaiNguyen(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let units = SQLAdminUnitRepository(database: database)
            let districts = try await units.children(scheme: .tier3of2021, code: "19")
            #expect(districts.count == 9)
            #expect(districts.map(\.code).allSatisfy { ("164"..."173").contains($0) })
            let communes2021 = try await districts.asyncFlatMap {
                try await units.children(scheme: .tier3of2021, code: $0.code)
            }
            #expect(communes2021.count == 172)
            #expect(try await units.children(scheme: .tier2of2025, code: "19").count == 92)
            #expect(try await units.unit(scheme: .tier3of2021, code: "169")?.name == "Huyện Đồng Hỷ")
            #expect(try await units.unit(scheme: .tier2of2025, code: "169") == nil)
            // The new Thái Nguyên took in Bắc Kạn (06): its 2021 units load with province 19.
            #expect(try await units.provinces(scheme: .tier3of2021).map(\.code) == ["06", "19"])
            let fromBacKan = try await units.conversions(oldCommuneCode: "01834")
            #expect(fromBacKan.first?.newProvinceCode == "19")
            #expect(fromBacKan.first?.oldCommuneName == "Phường Nguyễn Thị Minh Khai")
        }
    }

    @Test(arguments: TestDatabase.engines)
    func searchIgnoresDiacritics(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine) { database in
            let units = SQLAdminUnitRepository(database: database)
            let found = try await units.search("dong hy", scheme: nil, level: nil, limit: 20)
            #expect(found.contains { $0.name == "Huyện Đồng Hỷ" && $0.scheme == .tier3of2021 })
            let withMarks = try await units.search("Đồng Hỷ", scheme: .tier3of2021, level: .district, limit: 20)
            #expect(withMarks.map(\.code) == ["169"])
            #expect(try await units.search("   ", scheme: nil, level: nil, limit: 20).isEmpty)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func convertsOldCommunes(engine: DatabaseEngine) async throws {
        try await TestDatabase.withDatabase(engine, provinces: ["01", "19"]) { database in
            let units = SQLAdminUnitRepository(database: database)
            // Phường Ngọc Hà (Hà Nội) was split: part went to Ba Đình, part stayed in Ngọc Hà.
            let split = try await units.conversions(oldCommuneCode: "00016")
            #expect(split.count > 1)
            #expect(split.contains { $0.newCommuneCode == "00004" && $0.kind == .partial })
            #expect(split.allSatisfy { $0.oldCommuneName == "Phường Ngọc Hà" })
            let whole = try await units.conversions(oldCommuneCode: "05713")
            #expect(whole.map(\.newCommuneCode) == ["05710"])
            #expect(whole.first?.kind == .whole)
            #expect(try await units.conversions(oldCommuneCode: "99999").isEmpty)
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncFlatMap<T>(_ transform: (Element) async throws -> [T]) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result += try await transform(element) }
        return result
    }
}
