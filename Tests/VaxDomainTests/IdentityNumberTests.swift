import Testing
import VaxDomain

@Suite struct IdentityNumberTests {
    let born1987 = LocalDate(iso: "1987-03-15")!

    @Test func acceptsACCCDConsistentWithBirthAndSex() throws {
        let id = try NationalID.validate(type: .cccd, raw: "019 087 001 234", dateOfBirth: born1987, sex: .male).get()
        #expect(id.number == "019087001234")
        // 4th digit 3: female born in the 2000s.
        let girl = LocalDate(iso: "2005-06-01")!
        #expect(
            (try? NationalID.validate(type: .cccd, raw: "001305000001", dateOfBirth: girl, sex: .female).get()) != nil
        )
    }

    @Test func rejectsACCCDThatContradictsTheForm() {
        let wrongYear = NationalID.validate(type: .cccd, raw: "019088001234", dateOfBirth: born1987, sex: .male)
        #expect(throws: FieldError.self) { try wrongYear.get() }
        let wrongSex = NationalID.validate(type: .cccd, raw: "019187001234", dateOfBirth: born1987, sex: .male)
        #expect((try? wrongSex.get()) == nil)
    }

    @Test(arguments: [
        (NationalIDType.cccd, "01908700123"),
        (.cccd, "91908700123X"),
        (.cccd, "119087001234"),
        (.cmnd, "1234567890"),
        (.passport, "12345678"),
        (.passport, "B123456"),
        (.foreignPassport, "AB1"),
    ])
    func rejectsMalformedNumbers(type: NationalIDType, raw: String) {
        let result = NationalID.validate(type: type, raw: raw, dateOfBirth: nil, sex: nil)
        guard case .failure(let error) = result else {
            Issue.record("\(raw) accepted as \(type)")
            return
        }
        #expect(error.field == "nationalId.number")
    }

    @Test func acceptsOtherDocuments() {
        #expect((try? NationalID.validate(type: .cmnd, raw: "090123456", dateOfBirth: nil, sex: nil).get()) != nil)
        #expect(
            (try? NationalID.validate(type: .passport, raw: "c1234567", dateOfBirth: nil, sex: nil).get())?.number
                == "C1234567"
        )
        #expect(
            (try? NationalID.validate(type: .foreignPassport, raw: "X99-88776", dateOfBirth: nil, sex: nil).get())
                != nil
        )
    }

    @Test(arguments: [
        ("0912345678", "+84912345678"),
        ("+84 912 345 678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("091.234.5678", "+84912345678"),
        ("0387654321", "+84387654321"),
    ])
    func normalisesPhones(raw: String, normalised: String) {
        #expect((try? PhoneNumber.normalise(raw).get()) == normalised)
    }

    @Test(arguments: ["912345678", "01234567890", "0212345678", "+8491234567", "09123456789", "abc"])
    func rejectsPhones(raw: String) {
        #expect((try? PhoneNumber.normalise(raw).get()) == nil)
    }

    @Test func healthInsuranceNumbers() {
        #expect((try? HealthInsuranceNumber.normalise("dn 4011234567890").get()) == "DN4011234567890")
        #expect((try? HealthInsuranceNumber.normalise("0123456789").get()) == "0123456789")
        #expect((try? HealthInsuranceNumber.normalise("DN40112345678").get()) == nil)
    }
}
