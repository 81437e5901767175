import Foundation
import VaxDomain
import VaxStorage

/// The demo data `make run` loads into an empty database: people of Thái Nguyên (province 19).
public enum DemoData {
    /// How many demo people.
    public static let count = 200

    /// Loads the demo people; returns how many.
    @discardableResult
    public static func seed(into people: any PersonRepository, units: any AdminUnitRepository) async throws -> Int {
        let communes = try await units.children(scheme: .tier2of2025, code: "19").map { ("19", $0.code) }
        guard !communes.isEmpty else { return 0 }
        let generator = SyntheticPeople(communes: communes)
        try await people.insertBatch((0..<count).map(generator.person))
        return count
    }
}
