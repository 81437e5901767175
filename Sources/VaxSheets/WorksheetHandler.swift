/// Reads a worksheet part into a `RowGrid`, turning each cell's stored value into text.
///
/// Positions come from the `r` attributes (`<row r="5">`, `<c r="C7">`); a row or cell without one follows the
/// previous. Cells without a value (only a style) are skipped.
struct WorksheetHandler: XMLHandler {
    /// The cell being read.
    private struct Cell {
        let row: Int
        let column: Int
        let type: String
        let style: Int?
        var value = ""
        var inlineText = ""
        var hasValue = false
    }

    /// The rows read so far.
    private(set) var grid: RowGrid
    private let part: String
    private let sharedStrings: [String]
    private let dateStyles: DateStyles
    private let date1904: Bool
    private var row = 0
    private var column = 0
    private var cell: Cell?
    private var inValue = false
    private var inInlineString = false
    private var inPhonetic = false
    private var inText = false

    /// A handler for worksheet `part` whose cells refer to `sharedStrings` and `dateStyles`.
    init(
        part: String,
        sharedStrings: [String],
        dateStyles: DateStyles,
        date1904: Bool,
        limits: Spreadsheet.Limits
    ) {
        self.part = part
        self.sharedStrings = sharedStrings
        self.dateStyles = dateStyles
        self.date1904 = date1904
        self.grid = RowGrid(limits: limits)
    }

    var wantsText: Bool { cell != nil && (inValue || inText) }

    mutating func start(_ name: String, attributes: XMLAttributes) throws(SpreadsheetError) {
        switch name {
        case "row":
            try startRow(attributes)
        case "c":
            try startCell(attributes)
        case "v":
            inValue = true
            cell?.hasValue = true
        case "is":
            inInlineString = true
            cell?.hasValue = true
        case "rPh":
            inPhonetic = true
        case "t":
            inText = inInlineString && !inPhonetic
        default:
            break
        }
    }

    mutating func end(_ name: String) throws(SpreadsheetError) {
        switch name {
        case "c":
            try endCell()
        case "v":
            inValue = false
        case "is":
            inInlineString = false
        case "rPh":
            inPhonetic = false
        case "t":
            inText = false
        default:
            break
        }
    }

    mutating func text(_ text: String) throws(SpreadsheetError) {
        if inValue {
            cell?.value += text
        } else {
            cell?.inlineText += text
        }
    }

    // MARK: - Rows and cells

    /// `<row r="N">`: the row number, or the one after the previous row.
    private mutating func startRow(_ attributes: XMLAttributes) throws(SpreadsheetError) {
        if let reference = attributes["r"] {
            guard let number = Self.rowNumber(reference) else {
                throw error("row number \"\(reference)\" is not valid")
            }
            row = number
        } else {
            row = Self.next(row)
        }
        column = 0
    }

    /// `<c r="C7" t="s" s="3">`: where the cell is and how to read its value.
    private mutating func startCell(_ attributes: XMLAttributes) throws(SpreadsheetError) {
        var position = (row: max(row, 1), column: Self.next(column))
        if let reference = attributes["r"] {
            guard let parsed = CellReference.parse(reference) else {
                throw error("cell reference \"\(reference)\" is not valid")
            }
            position = (parsed.row ?? position.row, parsed.column)
        }
        cell = Cell(
            row: position.row,
            column: position.column,
            type: attributes["t"] ?? "n",
            style: attributes["s"].flatMap { Int($0) }
        )
    }

    /// `</c>`: puts the cell's text in the grid.
    private mutating func endCell() throws(SpreadsheetError) {
        guard let cell else { return }
        self.cell = nil
        column = cell.column
        guard cell.hasValue else { return }
        try grid.set(try text(of: cell), row: cell.row, column: cell.column)
    }

    /// The text of a cell according to its type.
    private func text(of cell: Cell) throws(SpreadsheetError) -> String {
        if cell.value.isEmpty && !cell.inlineText.isEmpty {
            return CellText.unescapeExcel(cell.inlineText)
        }
        switch cell.type {
        case "s":
            guard let index = Int(cell.value), sharedStrings.indices.contains(index) else {
                let name = CellReference.name(row: cell.row, column: cell.column)
                throw error("cell \(name) refers to shared string \"\(cell.value)\", which does not exist")
            }
            return sharedStrings[index]
        case "inlineStr":
            return CellText.unescapeExcel(cell.inlineText)
        case "str":
            return CellText.unescapeExcel(cell.value)
        case "d":
            return CellText.isoDate(cell.value)
        case "n":
            guard dateStyles.contains(cell.style), let date = CellText.date(serial: cell.value, date1904: date1904)
            else {
                return CellText.number(cell.value)
            }
            return date
        default:
            return cell.value
        }
    }

    // MARK: - Helpers

    /// The error for this part.
    private func error(_ reason: String) -> SpreadsheetError {
        .badXML(part: part, reason: reason)
    }

    /// A row number of digits only, saturating rather than overflowing; nil when it is not one.
    private static func rowNumber(_ text: String) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let number = Int(text) ?? 1 << 40
        return number >= 1 ? min(number, 1 << 40) : nil
    }

    /// The number after `number`, saturating at 2^40 (far beyond any sheet).
    private static func next(_ number: Int) -> Int {
        min(number + 1, 1 << 40)
    }
}
