import Foundation

/// Reads CSV text (RFC 4180, leniently): UTF-8 with or without BOM, comma or semicolon separator, CRLF, LF or
/// CR line ends, quoted fields with "" escapes and embedded line ends.
///
/// Works on bytes: the separators, quotes and line ends are ASCII, which never occurs inside a multi-byte UTF-8
/// character, so each field's bytes are checked as UTF-8 on their own.
struct CSVReader {
    private static let quote = UInt8(ascii: "\"")
    private static let carriageReturn = UInt8(13)
    private static let lineFeed = UInt8(10)

    private let bytes: [UInt8]
    private let separator: UInt8
    private var grid: RowGrid
    private var position = 0
    private var line = 1
    private var record = 1
    private var column = 1
    private var field: [UInt8] = []
    private var recordHasData = false

    /// The rows of the CSV file `data`.
    static func read(_ data: Data, limits: Spreadsheet.Limits) throws(SpreadsheetError) -> [[String]] {
        guard data.count <= limits.maxUncompressedBytes else {
            throw .tooLarge("The file is too large: it is more than \(limits.maxUncompressedBytes >> 20) MB.")
        }
        var bytes = [UInt8](data)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            bytes.removeFirst(3)
        }
        var reader = CSVReader(bytes: bytes, limits: limits)
        try reader.readAll()
        return reader.grid.finished()
    }

    private init(bytes: [UInt8], limits: Spreadsheet.Limits) {
        self.bytes = bytes
        self.separator = Self.detectSeparator(bytes)
        self.grid = RowGrid(limits: limits)
    }

    /// ";" when the first line has more semicolons than commas outside quotes, else ",".
    static func detectSeparator(_ bytes: [UInt8]) -> UInt8 {
        var commas = 0
        var semicolons = 0
        var quoted = false
        for byte in bytes {
            if byte == quote {
                quoted.toggle()
            } else if !quoted && (byte == lineFeed || byte == carriageReturn) {
                break
            } else if !quoted && byte == UInt8(ascii: ",") {
                commas += 1
            } else if !quoted && byte == UInt8(ascii: ";") {
                semicolons += 1
            }
        }
        return semicolons > commas ? UInt8(ascii: ";") : UInt8(ascii: ",")
    }

    /// Reads every record into the grid.
    private mutating func readAll() throws(SpreadsheetError) {
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == Self.quote && field.isEmpty {
                try readQuoted()
            } else if byte == separator {
                try endField()
            } else if byte == Self.carriageReturn || byte == Self.lineFeed {
                if byte == Self.carriageReturn && position < bytes.count && bytes[position] == Self.lineFeed {
                    position += 1
                }
                try endRecord()
                line += 1
            } else {
                field.append(byte)
                recordHasData = true
            }
        }
        try endRecord()
    }

    /// Reads a quoted field's content after its opening quote, up to and including the closing quote. Whatever
    /// follows the closing quote before the next separator is kept as it is, as spreadsheet programs do.
    private mutating func readQuoted() throws(SpreadsheetError) {
        let startLine = line
        recordHasData = true
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == Self.quote {
                guard position < bytes.count, bytes[position] == Self.quote else { return }
                position += 1
            } else if byte == Self.lineFeed
                || (byte == Self.carriageReturn && (position == bytes.count || bytes[position] != Self.lineFeed))
            {
                line += 1
            }
            field.append(byte)
        }
        throw .badCSV("The quoted field that starts on line \(startLine) is never closed (a \" is missing).")
    }

    /// Ends the current field: checks it is UTF-8 and puts it in the grid.
    private mutating func endField() throws(SpreadsheetError) {
        recordHasData = true
        guard let text = String(validating: field, as: UTF8.self) else {
            throw .notUTF8(cell: CellReference.name(row: record, column: column))
        }
        try grid.set(text, row: record, column: column)
        field.removeAll(keepingCapacity: true)
        column = min(column + 1, 1 << 40)
    }

    /// Ends the current record; a line with nothing on it is an empty row.
    private mutating func endRecord() throws(SpreadsheetError) {
        if recordHasData {
            try endField()
        }
        record = min(record + 1, 1 << 40)
        column = 1
        recordHasData = false
    }
}
