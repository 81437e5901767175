import Foundation

/// Reading and writing spreadsheets (XLSX and CSV) as rows of text.
///
/// Reading is bounded against hostile files: every size, row, column and cell is checked against `Limits`, and a
/// problem is reported as a `SpreadsheetError` whose message can be shown to the person who uploaded the file.
public enum Spreadsheet {
    /// Limits against hostile files.
    public struct Limits: Sendable {
        /// The most rows a sheet may have (blank rows after the last row with content do not count).
        public var maxRows: Int
        /// The most columns a row may have (blank cells beyond the last column do not count).
        public var maxColumns: Int
        /// The most bytes one part of an XLSX archive may unpack to, and the largest CSV file.
        public var maxUncompressedBytes: Int
        /// The most characters one cell may hold.
        public var maxCellLength: Int

        /// Limits with the given values; the defaults suit the national bulk-import template.
        public init(
            maxRows: Int = 200_000,
            maxColumns: Int = 64,
            maxUncompressedBytes: Int = 256 << 20,
            maxCellLength: Int = 2_000
        ) {
            self.maxRows = maxRows
            self.maxColumns = maxColumns
            self.maxUncompressedBytes = maxUncompressedBytes
            self.maxCellLength = maxCellLength
        }
    }

    /// The rows of the first worksheet (workbook order) of an .xlsx file as text.
    ///
    /// Gaps are kept so that row `i` of the result is row `i + 1` of the sheet: a skipped row is `[]` and a
    /// skipped cell is `""`. Blank rows after the last row with content are dropped. Integers read without ".0"
    /// and date-formatted numbers as "yyyy-mm-dd".
    public static func readXLSX(_ data: Data, limits: Limits = .init()) throws(SpreadsheetError) -> [[String]] {
        try XLSXReader.read(data, limits: limits)
    }

    /// The rows of a CSV file (RFC 4180; UTF-8 with or without BOM; comma or semicolon separator, detected from
    /// the first line; CRLF or LF; quoted fields with "" escapes and embedded newlines).
    public static func readCSV(_ data: Data, limits: Limits = .init()) throws(SpreadsheetError) -> [[String]] {
        try CSVReader.read(data, limits: limits)
    }

    /// Reads by content: a zip (PK\u{3}\u{4}) is XLSX, anything else CSV.
    ///
    /// An old binary .xls or password-protected workbook (an OLE file, D0 CF 11 E0) is refused as "not_xlsx" with
    /// a message saying so, rather than as text that is not UTF-8.
    public static func read(_ data: Data, limits: Limits = .init()) throws(SpreadsheetError) -> [[String]] {
        let isWorkbook = data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || data.starts(with: [0xD0, 0xCF, 0x11, 0xE0])
        return isWorkbook ? try readXLSX(data, limits: limits) : try readCSV(data, limits: limits)
    }

    /// A minimal valid .xlsx workbook with one worksheet named `sheetName` holding `rows` as inline strings
    /// (t="inlineStr"); it opens in LibreOffice and Excel.
    ///
    /// Characters that Excel does not allow in a sheet name (`[ ] : * ? / \`) become "_" and the name is cut
    /// to 31 characters. Empty cells are not stored, so empty cells at the end of a row do not come back when the
    /// workbook is read. Throws a `SpreadsheetError` ("too_large") past Excel's own limits (1,048,576 rows,
    /// 16,384 columns, 32,767 characters in a cell).
    public static func writeXLSX(sheetName: String, rows: [[String]]) throws -> Data {
        try XLSXWriter.write(sheetName: sheetName, rows: rows)
    }

    /// The rows with every cell a spreadsheet would run as a formula (one starting with `=`, `+`, `@`,
    /// a tab or a carriage return, or `-` unless it is a plain number) preceded by `'`, for CSV files of
    /// text that people typed.
    public static func neutralisingFormulas(_ rows: [[String]]) -> [[String]] {
        rows.map { row in
            row.map { cell in
                guard let first = cell.first else { return cell }
                let risky =
                    "=+@\t\r".contains(first) || (first == "-" && Double(cell) == nil)
                return risky ? "'" + cell : cell
            }
        }
    }

    /// CSV text (UTF-8 with BOM so Excel shows Vietnamese correctly, CRLF, fields quoted when needed).
    public static func writeCSV(_ rows: [[String]]) -> Data {
        CSVWriter.write(rows)
    }
}
