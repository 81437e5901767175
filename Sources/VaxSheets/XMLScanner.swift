/// The attributes of one element, by local name (without namespace prefix).
struct XMLAttributes {
    /// Name and value pairs in document order.
    var pairs: [(name: String, value: String)] = []

    /// The value of the attribute with local name `name`, if present.
    subscript(_ name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }
}

/// What an `XMLScanner` reports to. Element and attribute names arrive without their namespace prefix.
protocol XMLHandler {
    /// Whether text is wanted at this point; unwanted text is skipped without being decoded.
    var wantsText: Bool { get }
    /// An element starts (a self-closing element also ends at once).
    mutating func start(_ name: String, attributes: XMLAttributes) throws(SpreadsheetError)
    /// An element ends.
    mutating func end(_ name: String) throws(SpreadsheetError)
    /// Text inside the current element, entities decoded and line ends normalised; may come in several pieces.
    mutating func text(_ text: String) throws(SpreadsheetError)
}

/// A small, strict, non-validating XML scanner for the parts of an XLSX workbook.
///
/// It checks what matters for safety and correctness (tags nest and close, attributes are quoted, entities are
/// the predefined or numeric ones, text is UTF-8) and refuses document type declarations, so no entity can expand.
/// It never recurses, so deep nesting cannot exhaust the stack.
struct XMLScanner {
    private let bytes: [UInt8]
    private let part: String
    private var position = 0
    private var open: [ArraySlice<UInt8>] = []
    private var sawRoot = false

    /// A scanner over the bytes of `part` (the part's name is used in error messages).
    init(_ bytes: [UInt8], part: String) {
        self.bytes = bytes
        self.part = part
    }

