import Foundation

/// What a client sends to create a person, before validation; every field as typed.
public struct PersonDraft: Sendable {
    /// The national ID part of the form.
    public struct NationalIDInput: Sendable {
        /// The kind of document.
        public var type: NationalIDType
        /// The number as typed.
        public var number: String
        /// A national ID input.
        public init(type: NationalIDType, number: String) {
            self.type = type
            self.number = number
        }
    }

    /// The address part of the form.
    public struct AddressInput: Sendable {
        /// Province code.
        public var provinceCode: String
        /// District code (2021 scheme only).
        public var districtCode: String?
        /// Commune code.
        public var communeCode: String
        /// Street address.
        public var street: String?
        /// The date on which the codes are valid; defaults to today.
        public var validOn: String?
        /// An address input.
        public init(provinceCode: String, districtCode: String?, communeCode: String, street: String?, validOn: String?)
        {
            self.provinceCode = provinceCode
            self.districtCode = districtCode
            self.communeCode = communeCode
            self.street = street
            self.validOn = validOn
        }
    }

    /// Full name.
    public var fullName: String
    /// Date of birth, `yyyy-mm-dd` or `dd/mm/yyyy`.
    public var dateOfBirth: String
    /// Sex.
    public var sex: Sex
    /// Mobile number.
    public var phone: String?
    /// National ID.
    public var nationalID: NationalIDInput?
    /// BHYT number.
    public var healthInsuranceNumber: String?
    /// Occupation.
    public var occupation: String?
    /// Workplace.
    public var workplace: String?
    /// Ethnicity.
    public var ethnicity: String?
    /// Nationality (ISO alpha-2), default VN.
    public var nationality: String?
    /// Address.
    public var address: AddressInput
    /// Priority group codes.
    public var priorityGroups: [Int]
    /// The primary group; defaults to the first listed.
    public var primaryPriorityGroup: Int?

    /// A draft.
    public init(
        fullName: String,
        dateOfBirth: String,
        sex: Sex,
        phone: String?,
        nationalID: NationalIDInput?,
        healthInsuranceNumber: String?,
        occupation: String?,
        workplace: String?,
        ethnicity: String?,
        nationality: String?,
        address: AddressInput,
        priorityGroups: [Int],
        primaryPriorityGroup: Int?
    ) {
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.phone = phone
        self.nationalID = nationalID
        self.healthInsuranceNumber = healthInsuranceNumber
        self.occupation = occupation
        self.workplace = workplace
        self.ethnicity = ethnicity
        self.nationality = nationality
        self.address = address
        self.priorityGroups = priorityGroups
        self.primaryPriorityGroup = primaryPriorityGroup
    }
}

/// A draft whose fields have the right shape; unit codes are checked against the registry next.
public struct ValidatedPersonDraft: Sendable {
    /// Full name, trimmed, single spaces.
    public var fullName: String
    /// Date of birth.
    public var dateOfBirth: LocalDate
    /// Sex.
    public var sex: Sex
    /// Phone in E.164.
    public var phone: String?
    /// National ID.
    public var nationalID: NationalID?
    /// BHYT number.
    public var healthInsuranceNumber: String?
    /// Occupation.
    public var occupation: String?
    /// Workplace.
    public var workplace: String?
    /// Ethnicity.
    public var ethnicity: String?
    /// Nationality.
    public var nationality: String
    /// Address codes as given.
    public var address: PersonDraft.AddressInput
    /// The date the address codes must be valid on.
    public var addressValidOn: LocalDate
    /// Priority groups, without repeats.
    public var priorityGroups: [Int]
    /// The primary group.
    public var primaryPriorityGroup: Int
}

/// The shape rules of the registration form (DOMAIN.md §2).
public enum PersonValidator {
    /// The oldest date of birth accepted (nobody alive was born earlier).
    public static let earliestBirth = LocalDate(year: 1900, month: 1, day: 1)!

