import Foundation
import ZIPFoundation

/// Writes a minimal XLSX workbook: one worksheet of inline strings, packed with ZIPFoundation.
enum XLSXWriter {
    private static let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    private static let relationshipsNamespace =
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    private static let packageRelationshipsNamespace =
        "http://schemas.openxmlformats.org/package/2006/relationships"
    private static let header = #"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"# + "\n"

    /// The workbook bytes.
    static func write(sheetName: String, rows: [[String]]) throws -> Data {
        try checkExcelLimits(rows)
        let parts: [(path: String, xml: String)] = [
            ("[Content_Types].xml", contentTypes),
            ("_rels/.rels", packageRelationships),
            ("xl/workbook.xml", workbook(sheetName: sheetName)),
            ("xl/_rels/workbook.xml.rels", workbookRelationships),
            ("xl/styles.xml", styles),
            ("xl/worksheets/sheet1.xml", worksheet(rows)),
        ]
        let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
        for part in parts {
            let bytes = Data(part.xml.utf8)
            try archive.addEntry(
                with: part.path,
                type: .file,
                uncompressedSize: Int64(bytes.count),
                compressionMethod: .deflate,
                provider: { position, size in bytes.subdata(in: Int(position)..<Int(position) + size) }
            )
        }
        guard let data = archive.data else { throw SpreadsheetError.tooLarge("The workbook could not be packed.") }
        return data
    }

    /// Refuses rows that Excel could not open: more than 1,048,576 rows, 16,384 columns or 32,767 characters.
    private static func checkExcelLimits(_ rows: [[String]]) throws(SpreadsheetError) {
        guard rows.count <= 1_048_576 else { throw .tooManyRows(limit: 1_048_576) }
        for (rowIndex, row) in rows.enumerated() {
            guard row.count <= 16_384 else {
                throw .tooManyColumns(cell: CellReference.name(row: rowIndex + 1, column: 16_385), limit: 16_384)
            }
            for (columnIndex, value) in row.enumerated() where value.utf16.count > 32_767 {
                throw .cellTooLong(cell: CellReference.name(row: rowIndex + 1, column: columnIndex + 1), limit: 32_767)
            }
        }
    }

    // MARK: - Parts

    private static var contentTypes: String {
        let spreadsheetML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        return header
            + #"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#
            + #"<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>"#
            + #"<Default Extension="xml" ContentType="application/xml"/>"#
            + #"<Override PartName="/xl/workbook.xml" ContentType="\#(spreadsheetML).sheet.main+xml"/>"#
            + #"<Override PartName="/xl/worksheets/sheet1.xml" ContentType="\#(spreadsheetML).worksheet+xml"/>"#
            + #"<Override PartName="/xl/styles.xml" ContentType="\#(spreadsheetML).styles+xml"/>"#
            + "</Types>"
    }

    private static var packageRelationships: String {
        header
            + #"<Relationships xmlns="\#(packageRelationshipsNamespace)">"#
            + #"<Relationship Id="rId1" Type="\#(relationshipsNamespace)/officeDocument" Target="xl/workbook.xml"/>"#
            + "</Relationships>"
    }

    private static var workbookRelationships: String {
        header
            + #"<Relationships xmlns="\#(packageRelationshipsNamespace)">"#
            + #"<Relationship Id="rId1" Type="\#(relationshipsNamespace)/worksheet" Target="worksheets/sheet1.xml"/>"#
            + #"<Relationship Id="rId2" Type="\#(relationshipsNamespace)/styles" Target="styles.xml"/>"#
            + "</Relationships>"
    }

    /// The smallest style sheet Excel accepts: one font, the two required fills, one border, one cell format.
    private static var styles: String {
        header
            + #"<styleSheet xmlns="\#(mainNamespace)">"#
            + #"<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>"#
            + #"<fills count="2"><fill><patternFill patternType="none"/></fill>"#
            + #"<fill><patternFill patternType="gray125"/></fill></fills>"#
            + #"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#
            + #"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#
            + #"<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>"#
            + #"<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#
            + "</styleSheet>"
    }

    private static func workbook(sheetName: String) -> String {
        header
            + #"<workbook xmlns="\#(mainNamespace)" xmlns:r="\#(relationshipsNamespace)">"#
            + #"<sheets><sheet name="\#(escape(excelSheetName(sheetName)))" sheetId="1" r:id="rId1"/></sheets>"#
            + "</workbook>"
    }

    /// The worksheet: one `<row>` per row that has a non-empty cell, one inline-string `<c>` per non-empty cell.
    private static func worksheet(_ rows: [[String]]) -> String {
        let columns = (1...max(1, rows.map(\.count).max() ?? 1)).map(CellReference.columnName)
        var xml = header + #"<worksheet xmlns="\#(mainNamespace)"><sheetData>"#
        xml.reserveCapacity(rows.reduce(1_024) { total, row in row.reduce(total + 32) { $0 + $1.utf8.count + 80 } })
        for (rowIndex, row) in rows.enumerated() where row.contains(where: { !$0.isEmpty }) {
            xml += #"<row r="\#(rowIndex + 1)">"#
            for (columnIndex, value) in row.enumerated() where !value.isEmpty {
                xml += #"<c r="\#(columns[columnIndex])\#(rowIndex + 1)" t="inlineStr"><is><t xml:space="preserve">"#
                xml += escape(value)
                xml += "</t></is></c>"
            }
            xml += "</row>"
        }
        return xml + "</sheetData></worksheet>"
    }

    // MARK: - Text

    /// `name` as Excel allows it: `[ ] : * ? / \` become "_", at most 31 characters, "Sheet1" when empty.
    static func excelSheetName(_ name: String) -> String {
        let cleaned = String(name.map { "[]:*?/\\".contains($0) ? "_" : $0 }.prefix(31))
        return cleaned.trimmingCharacters(in: .whitespaces).isEmpty ? "Sheet1" : cleaned
    }

    /// `text` for XML text and attribute values: markup characters as entities, and characters that XML cannot
    /// hold (control characters, CR) as Excel's `_xHHHH_` escapes; a literal `_xHHHH_` gets its "_" escaped.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: needsEscaping) else { return text }
        let scalars = Array(text.unicodeScalars)
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for (index, scalar) in scalars.enumerated() {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "_" where looksLikeEscape(scalars, at: index): result += "_x005F_"
            case "\t", "\n": result.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                result += "_x" + hex4(scalar.value) + "_"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Whether `byte` may need escaping: markup, "_" or a control character.
    private static func needsEscaping(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">")
            || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "_") || byte == 0xEF
    }

    /// Whether `_xHHHH_` starts at `index`.
    private static func looksLikeEscape(_ scalars: [Unicode.Scalar], at index: Int) -> Bool {
        guard index + 7 <= scalars.count, scalars[index + 1] == "x", scalars[index + 6] == "_" else { return false }
        return scalars[index + 2..<index + 6].allSatisfy { $0.properties.isASCIIHexDigit }
    }

    /// `value` as four upper-case hex digits.
    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
