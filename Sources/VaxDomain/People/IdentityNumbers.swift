/// The kinds of national identity document a person can give (DOMAIN.md §2).
public enum NationalIDType: String, CaseIterable, Sendable, Codable {
    /// Citizen identity card (Căn cước công dân): 12 digits.
    case cccd
    /// Old identity card (Chứng minh nhân dân): 9 or 12 digits.
    case cmnd
    /// Vietnamese passport: one letter and 7 digits.
    case passport
    /// A foreign passport: free form, 5 to 20 letters and digits.
    case foreignPassport = "foreign_passport"
}

/// A validated national identity number.
public struct NationalID: Hashable, Sendable {
    /// The kind of document.
    public let type: NationalIDType
    /// The number, normalised: digits, or upper-case letters and digits.
    public let number: String

    /// A number that was validated before it was stored (reading it back from the database).
    public init(alreadyValidated type: NationalIDType, number: String) {
        self.type = type
        self.number = number
    }

    private init(type: NationalIDType, number: String) {
        self.type = type
        self.number = number
    }

    /// Validates `raw` as a number of the given kind.
    ///
    /// For a CCCD the 4th digit encodes century and sex and the 5th–6th the year of birth (Circular
    /// 59/2021/TT-BCA); when `dateOfBirth` and `sex` are known they must agree, which catches the
    /// swapped or mistyped numbers that made 41 M doses unverifiable in 2021.
    public static func validate(
        type: NationalIDType,
        raw: String,
        dateOfBirth: LocalDate?,
        sex: Sex?,
        field: String = "nationalId.number"
    ) -> Result<NationalID, FieldError> {
        let number = raw.filter { !$0.isWhitespace && $0 != "." && $0 != "-" }.uppercased()
        let digitsOnly = !number.isEmpty && number.allSatisfy { $0.isASCII && $0.isNumber }
        switch type {
        case .cccd:
            guard digitsOnly, number.count == 12 else {
                return .failure(
                    FieldError(field: field, code: "invalid_format", message: "A CCCD number has 12 digits.")
                )
            }
            guard number.hasPrefix("0") else {
                return .failure(
                    FieldError(
                        field: field,
                        code: "invalid_format",
                        message: "A CCCD number starts with the 3-digit code of the province of birth (0xx)."
                    )
                )
            }
            if let mismatch = cccdMismatch(number, dateOfBirth: dateOfBirth, sex: sex) {
                return .failure(FieldError(field: field, code: "inconsistent", message: mismatch))
            }
        case .cmnd:
            guard digitsOnly, number.count == 9 || number.count == 12 else {
                return .failure(
                    FieldError(field: field, code: "invalid_format", message: "A CMND number has 9 or 12 digits.")
                )
            }
        case .passport:
            let letters = number.prefix(1)
            let digits = number.dropFirst()
            guard number.count == 8, letters.allSatisfy({ $0.isASCII && $0.isLetter }),
                digits.allSatisfy({ $0.isASCII && $0.isNumber })
            else {
                return .failure(
                    FieldError(
                        field: field,
                        code: "invalid_format",
                        message: "A Vietnamese passport number is one letter and 7 digits."
                    )
                )
            }
        case .foreignPassport:
            guard (5...20).contains(number.count), number.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else {
                return .failure(
                    FieldError(
                        field: field,
                        code: "invalid_format",
                        message: "A foreign passport number is 5 to 20 letters and digits."
                    )
                )
            }
        }
        return .success(NationalID(type: type, number: number))
    }

    private static func cccdMismatch(_ number: String, dateOfBirth: LocalDate?, sex: Sex?) -> String? {
        let digits = number.compactMap(\.wholeNumberValue)
        let code = digits[3]
        let century = 1900 + 100 * (code / 2)
        let codedSex: Sex = code % 2 == 0 ? .male : .female
        let codedYear = century + digits[4] * 10 + digits[5]
        if let dateOfBirth, dateOfBirth.year != codedYear {
            return "The CCCD number encodes the year of birth \(codedYear), not \(dateOfBirth.year)."
        }
        if let sex, sex != codedSex {
            return "The CCCD number encodes the sex \(codedSex.rawValue), not \(sex.rawValue)."
        }
        return nil
    }
}

/// A person's sex as the registration form records it.
public enum Sex: String, CaseIterable, Sendable, Codable {
    /// Male (PL1 template 0; national portal genderId 1).
    case male
    /// Female (PL1 template 1; national portal genderId 2).
    case female
}

/// Vietnamese mobile numbers: `0` or `+84` followed by 9 digits.
public enum PhoneNumber {
    /// The number in E.164 (`+84xxxxxxxxx`), or a field error.
    public static func normalise(_ raw: String, field: String = "phone") -> Result<String, FieldError> {
        var digits = raw.filter { !$0.isWhitespace && $0 != "." && $0 != "-" && $0 != "(" && $0 != ")" }
        if digits.hasPrefix("+84") {
            digits.removeFirst(3)
        } else if digits.hasPrefix("84"), digits.count == 11 {
            digits.removeFirst(2)
        } else if digits.hasPrefix("0") {
            digits.removeFirst()
        } else {
            return .failure(invalid(field))
        }
        guard digits.count == 9, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let first = digits.first, "35789".contains(first)
        else { return .failure(invalid(field)) }
        return .success("+84" + digits)
    }

    private static func invalid(_ field: String) -> FieldError {
        FieldError(
            field: field,
            code: "invalid_format",
            message: "A Vietnamese mobile number is 0 or +84 followed by 9 digits (e.g. 0912 345 678)."
        )
    }
}

/// Health-insurance (BHYT) numbers: a 15-character card code or a 10-digit social-insurance number.
public enum HealthInsuranceNumber {
    /// The number, upper case and without spaces, or a field error.
    public static func normalise(_ raw: String, field: String = "healthInsuranceNumber") -> Result<String, FieldError> {
        let value = raw.filter { !$0.isWhitespace }.uppercased()
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        if value.count == 10, value.allSatisfy(isDigit) { return .success(value) }
        if value.count == 15, value.prefix(2).allSatisfy({ $0.isASCII && $0.isLetter }),
            value.dropFirst(2).allSatisfy(isDigit)
        {
            return .success(value)
        }
        return .failure(
            FieldError(
                field: field,
                code: "invalid_format",
                message: "A BHYT number is 2 letters and 13 digits, or a 10-digit social-insurance number."
            )
        )
    }
}
