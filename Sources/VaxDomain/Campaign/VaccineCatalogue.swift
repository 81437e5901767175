import Foundation

/// Why a dose is given: part of the primary series, an additional dose for the immunocompromised, or a
/// booster after the primary series.
public enum DoseKind: String, Codable, Sendable, CaseIterable {
    /// A dose of the primary series (mũi cơ bản).
    case primary
    /// An additional dose for the immunocompromised, at least 28 days after the primary series (mũi bổ sung).
    case additional
    /// A booster after the primary series (mũi nhắc lại).
    case booster
}

/// The interval before one primary dose, counted in days from the previous dose.
public struct DoseInterval: Codable, Sendable, Hashable {
    /// The earliest day the dose may be given; an earlier dose is refused.
    public let minimumDays: Int
    /// The day the dose is recommended; used for the next due date.
    public let recommendedDays: Int
    /// The latest recommended day, if any; a later dose is still allowed (late is not refused).
    public let maximumDays: Int?

    /// An interval.
    public init(minimumDays: Int, recommendedDays: Int, maximumDays: Int?) {
        self.minimumDays = minimumDays
        self.recommendedDays = recommendedDays
        self.maximumDays = maximumDays
    }
}

/// A COVID-19 vaccine used in Vietnam, with its EU Digital COVID Certificate codes and its primary series.
public struct VaccineProduct: Codable, Sendable, Hashable {
    /// Our stable code, e.g. `astrazeneca`, `pfizer`, `moderna`, `sinopharm`, `sputnik-v`, `janssen`,
    /// `hayat-vax`, `abdala`.
    public let code: String
    /// The display name, e.g. `AstraZeneca (Vaxzevria, Covishield)`.
    public let name: String
    /// The EU DCC medicinal product (`mp`), e.g. `EU/1/21/1529`.
    public let medicinalProduct: String
    /// The EU DCC marketing-authorisation holder or manufacturer (`ma`), e.g. `ORG-100001699`.
    public let manufacturer: String
    /// The EU DCC vaccine or prophylaxis (`vp`), `J07BX03` for all COVID-19 vaccines here.
    public let prophylaxis: String
    /// The number of doses in the primary series.
    public let primaryDoses: Int
    /// `intervals[i]` is the interval before primary dose `i + 2`; there are `primaryDoses - 1` of them.
    public let intervals: [DoseInterval]

    /// The name without its parenthesised brand names: the text before ` (`, e.g. `AstraZeneca`,
    /// `Pfizer-BioNTech`, `Sinopharm Vero Cell`.
    public var shortName: String {
        if let range = name.range(of: " (") {
            return String(name[..<range.lowerBound])
        }
        return name
    }
}

/// Which products may follow a product in a primary series, besides the same product.
public struct MixingRule: Codable, Sendable, Hashable {
    /// The product of the previous dose.
    public let after: String
    /// The other products that may be given as the next primary dose.
    public let allowed: [String]
}

/// The vaccines, their intervals and the mixing and booster rules, kept as data (the bundled
/// `campaign/vaccines.json`) rather than code.
public struct VaccineCatalogue: Codable, Sendable {
    /// The products, in the order of the catalogue.
    public let products: [VaccineProduct]
    /// Which product may follow which in a primary series (besides the same product); a product without a
    /// rule may only be followed by itself.
    public let mixing: [MixingRule]
    /// Days from the last dose to the earliest booster: 90 (the later three-month rule; six months in 2021).
    public let boosterMinimumDays: Int
    /// Days from the last primary dose to the earliest additional dose: 28.
    public let additionalMinimumDays: Int

    /// The catalogue bundled with VaxDomain (`Resources/campaign/vaccines.json`).
    public static let standard: VaccineCatalogue = {
        guard let url = Bundle.module.url(forResource: "vaccines", withExtension: "json", subdirectory: "campaign"),
            let data = try? Data(contentsOf: url)
        else { fatalError("VaxDomain's bundled campaign/vaccines.json is missing") }
        do {
            return try VaccineCatalogue(json: data)
        } catch {
            fatalError("VaxDomain's bundled campaign/vaccines.json is broken: \(error)")
        }
    }()

    /// Decodes a catalogue from JSON and checks that it is consistent: unique product codes, one interval
    /// fewer than the primary doses, sensible day counts, and mixing rules that name known products.
    public init(json: Data) throws {
        self = try JSONDecoder().decode(VaccineCatalogue.self, from: json)
        var seen: Set<String> = []
        for product in products {
            guard !product.code.isEmpty, seen.insert(product.code).inserted else {
                throw Self.inconsistent("product code \"\(product.code)\" is empty or repeated")
            }
            guard product.primaryDoses >= 1, product.intervals.count == product.primaryDoses - 1 else {
                throw Self.inconsistent("\(product.code) needs \(product.primaryDoses - 1) intervals")
            }
            for interval in product.intervals {
                guard interval.minimumDays >= 1, interval.recommendedDays >= interval.minimumDays,
                    (interval.maximumDays ?? interval.recommendedDays) >= interval.recommendedDays
                else { throw Self.inconsistent("\(product.code) has an interval out of order") }
            }
        }
        for rule in mixing {
            guard seen.contains(rule.after), rule.allowed.allSatisfy(seen.contains) else {
                throw Self.inconsistent("the mixing rule after \(rule.after) names an unknown product")
            }
        }
        guard boosterMinimumDays >= 1, additionalMinimumDays >= 1 else {
            throw Self.inconsistent("booster and additional intervals must be positive")
        }
    }

    /// The product with this code, or `nil`.
    public func product(_ code: String) -> VaccineProduct? {
        products.first { $0.code == code }
    }

    /// Whether a primary dose of `next` may follow a dose of `previous`: always for the same product,
    /// otherwise when a mixing rule allows it.
    public func mayFollow(_ next: String, after previous: String) -> Bool {
        if next == previous { return product(next) != nil }
        return mixing.contains { $0.after == previous && $0.allowed.contains(next) }
    }

    private static func inconsistent(_ description: String) -> DecodingError {
        DecodingError.dataCorrupted(
            DecodingError.Context(codingPath: [], debugDescription: "vaccine catalogue: " + description)
        )
    }
}
