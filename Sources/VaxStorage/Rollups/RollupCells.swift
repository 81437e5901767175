import Foundation
import VaxDomain

/// A rollup table: text key columns and one count, `n`.
public enum RollupTable: String, CaseIterable, Sendable {
    /// Doses at the grain: day × commune × facility × product × kind × dose × group × sex × age band.
    case doses = "rollup_doses"
    /// Per dashboard unit: doses by day and dose number (doses per day, coverage by unit).
    case unitDoseDays = "rollup_unit_dose_days"
    /// Per dashboard unit: doses by dose number (coverage of the units below one, a few rows each).
    case unitCoverage = "rollup_unit_coverage"
    /// Per dashboard unit: doses by product, dose, kind, priority group, sex and age band (coverage).
    case unitDoses = "rollup_unit_doses"
    /// Per dashboard unit of the facility: doses by day, facility and product (completeness).
    case unitFacilityDays = "rollup_unit_facility_days"
    /// Per dashboard unit: first doses due for the next by a day, and those followed by it (drop-out).
    case unitDropout = "rollup_unit_dropout"
    /// The same by the month the second dose was due (`yyyy-mm`), so a drop-out over many months reads
    /// a few rows per unit.
    case unitDropoutMonths = "rollup_unit_dropout_months"
    /// Per dashboard unit: doses and adverse-event reports by product and lot (vaccine quality).
    case unitLots = "rollup_unit_lots"
    /// Per dashboard unit: registrations, invitations, screenings by outcome and reports, by day.
    case unitPipeline = "rollup_unit_pipeline"
    /// Per dashboard unit: an organisation's listed staff, and how many were invited, vaccinated, use the health book.
    case unitOrganisations = "rollup_unit_organisations"
    /// Doses given in a session, by lot (the session's opened vials).
    case sessionDoses = "rollup_session_doses"

    /// The key columns, in primary-key order.
    public var keys: [String] {
        switch self {
        case .doses:
            [
                "day", "unit_scheme", "commune_code", "facility_id", "product_code", "dose_kind", "dose_number",
                "priority_group", "sex", "age_band", "retrospective",
            ]
        case .unitDoseDays: ["unit_code", "day", "dose_number", "retrospective"]
        case .unitCoverage: ["unit_code", "dose_number"]
        case .unitDoses: ["unit_code", "product_code", "dose_number", "dose_kind", "priority_group", "sex", "age_band"]
        case .unitFacilityDays: ["unit_code", "day", "facility_id", "product_code", "retrospective"]
        case .unitDropout: ["unit_code", "due_on", "measure"]
        case .unitDropoutMonths: ["unit_code", "due_month", "measure"]
        case .unitLots: ["unit_code", "product_code", "lot_number", "measure"]
        case .unitPipeline: ["unit_code", "day", "measure"]
        case .unitOrganisations: ["unit_code", "organisation", "measure"]
        case .sessionDoses: ["session_id", "product_code", "lot_number"]
        }
    }
}

/// One count of a rollup table.
public struct RollupCell: Hashable, Sendable {
    /// The table.
    public var table: RollupTable
    /// The key, in the table's key order.
    public var key: [String]
}

/// Where a record lies: the address it is counted under.
struct RollupAddress: Codable, Hashable, Sendable {
    /// `2021` or `2025`.
    var s: String
    /// Province, district (2021 only), commune.
    var p: String
    var d: String?
    var c: String
}

/// The facts of a raw record that its rollup cells are derived from. Stored per record in
/// `rollup_sources`, so that a change moves exactly what the record contributed before.
enum RollupFacts: Codable, Hashable, Sendable {
    case dose(Dose)
    case registration(Registration)
    case appointment(Appointment)
    case screening(Screening)
    case aefi(AEFI)

    struct Dose: Codable, Hashable, Sendable {
        var a: RollupAddress
        var day: String
        var facility: String
        /// The facility's unit code ("" without a facility).
        var facilityUnit: String
        var product: String
        var lot: String
        var kind: String
        var number: Int
        var group: Int
        var sex: String
        var band: String
        var retro: Bool
        var session: String?
        /// The day the next dose is due, for a first primary dose.
        var due: String?
        /// For a second primary dose: the day it was due after the first.
        var follows: String?
    }

    struct Registration: Codable, Hashable, Sendable {
        var a: RollupAddress
        var day: String
        var organisation: String?
        var invited: Bool
        var vaccinated: Bool
        var healthBook: Bool
    }

    struct Appointment: Codable, Hashable, Sendable {
        var a: RollupAddress
        var day: String
        var walkIn: Bool
    }

    struct Screening: Codable, Hashable, Sendable {
        var a: RollupAddress
        var day: String
        var outcome: String
    }

    struct AEFI: Codable, Hashable, Sendable {
        var a: RollupAddress
        var day: String
        var product: String
        var lot: String
        var serious: Bool
    }

