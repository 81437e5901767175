/// Rows under construction, with the row, column and cell limits enforced as each cell arrives.
///
/// Positions are 1-based like the sheet's own. Gaps are filled: a row that never gets a cell is `[]`, a cell
/// that is skipped is `""`. Blank cells outside the limits are ignored rather than refused, because spreadsheet
/// programs often leave empty formatted cells or trailing separators far beyond the data.
struct RowGrid {
    /// The limits to enforce.
    let limits: Spreadsheet.Limits
    /// The rows so far.
    private(set) var rows: [[String]] = []

    /// Puts `value` at 1-based `row` and `column`, checking the limits.
    mutating func set(_ value: String, row: Int, column: Int) throws(SpreadsheetError) {
        guard row >= 1, column >= 1 else { return }
        if row > limits.maxRows || column > limits.maxColumns {
            guard !value.isEmpty else { return }
            if row > limits.maxRows { throw .tooManyRows(limit: limits.maxRows) }
            throw .tooManyColumns(cell: CellReference.name(row: row, column: column), limit: limits.maxColumns)
        }
        if value.utf8.count > limits.maxCellLength && value.count > limits.maxCellLength {
            throw .cellTooLong(cell: CellReference.name(row: row, column: column), limit: limits.maxCellLength)
        }
        while rows.count < row {
            rows.append([])
        }
        while rows[row - 1].count < column {
            rows[row - 1].append("")
        }
        rows[row - 1][column - 1] = value
    }

    /// The rows, without the blank rows at the end.
    func finished() -> [[String]] {
        var result = rows
        while let last = result.last, last.allSatisfy(\.isEmpty) {
            result.removeLast()
        }
        return result
    }
}

/// Cell names like "D12": column letters and a 1-based row number.
enum CellReference {
    /// The name of the cell at 1-based `row` and `column`, e.g. (12, 4) -> "D12".
    static func name(row: Int, column: Int) -> String {
        "\(columnName(column))\(row)"
    }

    /// The letters of 1-based `column`, e.g. 1 -> "A", 27 -> "AA".
    static func columnName(_ column: Int) -> String {
        var letters: [Character] = []
        var rest = max(column, 1)
        while rest > 0 {
            let digit = (rest - 1) % 26
            letters.append(Character(Unicode.Scalar(UInt8(65 + digit))))
            rest = (rest - 1) / 26
        }
        return String(letters.reversed())
    }

    /// The 1-based column and, when present, row of a reference like "C7" or "c7"; nil when it is not one.
    ///
    /// Numbers saturate instead of overflowing, so a hostile "ZZZZZZZZZZZZ1" is simply a very large column.
    static func parse(_ text: String) -> (column: Int, row: Int?)? {
        let cap = 1 << 40
        var column = 0
        var row = 0
        var digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                guard digits == 0 else { return nil }
                column = min(column * 26 + Int((byte & 0xDF) - 64), cap)
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard column > 0 else { return nil }
                row = min(row * 10 + Int(byte - 48), cap)
                digits += 1
            default:
                return nil
            }
        }
        guard column > 0 else { return nil }
        if digits == 0 { return (column, nil) }
        return row >= 1 ? (column, row) : nil
    }
}