    /// Scans the whole document, reporting to `handler`.
    mutating func scan<Handler: XMLHandler>(into handler: inout Handler) throws(SpreadsheetError) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            position = 3
        }
        while position < bytes.count {
            if bytes[position] == UInt8(ascii: "<") {
                try markup(&handler)
            } else {
                try text(&handler)
            }
        }
        if let unclosed = open.last { throw error("<\(String(decoding: unclosed, as: UTF8.self))> is never closed") }
        if !sawRoot { throw error("it has no elements") }
    }

    // MARK: - Markup

    /// Scans the markup starting at `<`.
    private mutating func markup<Handler: XMLHandler>(_ handler: inout Handler) throws(SpreadsheetError) {
        let next = position + 1 < bytes.count ? bytes[position + 1] : 0
        if next == UInt8(ascii: "/") {
            try endTag(&handler)
        } else if next == UInt8(ascii: "?") {
            try skip(past: "?>")
        } else if next != UInt8(ascii: "!") {
            try startTag(&handler)
        } else if hasPrefix("<!--") {
            try skip(past: "-->")
        } else if hasPrefix("<![CDATA[") {
            try cdata(&handler)
        } else {
            throw error("it has a document type declaration, which a workbook never has")
        }
    }

    /// Scans `<name attributes>` or `<name attributes/>`.
    private mutating func startTag<Handler: XMLHandler>(_ handler: inout Handler) throws(SpreadsheetError) {
        position += 1
        let name = try nameBytes()
        var attributes = XMLAttributes()
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw error("it ends inside a tag") }
            if bytes[position] == UInt8(ascii: ">") {
                position += 1
                open.append(name)
                sawRoot = true
                try handler.start(Self.localName(name), attributes: attributes)
                return
            }
            if hasPrefix("/>") {
                position += 2
                sawRoot = true
                try handler.start(Self.localName(name), attributes: attributes)
                try handler.end(Self.localName(name))
                return
            }
            attributes.pairs.append(try attribute())
        }
    }

    /// Scans `</name>`, which must close the innermost open element.
    private mutating func endTag<Handler: XMLHandler>(_ handler: inout Handler) throws(SpreadsheetError) {
        position += 2
        let name = try nameBytes()
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: ">") else {
            throw error("an end tag is not closed with >")
        }
        position += 1
        guard let innermost = open.popLast(), innermost.elementsEqual(name) else {
            throw error("</\(String(decoding: name, as: UTF8.self))> does not match the open element")
        }
        try handler.end(Self.localName(name))
    }

    /// Scans `name="value"` or `name='value'`.
    private mutating func attribute() throws(SpreadsheetError) -> (name: String, value: String) {
        let name = try nameBytes()
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "=") else {
            throw error("an attribute has no value")
        }
        position += 1
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'")
        else {
            throw error("an attribute value is not quoted")
        }
        let quote = bytes[position]
        let start = position + 1
        guard let end = bytes[start...].firstIndex(of: quote) else { throw error("an attribute value is not closed") }
        let raw = bytes[start..<end]
        if raw.contains(UInt8(ascii: "<")) { throw error("an attribute value contains <") }
        position = end + 1
        return (Self.localName(name), try decode(raw))
    }

    /// Scans `<![CDATA[...]]>`, whose content is text taken literally.
    private mutating func cdata<Handler: XMLHandler>(_ handler: inout Handler) throws(SpreadsheetError) {
        guard !open.isEmpty else { throw error("it has character data outside the root element") }
        let start = position + 9
        position = start
        try skip(past: "]]>")
        guard handler.wantsText else { return }
        let content = Self.normaliseLineEnds(bytes[start..<position - 3])
        guard let text = String(validating: content, as: UTF8.self) else { throw error("its text is not UTF-8") }
        try handler.text(text)
    }

    /// Scans the text up to the next `<`.
    private mutating func text<Handler: XMLHandler>(_ handler: inout Handler) throws(SpreadsheetError) {
        let start = position
        position = bytes[start...].firstIndex(of: UInt8(ascii: "<")) ?? bytes.count
        guard !open.isEmpty, handler.wantsText else { return }
        try handler.text(try decode(bytes[start..<position]))
    }

    // MARK: - Pieces

    /// The bytes of a name, which runs up to whitespace, `/`, `>`, `=` or `<`.
    private mutating func nameBytes() throws(SpreadsheetError) -> ArraySlice<UInt8> {
        let start = position
        while position < bytes.count, !Self.endsName(bytes[position]) {
            position += 1
        }
        guard position > start else { throw error("a tag or attribute has no name") }
        return bytes[start..<position]
    }

    /// Moves past the next occurrence of `terminator`.
    private mutating func skip(past terminator: String) throws(SpreadsheetError) {
        let pattern = Array(terminator.utf8)
        var index = position
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0], bytes[index..<index + pattern.count].elementsEqual(pattern) {
                position = index + pattern.count
                return
            }
            index += 1
        }
        throw error("it ends before \(terminator)")
    }

    /// Moves past spaces, tabs and line ends.
    private mutating func skipWhitespace() {
        while position < bytes.count, Self.isWhitespace(bytes[position]) {
            position += 1
        }
    }

    /// Whether the bytes at the current position start with `prefix`.
    private func hasPrefix(_ prefix: String) -> Bool {
        bytes[position...].starts(with: prefix.utf8)
    }

    /// `raw` with entities decoded and line ends normalised, as UTF-8 text.
    private func decode(_ raw: ArraySlice<UInt8>) throws(SpreadsheetError) -> String {
        if !raw.contains(where: { $0 == UInt8(ascii: "&") || $0 == 13 }) {
            guard let text = String(validating: raw, as: UTF8.self) else { throw error("its text is not UTF-8") }
            return text
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == UInt8(ascii: "&") {
                guard let semicolon = raw[index...].prefix(12).firstIndex(of: UInt8(ascii: ";")),
                    let scalar = Self.entity(raw[index + 1..<semicolon])
                else {
                    throw error("it has an unknown or malformed entity")
                }
                decoded.append(contentsOf: Array(String(scalar).utf8))
                index = semicolon + 1
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        guard let text = String(validating: Self.normaliseLineEnds(decoded[...]), as: UTF8.self) else {
            throw error("its text is not UTF-8")
        }
        return text
    }

    /// The error for this part.
    private func error(_ reason: String) -> SpreadsheetError {
        .badXML(part: part, reason: reason)
    }

    // MARK: - Helpers

    /// The character named by an entity body such as `amp`, `#233` or `#xE9`; nil when it is not one.
    private static func entity(_ body: ArraySlice<UInt8>) -> Unicode.Scalar? {
        switch String(decoding: body, as: UTF8.self) {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        case let name where name.hasPrefix("#x") || name.hasPrefix("#X"):
            return UInt32(name.dropFirst(2), radix: 16).flatMap(Self.allowedScalar)
        case let name where name.hasPrefix("#"):
            return UInt32(name.dropFirst(), radix: 10).flatMap(Self.allowedScalar)
        default: return nil
        }
    }

    /// The scalar for `value` unless it is NUL or not a Unicode scalar value.
    private static func allowedScalar(_ value: UInt32) -> Unicode.Scalar? {
        value == 0 ? nil : Unicode.Scalar(value)
    }

    /// `raw` with CR LF and lone CR turned into LF, as XML requires of a parser.
    private static func normaliseLineEnds(_ raw: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard raw.contains(13) else { return raw }
        var result: [UInt8] = []
        result.reserveCapacity(raw.count)
        var previousWasCR = false
        for byte in raw {
            if byte == 13 {
                result.append(10)
            } else if !(byte == 10 && previousWasCR) {
                result.append(byte)
            }
            previousWasCR = byte == 13
        }
        return result[...]
    }

    /// A name without its namespace prefix, e.g. `r:id` -> `id`.
    private static func localName(_ name: ArraySlice<UInt8>) -> String {
        let local = name.lastIndex(of: UInt8(ascii: ":")).map { name[($0 + 1)...] } ?? name
        return String(decoding: local, as: UTF8.self)
    }

    /// Whether `byte` ends a name.
    private static func endsName(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "=")
            || byte == UInt8(ascii: "<")
    }

    /// Whether `byte` is XML whitespace.
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 32 || byte == 9 || byte == 10 || byte == 13
    }
}