    var kind: String {
        switch self {
        case .dose: "dose"
        case .registration: "registration"
        case .appointment: "appointment"
        case .screening: "screening"
        case .aefi: "aefi"
        }
    }

    /// The cells this record adds one to.
    func cells(_ units: UnitMembership) -> [RollupCell] {
        var cells: [RollupCell] = []
        func add(_ table: RollupTable, _ key: String...) { cells.append(RollupCell(table: table, key: key)) }
        switch self {
        case .dose(let f):
            let retro = f.retro ? "1" : "0"
            let number = String(f.number)
            add(
                .doses,
                f.day,
                f.a.s,
                f.a.c,
                f.facility,
                f.product,
                f.kind,
                number,
                String(f.group),
                f.sex,
                f.band,
                retro
            )
            for unit in units.units(of: f.a) {
                add(.unitDoseDays, unit, f.day, number, retro)
                add(.unitCoverage, unit, number)
                add(.unitDoses, unit, f.product, number, f.kind, String(f.group), f.sex, f.band)
                add(.unitLots, unit, f.product, f.lot, "doses")
                if let due = f.due {
                    add(.unitDropout, unit, due, "due")
                    add(.unitDropoutMonths, unit, String(due.prefix(7)), "due")
                }
                if let follows = f.follows {
                    add(.unitDropout, unit, follows, "followed")
                    add(.unitDropoutMonths, unit, String(follows.prefix(7)), "followed")
                }
            }
            if !f.facility.isEmpty {
                for unit in units.units(ofUnitCode: f.facilityUnit) {
                    add(.unitFacilityDays, unit, f.day, f.facility, f.product, retro)
                }
            }
            if let session = f.session { add(.sessionDoses, session, f.product, f.lot) }
        case .registration(let f):
            for unit in units.units(of: f.a) {
                add(.unitPipeline, unit, f.day, "registered")
                if let organisation = f.organisation {
                    add(.unitOrganisations, unit, organisation, "listed")
                    if f.invited { add(.unitOrganisations, unit, organisation, "invited") }
                    if f.vaccinated { add(.unitOrganisations, unit, organisation, "vaccinated") }
                    if f.healthBook { add(.unitOrganisations, unit, organisation, "health_book") }
                }
            }
        case .appointment(let f):
            for unit in units.units(of: f.a) {
                add(.unitPipeline, unit, f.day, f.walkIn ? "walked_in" : "invited")
            }
        case .screening(let f):
            for unit in units.units(of: f.a) { add(.unitPipeline, unit, f.day, "screened_" + f.outcome) }
        case .aefi(let f):
            for unit in units.units(of: f.a) {
                add(.unitPipeline, unit, f.day, "aefi")
                add(.unitLots, unit, f.product, f.lot, "aefi")
                if f.serious {
                    add(.unitPipeline, unit, f.day, "aefi_serious")
                    add(.unitLots, unit, f.product, f.lot, "aefi_serious")
                }
            }
        }
        return cells
    }

    /// The age band of a person on a day.
    static func ageBand(born: LocalDate, on day: LocalDate) -> String {
        switch born.years(until: day) {
        case ..<12: "00-11"
        case 12...17: "12-17"
        case 18...49: "18-49"
        case 50...64: "50-64"
        default: "65+"
        }
    }
}

/// The dashboard units a record counts in: the nation (`VN`), and every unit whose scope area
/// (`IdentityStore.area(ofUnit:)`) holds its address: the 2025 province, the 2021 district, the 2025
/// commune, across the conversion of 1 July 2025. A dashboard for a unit then reads only its own rows.
public struct UnitMembership: Sendable {
    /// The whole country.
    public static let nation = "VN"

    var provinceOfDistrict2021: [String: Set<String>] = [:]
    var communesOfCommune2021: [String: Set<String>] = [:]
    var districtsOfCommune2025: [String: Set<String>] = [:]
    var provinceOfCommune2025: [String: String] = [:]

    /// The units of an address.
    func units(of a: RollupAddress) -> [String] {
        var found: Set<String> = [Self.nation]
        if a.s == UnitScheme.tier2of2025.rawValue {
            found.insert(a.p)
            found.insert(a.c)
            found.formUnion(districtsOfCommune2025[a.c] ?? [])
        } else {
            if let d = a.d {
                found.insert(d)
                found.formUnion(provinceOfDistrict2021[d] ?? [])
            }
            found.formUnion(communesOfCommune2021[a.c] ?? [])
        }
        return found.sorted()
    }

    /// The units of a facility's or store's unit code (a 2025 province or commune, or a 2021 district).
    public func units(ofUnitCode code: String) -> [String] {
        switch code.count {
        case 2: return [Self.nation, code].sorted()
        case 3: return units(of: RollupAddress(s: UnitScheme.tier3of2021.rawValue, p: "", d: code, c: ""))
        default:
            return units(
                of: RollupAddress(s: UnitScheme.tier2of2025.rawValue, p: provinceOfCommune2025[code] ?? "", c: code)
            ).filter { !$0.isEmpty }
        }
    }
}
