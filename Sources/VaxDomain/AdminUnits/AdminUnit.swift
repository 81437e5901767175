/// Vietnam's two administrative schemes (DOMAIN.md §1).
public enum UnitScheme: String, CaseIterable, Sendable, Codable {
    /// Province, district, commune: in force until 30 Jun 2025.
    case tier3of2021 = "2021"
    /// Province and commune, no districts: from 1 Jul 2025.
    case tier2of2025 = "2025"

    /// The first day the scheme is used for new records.
    ///
    /// The shipped 2021 list is the GSO list of 2025-01-04; earlier mergers are not modelled, so the
    /// scheme covers every date from the start of the 2021 campaign.
    public var validFrom: LocalDate {
        switch self {
        case .tier3of2021: LocalDate(year: 2021, month: 1, day: 1)!
        case .tier2of2025: LocalDate(year: 2025, month: 7, day: 1)!
        }
    }

    /// The last day the scheme is in force, if it has ended.
    public var validTo: LocalDate? {
        switch self {
        case .tier3of2021: LocalDate(year: 2025, month: 6, day: 30)!
        case .tier2of2025: nil
        }
    }

    /// Whether the scheme has districts.
    public var hasDistricts: Bool { self == .tier3of2021 }

    /// The scheme valid on `date`, or `nil` before the first one.
    public static func valid(on date: LocalDate) -> UnitScheme? {
        allCases.first { $0.validFrom <= date && ($0.validTo.map { date <= $0 } ?? true) }
    }
}

/// The level of a unit within its scheme.
public enum UnitLevel: String, CaseIterable, Sendable, Codable {
    /// Tỉnh / thành phố trực thuộc trung ương.
    case province
    /// Huyện / quận / thị xã / thành phố thuộc tỉnh (2021 scheme only).
    case district
    /// Xã / phường / thị trấn / đặc khu.
    case commune
}

/// An administrative unit.
public struct AdminUnit: Sendable, Hashable {
    /// The scheme.
    public var scheme: UnitScheme
    /// The GSO code: 2 digits (province), 3 (district), 5 (commune).
    public var code: String
    /// The level.
    public var level: UnitLevel
    /// The name with its prefix ("Huyện Đồng Hỷ").
    public var name: String
    /// The kind of unit ("Xã", "Phường", "Huyện").
    public var unitType: String
    /// The parent's code, `nil` for a province.
    public var parentCode: String?
    /// The province's code (its own for a province).
    public var provinceCode: String

    /// A unit.
    public init(
        scheme: UnitScheme,
        code: String,
        level: UnitLevel,
        name: String,
        unitType: String,
        parentCode: String?,
        provinceCode: String
    ) {
        self.scheme = scheme
        self.code = code
        self.level = level
        self.name = name
        self.unitType = unitType
        self.parentCode = parentCode
        self.provinceCode = provinceCode
    }
}

/// How an old (2021) commune became part of a new (2025) one.
public enum ConversionKind: String, CaseIterable, Sendable, Codable {
    /// "Nhập toàn bộ": the whole old commune went into the new one.
    case whole
    /// "Nhập một phần": part of the old commune went into the new one; look at the others too.
    case partial
    /// "Giữ nguyên": unchanged.
    case unchanged
    /// Any other note in the official table.
    case other
}

/// One row of the official conversion table (old commune -> new commune).
public struct UnitConversion: Sendable, Hashable {
    /// The old commune code.
    public var oldCommuneCode: String
    /// The old commune's name.
    public var oldCommuneName: String
    /// The old district code.
    public var oldDistrictCode: String
    /// The old province code.
    public var oldProvinceCode: String
    /// The new commune code.
    public var newCommuneCode: String
    /// The new commune's name.
    public var newCommuneName: String
    /// The new province code.
    public var newProvinceCode: String
    /// The kind of change.
    public var kind: ConversionKind
    /// The note of the official table, verbatim.
    public var note: String

    /// A conversion row.
    public init(
        oldCommuneCode: String,
        oldCommuneName: String,
        oldDistrictCode: String,
        oldProvinceCode: String,
        newCommuneCode: String,
        newCommuneName: String,
        newProvinceCode: String,
        kind: ConversionKind,
        note: String
    ) {
        self.oldCommuneCode = oldCommuneCode
        self.oldCommuneName = oldCommuneName
        self.oldDistrictCode = oldDistrictCode
        self.oldProvinceCode = oldProvinceCode
        self.newCommuneCode = newCommuneCode
        self.newCommuneName = newCommuneName
        self.newProvinceCode = newProvinceCode
        self.kind = kind
        self.note = note
    }
}
