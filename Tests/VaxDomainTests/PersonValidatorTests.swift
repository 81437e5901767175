import Foundation
import Testing
import VaxDomain

@Suite struct PersonValidatorTests {
    let today = LocalDate(iso: "2026-11-26")!
    let groups = Set(1...16)

    func draft() -> PersonDraft {
        PersonDraft(
            fullName: "  Nguyễn   Văn Bình ",
            dateOfBirth: "15/03/1987",
            sex: .male,
            phone: "0912 345 678",
            nationalID: .init(type: .cccd, number: "019087001234"),
            healthInsuranceNumber: nil,
            occupation: "Giáo viên",
            workplace: nil,
            ethnicity: "Kinh",
            nationality: nil,
            address: .init(provinceCode: "19", districtCode: nil, communeCode: "05692", street: "Tổ 3", validOn: nil),
            priorityGroups: [8, 9, 8],
            primaryPriorityGroup: nil
        )
    }

    @Test func normalisesAValidDraft() throws {
        let valid = try PersonValidator.validate(draft(), today: today, isDependant: false, knownPriorityGroups: groups)
            .get()
        #expect(valid.fullName == "Nguyễn Văn Bình")
        #expect(valid.dateOfBirth == LocalDate(iso: "1987-03-15"))
        #expect(valid.phone == "+84912345678")
        #expect(valid.priorityGroups == [8, 9])
        #expect(valid.primaryPriorityGroup == 8)
        #expect(valid.nationality == "VN")
        #expect(valid.addressValidOn == today)
    }

    @Test func reportsEveryBadFieldAtOnce() {
        var bad = draft()
        bad.fullName = ""
        bad.dateOfBirth = "2030-01-01"
        bad.phone = "12"
        bad.priorityGroups = [17]
        bad.occupation = nil
        guard
            case .failure(let failure) = PersonValidator.validate(
                bad,
                today: today,
                isDependant: false,
                knownPriorityGroups: groups
            )
        else {
            Issue.record("accepted")
            return
        }
        #expect(failure.errors.map(\.field) == ["fullName", "dateOfBirth", "phone", "occupation", "priorityGroups"])
    }

    @Test func aDependantNeedsNoPhoneIDOrOccupation() throws {
        var child = draft()
        child.phone = nil
        child.nationalID = nil
        child.occupation = nil
        child.dateOfBirth = "2019-05-01"
        #expect(
            (try? PersonValidator.validate(child, today: today, isDependant: true, knownPriorityGroups: groups).get())
                != nil
        )
        #expect(
            (try? PersonValidator.validate(child, today: today, isDependant: false, knownPriorityGroups: groups).get())
                == nil
        )
    }

    @Test func primaryGroupMustBeListed() {
        var bad = draft()
        bad.primaryPriorityGroup = 3
        guard
            case .failure(let failure) = PersonValidator.validate(
                bad,
                today: today,
                isDependant: false,
                knownPriorityGroups: groups
            )
        else {
            Issue.record("accepted")
            return
        }
        #expect(failure.errors.map(\.field) == ["primaryPriorityGroup"])
    }

    @Test func schemeByDate() {
        #expect(UnitScheme.valid(on: LocalDate(iso: "2021-08-01")!) == .tier3of2021)
        #expect(UnitScheme.valid(on: LocalDate(iso: "2025-06-30")!) == .tier3of2021)
        #expect(UnitScheme.valid(on: LocalDate(iso: "2025-07-01")!) == .tier2of2025)
        #expect(UnitScheme.valid(on: LocalDate(iso: "2019-01-01")!) == nil)
    }

    @Test func uuidV7IsTimeOrderedAndVersioned() {
        let early = UUIDv7.make(at: Date(timeIntervalSince1970: 1_700_000_000))
        let late = UUIDv7.make(at: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(early.uuidString < late.uuidString)
        #expect(Array(early.uuidString)[14] == "7")
        #expect("89AB".contains(Array(early.uuidString)[19]))
    }
}
