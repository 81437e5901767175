/// The people a scoped staff role may see: those whose address lies in an administrative unit.
///
/// Addresses are recorded in the scheme valid on their date, so an area lists its units in both schemes:
/// a scope names a unit of the 2025 scheme (a province or a commune; a district of the 2021 scheme) and
/// the conversion table of 1 July 2025 gives the units of the other scheme that lie in it. Codes are
/// compared only within their own scheme: the 2025 list reuses 2021 commune codes for other places.
public struct ScopeArea: Sendable, Equatable, Hashable {
    /// 2025-scheme provinces covered whole.
    public var provinces: Set<String>
    /// 2025-scheme communes covered.
    public var communes: Set<String>
    /// 2021-scheme districts covered whole.
    public var districts2021: Set<String>
    /// 2021-scheme communes covered.
    public var communes2021: Set<String>

    /// An area.
    public init(
        provinces: Set<String> = [],
        communes: Set<String> = [],
        districts2021: Set<String> = [],
        communes2021: Set<String> = []
    ) {
        self.provinces = provinces
        self.communes = communes
        self.districts2021 = districts2021
        self.communes2021 = communes2021
    }

    /// Whether an address lies in the area.
    public func contains(_ address: Person.Address) -> Bool {
        switch address.scheme {
        case .tier2of2025:
            provinces.contains(address.provinceCode) || communes.contains(address.communeCode)
        case .tier3of2021:
            districts2021.contains(address.districtCode ?? "") || communes2021.contains(address.communeCode)
        }
    }
}
