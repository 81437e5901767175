import Foundation

/// The unified personal QR of Decision 1405/QĐ-BTTTT (September 2021), read by every app from 1 November
/// 2021: `SoGiayTo|HoTen|NgaySinh|LoaiDinhDanh|QID|EXT`.
public struct UnifiedPersonalQR: Sendable, Hashable {
    /// The identity-document number (SoGiayTo); it may be masked with `*` or `x`.
    public let documentNumber: String
    /// The name (HoTen), usually upper case without diacritics.
    public let name: String
    /// The date of birth (NgaySinh, `yyyy-mm-dd`).
    public let dateOfBirth: LocalDate
    /// Whether someone else declared the person (LoaiDinhDanh `1`; `0` is self-declared).
    public let declaredBySomeoneElse: Bool
    /// The national QR id (QID).
    public let qrID: String
    /// The `<`-separated extras (EXT: health-insurance number, phone, sex, …), in order; empty when none.
    public let extras: [String]

    /// A unified personal QR's fields.
    public init(
        documentNumber: String,
        name: String,
        dateOfBirth: LocalDate,
        declaredBySomeoneElse: Bool,
        qrID: String,
        extras: [String]
    ) {
        self.documentNumber = documentNumber
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.declaredBySomeoneElse = declaredBySomeoneElse
        self.qrID = qrID
        self.extras = extras
    }
}

/// The QR code on the back of a chip-based citizen identity card (CCCD):
/// `CCCD|CMND|Full name|DOB ddMMyyyy|Sex|Permanent address|Issue date ddMMyyyy`.
public struct ChipCardQR: Sendable, Hashable {
    /// The 12-digit CCCD number.
    public let cccd: String
    /// The old 9- or 12-digit CMND number, if printed.
    public let cmnd: String?
    /// The full name, with diacritics.
    public let fullName: String
    /// The date of birth.
    public let dateOfBirth: LocalDate
    /// The sex as printed (`Nam`, `Nữ`).
    public let sex: String
    /// The permanent address as printed.
    public let address: String
    /// The day the card was issued, if printed.
    public let issuedOn: LocalDate?

    /// A chip-card QR's fields.
    public init(
        cccd: String,
        cmnd: String?,
        fullName: String,
        dateOfBirth: LocalDate,
        sex: String,
        address: String,
        issuedOn: LocalDate?
    ) {
        self.cccd = cccd
        self.cmnd = cmnd
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.address = address
        self.issuedOn = issuedOn
    }
}

/// A code scanned at check-in.
public enum ScannedCode: Sendable, Hashable {
    /// Our own signed, rotating personal token (text starting `VXP1.`); the server verifies it.
    case vaxtrace(token: String)
    /// A Decision 1405 unified personal QR.
    case unified(UnifiedPersonalQR)
    /// A CCCD chip-card QR.
    case chipCard(ChipCardQR)

    /// The prefix of our own tokens.
    static let tokenPrefix = "VXP1."