    /// Checks every field; returns all errors at once so a form can mark them together.
    ///
    /// - Parameters:
    ///   - isDependant: a dependant (a child, an elderly parent) may have no phone, ID or occupation.
    ///   - knownPriorityGroups: the group codes in force.
    public static func validate(
        _ draft: PersonDraft,
        today: LocalDate,
        isDependant: Bool,
        knownPriorityGroups: Set<Int>
    ) -> Result<ValidatedPersonDraft, ValidationFailure> {
        var errors: [FieldError] = []
        for (field, value) in [
            ("fullName", draft.fullName), ("occupation", draft.occupation), ("workplace", draft.workplace),
            ("ethnicity", draft.ethnicity), ("address.street", draft.address.street),
        ] where value?.hasControlCharacters == true {
            errors.append(
                FieldError(field: field, code: "invalid_characters", message: "Control characters are not allowed.")
            )
        }
        // NFC, so that a name typed with combining accents is stored and counted like a precomposed one.
        let name = draft.fullName.precomposedStringWithCanonicalMapping.split(whereSeparator: \.isWhitespace)
            .joined(separator: " ")
        if name.isEmpty {
            errors.append(FieldError(field: "fullName", code: "required", message: "The full name is required."))
        } else if name.unicodeScalars.count > 100
            || name.contains(where: { $0.isNumber || "<>{}[]|\\/@#$%^*=+;:\"".contains($0) })
        {
            errors.append(
                FieldError(
                    field: "fullName",
                    code: "invalid_format",
                    message: "A full name has letters and spaces only, at most 100 characters."
                )
            )
        }

        let dateOfBirth = LocalDate(iso: draft.dateOfBirth) ?? LocalDate(vietnamese: draft.dateOfBirth)
        if let dateOfBirth {
            if dateOfBirth > today {
                errors.append(
                    FieldError(field: "dateOfBirth", code: "in_future", message: "The date of birth is in the future.")
                )
            } else if dateOfBirth < earliestBirth {
                errors.append(
                    FieldError(field: "dateOfBirth", code: "out_of_range", message: "The date of birth is before 1900.")
                )
            }
        } else {
            errors.append(
                FieldError(
                    field: "dateOfBirth",
                    code: "invalid_format",
                    message: "The date of birth is not a real date in the form yyyy-mm-dd or dd/mm/yyyy."
                )
            )
        }

        var phone: String?
        if let raw = draft.phone?.trimmingSpaces, !raw.isEmpty {
            switch PhoneNumber.normalise(raw) {
            case .success(let value): phone = value
            case .failure(let error): errors.append(error)
            }
        } else if !isDependant {
            errors.append(FieldError(field: "phone", code: "required", message: "The mobile number is required."))
        }

        var nationalID: NationalID?
        if let input = draft.nationalID, !input.number.trimmingSpaces.isEmpty {
            // Cross-check the CCCD only against a date of birth that is itself acceptable.
            let birth = errors.contains { $0.field == "dateOfBirth" } ? nil : dateOfBirth
            switch NationalID.validate(type: input.type, raw: input.number, dateOfBirth: birth, sex: draft.sex) {
            case .success(let value): nationalID = value
            case .failure(let error): errors.append(error)
            }
        } else if !isDependant {
            errors.append(
                FieldError(
                    field: "nationalId.number",
                    code: "required",
                    message: "A CCCD, CMND or passport number is required."
                )
            )
        }

        var insurance: String?
        if let raw = draft.healthInsuranceNumber?.trimmingSpaces, !raw.isEmpty {
            switch HealthInsuranceNumber.normalise(raw) {
            case .success(let value): insurance = value
            case .failure(let error): errors.append(error)
            }
        }

        let occupation = draft.occupation?.trimmingSpaces.nilIfEmpty
        if occupation == nil, !isDependant {
            errors.append(FieldError(field: "occupation", code: "required", message: "The occupation is required."))
        }
        for (field, value) in [
            ("occupation", occupation), ("workplace", draft.workplace), ("ethnicity", draft.ethnicity),
        ]
        where (value?.count ?? 0) > 200 {
            errors.append(FieldError(field: field, code: "too_long", message: "At most 200 characters."))
        }

        let nationality = (draft.nationality?.trimmingSpaces.nilIfEmpty ?? "VN").uppercased()
        if nationality.count != 2 || !nationality.allSatisfy({ $0.isASCII && $0.isLetter }) {
            errors.append(
                FieldError(
                    field: "nationality",
                    code: "invalid_format",
                    message: "The nationality is a 2-letter country code (VN)."
                )
            )
        }

        var addressValidOn = today
        if let text = draft.address.validOn {
            if let date = LocalDate(iso: text), date <= today {
                addressValidOn = date
            } else {
                errors.append(
                    FieldError(
                        field: "address.validOn",
                        code: "invalid_format",
                        message: "The address date is a past date in the form yyyy-mm-dd."
                    )
                )
            }
        }
        if (draft.address.street?.unicodeScalars.count ?? 0) > 300 {
            errors.append(FieldError(field: "address.street", code: "too_long", message: "At most 300 characters."))
        }

        var groups: [Int] = []
        var seen: Set<Int> = []
        if draft.priorityGroups.count > 16 {
            errors.append(
                FieldError(field: "priorityGroups", code: "too_many", message: "At most 16 priority groups.")
            )
        } else {
            for group in draft.priorityGroups where seen.insert(group).inserted { groups.append(group) }
        }
        if groups.isEmpty, draft.priorityGroups.count <= 16 {
            errors.append(
                FieldError(
                    field: "priorityGroups",
                    code: "required",
                    message: "At least one priority group is required."
                )
            )
        }
        for group in groups where !knownPriorityGroups.contains(group) {
            errors.append(
                FieldError(
                    field: "priorityGroups",
                    code: "unknown_value",
                    message: "\(group) is not a priority group in force."
                )
            )
        }
        let primary = draft.primaryPriorityGroup ?? groups.first ?? 0
        if draft.primaryPriorityGroup != nil, !groups.contains(primary) {
            errors.append(
                FieldError(
                    field: "primaryPriorityGroup",
                    code: "not_in_list",
                    message: "The primary priority group must be one of the person's groups."
                )
            )
        }

        guard errors.isEmpty, let dateOfBirth else { return .failure(ValidationFailure(errors)) }
        return .success(
            ValidatedPersonDraft(
                fullName: name,
                dateOfBirth: dateOfBirth,
                sex: draft.sex,
                phone: phone,
                nationalID: nationalID,
                healthInsuranceNumber: insurance,
                occupation: occupation,
                workplace: draft.workplace?.trimmingSpaces.nilIfEmpty,
                ethnicity: draft.ethnicity?.trimmingSpaces.nilIfEmpty,
                nationality: nationality,
                address: draft.address,
                addressValidOn: addressValidOn,
                priorityGroups: groups,
                primaryPriorityGroup: primary
            )
        )
    }
}

extension StringProtocol {
    /// Whether the text holds control characters (NUL, escapes, …) that no form field should carry.
    public var hasControlCharacters: Bool {
        unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

extension String {
    /// Without leading and trailing white space (the string itself when it has none, without copying).
    public var trimmingSpaces: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return first == startIndex && index(after: last) == endIndex ? self : String(self[first...last])
    }

    var nilIfEmpty: String? { isEmpty ? nil : self }
}
