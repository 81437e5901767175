import Foundation
import VaxAPI
import VaxDomain
import VaxStorage

// Conversions between the generated API types and the domain, kept at the edge so neither leaks.

extension UnitScheme {
    init(api: Components.Schemas.UnitScheme) {
        self = api == ._2021 ? .tier3of2021 : .tier2of2025
    }

    var api: Components.Schemas.UnitScheme { self == .tier3of2021 ? ._2021 : ._2025 }
}

extension Components.Schemas.Unit {
    init(_ unit: AdminUnit) {
        self.init(
            scheme: unit.scheme.api,
            code: unit.code,
            level: .init(rawValue: unit.level.rawValue) ?? .commune,
            name: unit.name,
            unitType: unit.unitType,
            parentCode: unit.parentCode,
            provinceCode: unit.provinceCode
        )
    }
}

extension Components.Schemas.Person {
    init(_ person: Person, possibleDuplicates: [Person.ID]? = nil) {
        self.init(
            id: person.id.description,
            fullName: person.fullName,
            dateOfBirth: person.dateOfBirth.description,
            sex: person.sex == .male ? .male : .female,
            phone: person.phone,
            nationalId: person.nationalID.map {
                .init(_type: .init(rawValue: $0.type.rawValue) ?? .cccd, number: $0.number)
            },
            healthInsuranceNumber: person.healthInsuranceNumber,
            occupation: person.occupation,
            workplace: person.workplace,
            ethnicity: person.ethnicity,
            nationality: person.nationality,
            address: .init(
                scheme: person.address.scheme.api,
                provinceCode: person.address.provinceCode,
                districtCode: person.address.districtCode,
                communeCode: person.address.communeCode,
                street: person.address.street
            ),
            priorityGroups: person.priorityGroups,
            primaryPriorityGroup: person.primaryPriorityGroup,
            guardianId: person.guardianID?.description,
            relationship: person.relationship.flatMap { .init(rawValue: $0.rawValue) },
            mergedInto: person.mergedInto?.description,
            createdAt: person.createdAt,
            possibleDuplicates: possibleDuplicates.map { $0.map(\.description) }
        )
    }
}

extension PersonDraft {
    init(api body: Components.Schemas.PersonInput) {
        self.init(
            fullName: body.fullName,
            dateOfBirth: body.dateOfBirth,
            sex: body.sex == .male ? .male : .female,
            phone: body.phone,
            nationalID: body.nationalId.map {
                .init(type: NationalIDType(rawValue: $0._type.rawValue) ?? .cccd, number: $0.number)
            },
            healthInsuranceNumber: body.healthInsuranceNumber,
            occupation: body.occupation,
            workplace: body.workplace,
            ethnicity: body.ethnicity,
            nationality: body.nationality,
            address: .init(
                provinceCode: body.address.provinceCode,
                districtCode: body.address.districtCode,
                communeCode: body.address.communeCode,
                street: body.address.street,
                validOn: body.address.validOn
            ),
            priorityGroups: body.priorityGroups,
            primaryPriorityGroup: body.primaryPriorityGroup
        )
    }
}

extension PersonQuery {
    /// Exactly one way of searching must be given; each is validated and normalised.
    init(api body: Components.Schemas.PersonSearch) throws {
        let given = [body.nationalId, body.phone, body.name, body.communeCode].compactMap { $0 }
        guard given.count == 1 else {
            throw AppError.invalidField(
                "nationalId",
                "Give exactly one of nationalId, phone, name or communeCode.",
                code: "one_of"
            )
        }
        if body.dateOfBirth != nil, body.name == nil {
            throw AppError.invalidField("dateOfBirth", "The date of birth narrows a name search only.")
        }
        if let number = body.nationalId {
            let normalised = number.filter { !$0.isWhitespace && $0 != "." && $0 != "-" }.uppercased()
            guard (5...20).contains(normalised.count),
                normalised.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else { throw AppError.invalidField("nationalId", "A national ID number is 5 to 20 letters and digits.") }
            self = .nationalID(normalised)
        } else if let phone = body.phone {
            self = .phone(try PhoneNumber.normalise(phone).get())
        } else if let name = body.name {
            guard !name.hasControlCharacters else {
                throw AppError.invalidField("name", "Control characters are not allowed.")
            }
            let folded = TextFolding.fold(name)
            guard (1...100).contains(folded.count) else {
                throw AppError.invalidField("name", "Give 1 to 100 letters of the name.")
            }
            var dateOfBirth: LocalDate?
            if let text = body.dateOfBirth {
                guard let date = LocalDate(iso: text) ?? LocalDate(vietnamese: text) else {
                    throw AppError.invalidField("dateOfBirth", "The date of birth is yyyy-mm-dd or dd/mm/yyyy.")
                }
                dateOfBirth = date
            }
            self = .namePrefix(folded, dateOfBirth: dateOfBirth)
        } else {
            let code = body.communeCode ?? ""
            guard code.count == 5, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw AppError.invalidField("communeCode", "A commune code has 5 digits.")
            }
            self = .commune(scheme: body.scheme.map(UnitScheme.init(api:)) ?? .tier2of2025, code: code)
        }
    }
}
