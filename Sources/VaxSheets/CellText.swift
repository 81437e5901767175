import Foundation

/// How the raw values of XLSX cells become text.
enum CellText {
    /// A number as a person would type it: integers without ".0" or exponent ("84912345678"), other numbers in
    /// their shortest exact form ("36.6", also for Excel's stored "36.600000000000001"). Text that is not a
    /// finite number is returned unchanged.
    static func number(_ raw: String) -> String {
        guard let value = Double(raw), value.isFinite else { return raw }
        if value == value.rounded(), abs(value) < 9e18 {
            return String(Int64(value))
        }
        let shortest = "\(value)"
        guard shortest.contains("e") else { return shortest }
        return Decimal(string: shortest).map { "\($0)" } ?? shortest
    }

    /// The date "yyyy-mm-dd" of an Excel date serial (the time of day is dropped), or nil when `raw` is not a
    /// serial of a day between 1900 (1904) and 9999.
    ///
    /// In the 1900 system serial 1 is 1900-01-01 and serial 60 is the fake 1900-02-29 that Excel keeps for
    /// compatibility with Lotus 1-2-3; in the 1904 system serial 0 is 1904-01-01.
    static func date(serial raw: String, date1904: Bool) -> String? {
        guard let value = Double(raw), value.isFinite, value >= 0, value < 2_958_466 else { return nil }
        let serial = Int(value.rounded(.down))
        let daysSince1970: Int
        if date1904 {
            daysSince1970 = serial - 24_107
        } else if serial == 60 {
            return "1900-02-29"
        } else if serial >= 1 {
            daysSince1970 = serial < 60 ? serial - 25_568 : serial - 25_569
        } else {
            return nil
        }
        let (year, month, day) = civilDate(daysSince1970: daysSince1970)
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    /// The date part of an ISO 8601 value of a t="d" cell when its time is midnight ("2021-07-15T00:00:00"
    /// -> "2021-07-15"); otherwise the value unchanged.
    static func isoDate(_ raw: String) -> String {
        guard let separator = raw.firstIndex(of: "T"),
            raw[separator...].allSatisfy({ "T0:.Z".contains($0) })
        else {
            return raw
        }
        return String(raw[..<separator])
    }

    /// Decodes Excel's `_xHHHH_` escapes of characters that XML cannot hold (e.g. `_x000D_` for CR,
    /// `_x005F_` for a literal underscore).
    static func unescapeExcel(_ text: String) -> String {
        guard mayHaveEscape(text) else { return text }
        let units = Array(text.utf16)
        var result: [UInt16] = []
        result.reserveCapacity(units.count)
        var index = 0
        while index < units.count {
            if let unit = escapedUnit(in: units, at: index) {
                result.append(unit)
                index += 7
            } else {
                result.append(units[index])
                index += 1
            }
        }
        return String(decoding: result, as: UTF16.self)
    }

    /// Whether `text` contains "_x" (a quick byte scan, as most cells have no escape).
    private static func mayHaveEscape(_ text: String) -> Bool {
        var previous: UInt8 = 0
        for byte in text.utf8 {
            if previous == UInt8(ascii: "_") && byte == UInt8(ascii: "x") { return true }
            previous = byte
        }
        return false
    }

    /// The code unit of an `_xHHHH_` escape starting at `index`, if there is one.
    private static func escapedUnit(in units: [UInt16], at index: Int) -> UInt16? {
        guard index + 7 <= units.count, units[index] == 0x5F, units[index + 1] == 0x78, units[index + 6] == 0x5F
        else {
            return nil
        }
        let hex = String(decoding: units[index + 2..<index + 6], as: UTF16.self)
        return hex.allSatisfy(\.isHexDigit) ? UInt16(hex, radix: 16) : nil
    }

    /// The proleptic Gregorian (year, month, day) of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
    private static func civilDate(daysSince1970: Int) -> (Int, Int, Int) {
        let shifted = daysSince1970 + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// `value` with leading zeros to `width` digits.
    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

/// Which cell styles of a workbook show numbers as dates, from xl/styles.xml.
struct DateStyles {
    /// For each cell format (`s` index of a cell) whether it is a date format.
    var isDate: [Bool] = []

    /// Whether the cell style `index` (the `s` attribute) is a date format.
    func contains(_ index: Int?) -> Bool {
        guard let index, isDate.indices.contains(index) else { return false }
        return isDate[index]
    }

    /// Whether built-in number format `id` is a date or time format (14–22 and 45–47).
    static func isBuiltInDate(_ id: Int) -> Bool {
        (14...22).contains(id) || (45...47).contains(id)
    }

    /// Whether a custom format code shows a date: it has a d, m or y outside quotes and brackets, and not as
    /// the escaped character after `\`, `_` or `*`.
    static func isDateCode(_ code: String) -> Bool {
        var quoted = false
        var bracketed = false
        var escaped = false
        for character in code {
            if escaped {
                escaped = false
            } else if quoted {
                quoted = character != "\""
            } else if bracketed {
                bracketed = character != "]"
            } else {
                switch character {
                case "\"": quoted = true
                case "[": bracketed = true
                case "\\", "_", "*": escaped = true
                case "d", "D", "m", "M", "y", "Y": return true
                default: break
                }
            }
        }
        return false
    }
}

/// Reads xl/styles.xml into `DateStyles`: the custom formats of `numFmts` and the formats of `cellXfs`.
struct StylesHandler: XMLHandler {
    private var customCodes: [Int: String] = [:]
    private var formatIDs: [Int] = []
    private var inCellFormats = false

    /// Never: the styles part is read from attributes only.
    var wantsText: Bool { false }

    /// The date styles found.
    var dateStyles: DateStyles {
        var styles = DateStyles()
        for id in formatIDs {
            styles.isDate.append(customCodes[id].map(DateStyles.isDateCode) ?? DateStyles.isBuiltInDate(id))
        }
        return styles
    }

    mutating func start(_ name: String, attributes: XMLAttributes) throws(SpreadsheetError) {
        switch name {
        case "numFmt":
            if let id = attributes["numFmtId"].flatMap({ Int($0) }), let code = attributes["formatCode"] {
                customCodes[id] = code
            }
        case "cellXfs":
            inCellFormats = true
        case "xf" where inCellFormats:
            formatIDs.append(attributes["numFmtId"].flatMap { Int($0) } ?? 0)
        default:
            break
        }
    }

    mutating func end(_ name: String) throws(SpreadsheetError) {
        if name == "cellXfs" {
            inCellFormats = false
        }
    }

    mutating func text(_ text: String) throws(SpreadsheetError) {}
}
