/// Reads a relationships part (`_rels/*.rels`): each internal relationship's id, type and target.
struct RelationshipsHandler: XMLHandler {
    /// One relationship.
    struct Relationship {
        /// The id, e.g. "rId1".
        let id: String
        /// The type URI, e.g. ".../relationships/worksheet".
        let type: String
        /// The target as written, relative to the source part's folder or absolute from the package root.
        let target: String
    }

    /// The relationships in document order.
    private(set) var relationships: [Relationship] = []

    /// Never: relationships are read from attributes only.
    var wantsText: Bool { false }

    /// The first relationship whose type ends with `/kind` (e.g. "worksheet"), if any.
    func first(ofKind kind: String) -> Relationship? {
        relationships.first { $0.type.hasSuffix("/" + kind) }
    }

    /// The relationship with `id`, if any.
    func relationship(id: String) -> Relationship? {
        relationships.first { $0.id == id }
    }

    mutating func start(_ name: String, attributes: XMLAttributes) throws(SpreadsheetError) {
        guard name == "Relationship", attributes["TargetMode"] != "External",
            let id = attributes["Id"], let type = attributes["Type"], let target = attributes["Target"]
        else {
            return
        }
        relationships.append(Relationship(id: id, type: type, target: target))
    }

    mutating func end(_ name: String) throws(SpreadsheetError) {}

    mutating func text(_ text: String) throws(SpreadsheetError) {}
}

/// Reads xl/workbook.xml: the relationship ids of the sheets in workbook order and the date system.
struct WorkbookHandler: XMLHandler {
    /// The `r:id` of each `<sheet>`, in workbook order.
    private(set) var sheetIDs: [String] = []
    /// Whether dates count from 1904 (`<workbookPr date1904="1"/>`).
    private(set) var date1904 = false

    /// Never: the workbook is read from attributes only.
    var wantsText: Bool { false }

    mutating func start(_ name: String, attributes: XMLAttributes) throws(SpreadsheetError) {
        switch name {
        case "workbookPr":
            date1904 = ["1", "true"].contains(attributes["date1904"]?.lowercased())
        case "sheet":
            if let id = attributes["id"] {
                sheetIDs.append(id)
            }
        default:
            break
        }
    }

    mutating func end(_ name: String) throws(SpreadsheetError) {}

    mutating func text(_ text: String) throws(SpreadsheetError) {}
}

/// Reads xl/sharedStrings.xml: each `<si>` as the concatenation of its `<t>` texts (plain or rich text runs),
/// leaving out phonetic hints (`<rPh>`).
struct SharedStringsHandler: XMLHandler {
    /// The strings in order; a cell with t="s" holds an index into them.
    private(set) var strings: [String] = []
    private var current = ""
    private var inItem = false
    private var inPhonetic = false
    private var inText = false

    var wantsText: Bool { inText }

    mutating func start(_ name: String, attributes: XMLAttributes) throws(SpreadsheetError) {
        switch name {
        case "si":
            inItem = true
            current = ""
        case "rPh":
            inPhonetic = true
        case "t":
            inText = inItem && !inPhonetic
        default:
            break
        }
    }

    mutating func end(_ name: String) throws(SpreadsheetError) {
        switch name {
        case "si":
            strings.append(CellText.unescapeExcel(current))
            inItem = false
        case "rPh":
            inPhonetic = false
        case "t":
            inText = false
        default:
            break
        }
    }

    mutating func text(_ text: String) throws(SpreadsheetError) {
        current += text
    }
}
