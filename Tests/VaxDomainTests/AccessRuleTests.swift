import Testing
import VaxDomain

@Suite struct AccessRuleTests {
    static func address(
        _ scheme: UnitScheme,
        province: String,
        district: String? = nil,
        commune: String
    ) -> Person.Address {
        Person.Address(
            scheme: scheme,
            provinceCode: province,
            districtCode: district,
            communeCode: commune,
            street: nil
        )
    }

    @Test func areasCompareCodesWithinTheirOwnScheme() {
        // unit/00004 is Phường Ba Đình (2025); of the 2021 communes, Trúc Bạch (00004) and Quán Thánh
        // (00013) went into it.
        let baDinh = ScopeArea(communes: ["00004"], communes2021: ["00004", "00013"])
        #expect(baDinh.contains(Self.address(.tier2of2025, province: "01", commune: "00004")))
        #expect(baDinh.contains(Self.address(.tier3of2021, province: "01", district: "001", commune: "00013")))
        #expect(!baDinh.contains(Self.address(.tier2of2025, province: "01", commune: "00013")))
        // A 2025 province covers its 2025 addresses by province and its 2021 ones commune by commune.
        let thaiNguyen = ScopeArea(provinces: ["19"], communes2021: ["01834"])
        #expect(thaiNguyen.contains(Self.address(.tier2of2025, province: "19", commune: "05692")))
        #expect(thaiNguyen.contains(Self.address(.tier3of2021, province: "06", district: "058", commune: "01834")))
        #expect(!thaiNguyen.contains(Self.address(.tier3of2021, province: "19", district: "164", commune: "05692")))
        #expect(!ScopeArea().contains(Self.address(.tier2of2025, province: "19", commune: "05692")))
    }

    @Test(arguments: [
        ("Rừng-Thái-Nguyên-2026", true),
        ("short1A!", false),
        ("alllowercaseletters", false),
        ("Password-2026-long", false),
        ("lan.nguyen-Secret-1", false),
        (String(repeating: "Ậ1", count: 30), false),
    ])
    func passwordStrength(password: String, acceptable: Bool) {
        #expect(PasswordRule.problems(with: password, username: "lan.nguyen").isEmpty == acceptable)
    }
}
