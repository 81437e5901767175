/// Why a spreadsheet could not be read or written: a stable code for programs and a sentence for people.
public struct SpreadsheetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A stable machine code: "not_xlsx", "no_worksheet", "bad_xml", "too_large", "too_many_rows", "bad_csv"
    /// or "not_utf8".
    public let code: String
    /// A plain English sentence for the person who uploaded the file.
    public let message: String
    /// The message, so that the error prints as the sentence.
    public var description: String { message }

    init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

extension SpreadsheetError {
    /// The file is not a readable zip archive; `reason` finishes the sentence "…not an XLSX workbook (…)".
    static func notXLSX(_ reason: String) -> SpreadsheetError {
        SpreadsheetError(code: "not_xlsx", message: "The file is not an XLSX workbook (\(reason)).")
    }

    /// The archive holds no worksheet to read.
    static func noWorksheet() -> SpreadsheetError {
        SpreadsheetError(
            code: "no_worksheet",
            message: "The file has no worksheet: it is a zip archive but not an Excel workbook with a sheet."
        )
    }

    /// A part of the workbook is not well-formed XML.
    static func badXML(part: String, reason: String) -> SpreadsheetError {
        SpreadsheetError(
            code: "bad_xml",
            message: "The workbook is damaged: \(part) is not well-formed XML (\(reason))."
        )
    }

    /// Something is over a size limit; `message` is the whole sentence.
    static func tooLarge(_ message: String) -> SpreadsheetError {
        SpreadsheetError(code: "too_large", message: message)
    }

    /// A part of the workbook unpacks to more than `limit` bytes.
    /// Runs a zip read and words its failure for a workbook.
    static func fromZip<T>(_ body: () throws(ZipReader.Failure) -> T) throws(SpreadsheetError) -> T {
        do {
            return try body()
        } catch {
            switch error {
            case .damaged(let reason): throw .notXLSX(reason)
            case .tooLarge(let path, let limit): throw .partTooLarge(path, limit: limit)
            }
        }
    }

    static func partTooLarge(_ part: String, limit: Int) -> SpreadsheetError {
        tooLarge("The file is too large: \(part) unpacks to more than \(megabytes(limit)).")
    }

    /// A cell lies beyond the last allowed column.
    static func tooManyColumns(cell: String, limit: Int) -> SpreadsheetError {
        tooLarge("Cell \(cell) is beyond the limit of \(limit) columns.")
    }

    /// A cell holds more text than allowed.
    static func cellTooLong(cell: String, limit: Int) -> SpreadsheetError {
        tooLarge("Cell \(cell) is longer than \(limit) characters.")
    }

    /// The sheet has more rows than allowed.
    static func tooManyRows(limit: Int) -> SpreadsheetError {
        SpreadsheetError(
            code: "too_many_rows",
            message: "The sheet has more than \(limit) rows; at most \(limit) rows can be read."
        )
    }

    /// The CSV text is malformed; `message` is the whole sentence.
    static func badCSV(_ message: String) -> SpreadsheetError {
        SpreadsheetError(code: "bad_csv", message: message)
    }

    /// The CSV text is not UTF-8.
    static func notUTF8(cell: String) -> SpreadsheetError {
        SpreadsheetError(
            code: "not_utf8",
            message: "The file is not UTF-8 text (cell \(cell) is not valid UTF-8). "
                + "In Excel, save it as \"CSV UTF-8 (Comma delimited)\"."
        )
    }

    /// `bytes` as a short human size, e.g. "256 MB".
    private static func megabytes(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes) bytes"
    }
}