    /// Recognises a scanned text (surrounding whitespace and newlines are ignored; at most 1000 characters).
    ///
    /// Errors have field `code` and code `unknown_format` (not a code we read, or a wrong number of fields),
    /// `bad_date` (a date that does not exist or is in the wrong form) or `bad_id` (a malformed number).
    public static func parse(_ text: String) -> Result<ScannedCode, FieldError> {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= 1000 else {
            return .failure(unknownFormat("The scanned code is longer than 1000 characters."))
        }
        if text.hasPrefix(tokenPrefix) {
            let body = text.utf8.dropFirst(tokenPrefix.utf8.count)
            guard !body.isEmpty, body.allSatisfy({ (33...126).contains($0) }) else {
                return .failure(unknownFormat("The Vaxtrace code is incomplete or contains characters it cannot have."))
            }
            return .success(.vaxtrace(token: text))
        }
        let fields = text.split(separator: "|", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        switch fields.count {
        case 6: return parseUnified(fields).map(ScannedCode.unified)
        case 7: return parseChipCard(fields).map(ScannedCode.chipCard)
        default:
            return .failure(
                unknownFormat(
                    "The code is not a Vaxtrace code, a unified personal QR (6 fields) or a chip-card QR (7 fields)."
                )
            )
        }
    }

    private static func parseUnified(_ fields: [String]) -> Result<UnifiedPersonalQR, FieldError> {
        let number = fields[0]
        guard (1...20).contains(number.count),
            number.unicodeScalars.allSatisfy({ isASCIIAlphanumeric($0) || $0 == "*" })
        else {
            return .failure(badID("The document number \"\(number)\" in the personal QR is not valid."))
        }
        guard !fields[1].isEmpty else { return .failure(unknownFormat("The personal QR has no name.")) }
        guard let dateOfBirth = LocalDate(iso: fields[2]) else {
            return .failure(badDate("The date of birth \"\(fields[2])\" in the personal QR is not a yyyy-mm-dd date."))
        }
        let declaredBySomeoneElse: Bool
        switch fields[3] {
        case "0": declaredBySomeoneElse = false
        case "1": declaredBySomeoneElse = true
        default:
            return .failure(unknownFormat("The identification type in the personal QR must be 0 or 1."))
        }
        let qrID = fields[4]
        guard (1...40).contains(qrID.count), qrID.unicodeScalars.allSatisfy(isASCIIAlphanumeric) else {
            return .failure(badID("The QR id \"\(qrID)\" in the personal QR is not valid."))
        }
        var ext = Substring(fields[5])
        if ext.hasPrefix("<") { ext = ext.dropFirst() }
        let extras =
            fields[5].isEmpty ? [] : ext.split(separator: "<", omittingEmptySubsequences: false).map(String.init)
        return .success(
            UnifiedPersonalQR(
                documentNumber: number,
                name: fields[1],
                dateOfBirth: dateOfBirth,
                declaredBySomeoneElse: declaredBySomeoneElse,
                qrID: qrID,
                extras: extras
            )
        )
    }

    private static func parseChipCard(_ fields: [String]) -> Result<ChipCardQR, FieldError> {
        let cccd = fields[0]
        guard cccd.count == 12, cccd.unicodeScalars.allSatisfy(isASCIIDigit) else {
            return .failure(badID("The CCCD number \"\(cccd)\" on the card is not 12 digits."))
        }
        let cmnd = fields[1].isEmpty ? nil : fields[1]
        if let cmnd, !([9, 12].contains(cmnd.count) && cmnd.unicodeScalars.allSatisfy(isASCIIDigit)) {
            return .failure(badID("The CMND number \"\(cmnd)\" on the card is not 9 or 12 digits."))
        }
        guard !fields[2].isEmpty else { return .failure(unknownFormat("The chip-card QR has no name.")) }
        guard let dateOfBirth = compactDate(fields[3]) else {
            return .failure(badDate("The date of birth \"\(fields[3])\" on the card is not a ddMMyyyy date."))
        }
        var issuedOn: LocalDate?
        if !fields[6].isEmpty {
            guard let date = compactDate(fields[6]), date >= dateOfBirth else {
                return .failure(badDate("The issue date \"\(fields[6])\" on the card is not a valid ddMMyyyy date."))
            }
            issuedOn = date
        }
        return .success(
            ChipCardQR(
                cccd: cccd,
                cmnd: cmnd,
                fullName: fields[2],
                dateOfBirth: dateOfBirth,
                sex: fields[4],
                address: fields[5],
                issuedOn: issuedOn
            )
        )
    }

    /// `ddMMyyyy`.
    private static func compactDate(_ text: String) -> LocalDate? {
        guard text.count == 8, text.unicodeScalars.allSatisfy(isASCIIDigit) else { return nil }
        let digits = Array(text)
        guard let day = Int(String(digits[0..<2])), let month = Int(String(digits[2..<4])),
            let year = Int(String(digits[4..<8]))
        else { return nil }
        return LocalDate(year: year, month: month, day: day)
    }

    private static func isASCIIDigit(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar)
    }

    private static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func unknownFormat(_ message: String) -> FieldError {
        FieldError(field: "code", code: "unknown_format", message: message)
    }

    private static func badDate(_ message: String) -> FieldError {
        FieldError(field: "code", code: "bad_date", message: message)
    }

    private static func badID(_ message: String) -> FieldError {
        FieldError(field: "code", code: "bad_id", message: message)
    }
}
