import Foundation

/// Writes rows as CSV for Excel: UTF-8 with BOM, comma separator, CRLF line ends.
enum CSVWriter {
    /// The CSV bytes of `rows`.
    static func write(_ rows: [[String]]) -> Data {
        var text = "\u{FEFF}"
        for row in rows {
            text += line(row)
            text += "\r\n"
        }
        return Data(text.utf8)
    }

    /// One record. A lone empty field is written as `""` so that it does not read back as an empty row.
    private static func line(_ row: [String]) -> String {
        if row == [""] { return "\"\"" }
        return row.map(field).joined(separator: ",")
    }

    /// A field, quoted when it holds a separator (comma or semicolon), a quote or a line end.
    private static func field(_ value: String) -> String {
        let special: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\""), 13, 10]
        guard value.utf8.contains(where: special.contains) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
