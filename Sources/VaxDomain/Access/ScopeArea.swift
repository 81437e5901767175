/// The people a scoped staff role may see: those whose address lies in an administrative unit.
///
/// A province area also holds the 2021 provinces merged into it on 1 July 2025, so that a Thái Nguyên
/// official sees Bắc Kạn residents registered under the old scheme.
public struct ScopeArea: Sendable, Equatable, Hashable {
    /// Province codes (any scheme) whose people are in the area; empty for a district or commune area.
    public var provinces: Set<String>
    /// A 2021 district code, for a district area.
    public var district: String?
    /// A commune code, for a commune area.
    public var commune: String?

    /// An area.
    public init(provinces: Set<String> = [], district: String? = nil, commune: String? = nil) {
        self.provinces = provinces
        self.district = district
        self.commune = commune
    }

    /// Whether an address lies in the area.
    public func contains(_ address: Person.Address) -> Bool {
        if let commune { return address.communeCode == commune }
        if let district { return address.districtCode == district }
        return provinces.contains(address.provinceCode)
    }
}
