import Foundation
import VaxDomain
import VaxStorage

/// Makes plausible, deterministic people for demo data and benchmarks: Vietnamese names, CCCD numbers
/// consistent with birth year and sex, unique phones. Nobody real.
public struct SyntheticPeople: Sendable {
    private static let families = [
        "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
        "Dương", "Lý", "Ma", "Nông", "Hà", "Triệu",
    ]
    private static let middles = [
        "Văn", "Thị", "Đức", "Minh", "Ngọc", "Thu", "Quang", "Hữu", "Thanh", "Xuân", "Kim", "Bảo",
    ]
    private static let givens = [
        "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hằng", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan",
        "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn",
        "Vân", "Việt", "Yến", "Duy", "Hạnh", "Thắng", "Tú", "Uyên", "Lộc",
    ]
    private static let occupations = [
        "Nông dân", "Công nhân", "Giáo viên", "Học sinh", "Kinh doanh", "Nhân viên y tế", "Hưu trí",
    ]

    /// The communes people are spread over: (province, commune) in the 2025 scheme.
    public let communes: [(province: String, commune: String)]
    private let start: Date

    /// A generator over the given communes; `start` is the creation time of the first person.
    public init(communes: [(province: String, commune: String)], start: Date = Date()) {
        precondition(!communes.isEmpty, "synthetic people need at least one commune")
        self.communes = communes
        self.start = start
    }

    /// Person number `index`, always the same for the same index.
    public func person(_ index: Int) -> Person {
        // Seeds from one generator's outputs, so that two people's streams never overlap.
        var seeds = SplitMix64(seed: UInt64(index))
        var random = SplitMix64(seed: seeds.next())
        let sex: Sex = random.next() % 2 == 0 ? .male : .female
        let family = Self.families[Int(random.next() % UInt64(Self.families.count))]
        let middle =
            sex == .female
            ? (random.next() % 3 == 0 ? "Thị" : Self.middles[Int(random.next() % 12)])
            : Self.middles[Int(random.next() % 12)]
        let given = Self.givens[Int(random.next() % UInt64(Self.givens.count))]
        let year = 1935 + Int(random.next() % 85)
        let dateOfBirth = LocalDate(year: year, month: 1 + Int(random.next() % 12), day: 1 + Int(random.next() % 28))!
        let place = communes[index % communes.count]
        let created = Date(millisecondsSince1970: start.millisecondsSince1970 + Int64(index))
        // 099 (no province has that code, so no real card does) + century/sex digit + yy + 6 digits
        // derived from the index: unique per person.
        let centuryDigit = (year >= 2000 ? 2 : 0) + (sex == .female ? 1 : 0)
        let serial = String(index % 1_000_000).leftPadded(to: 6)
        let yy = String(year % 100).leftPadded(to: 2)
        let type: NationalIDType = index >= 1_000_000 ? .cmnd : .cccd
        let number = type == .cccd ? "099\(centuryDigit)\(yy)\(serial)" : String(100_000_000 + index)
        let group = year < 1961 ? 9 : [1, 8, 13, 15, 16][Int(random.next() % 5)]
        return Person(
            id: Person.ID(UUIDv7.make(at: created, using: &random)),
            fullName: "\(family) \(middle) \(given)",
            dateOfBirth: dateOfBirth,
            sex: sex,
            phone: "+849" + String(index % 100_000_000).leftPadded(to: 8),
            nationalID: NationalID(alreadyValidated: type, number: number),
            healthInsuranceNumber: nil,
            occupation: Self.occupations[Int(random.next() % UInt64(Self.occupations.count))],
            workplace: nil,
            ethnicity: random.next() % 4 == 0 ? "Tày" : "Kinh",
            nationality: "VN",
            address: Person.Address(
                scheme: .tier2of2025,
                provinceCode: place.province,
                districtCode: nil,
                communeCode: place.commune,
                street: "Tổ \(1 + index % 30)"
            ),
            priorityGroups: [group],
            primaryPriorityGroup: group,
            guardianID: nil,
            relationship: nil,
            mergedInto: nil,
            createdAt: created
        )
    }
}

/// A small, fast, seedable random generator (for reproducible synthetic data only, never for secrets).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
