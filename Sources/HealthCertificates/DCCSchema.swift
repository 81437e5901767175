import Foundation

/// The hcert JSON schema (ehn-dcc-schema, draft 2020-12), applied to the CBOR payload.
///
/// Implements the keywords the DCC schema uses: `type`, `required`, `properties`, `items`, `minItems`,
/// `maxItems`, `maxLength`, `minimum`, `pattern`, `format` (date, date-time), `anyOf`, `oneOf` and
/// local `$ref`. Annotations (`description`, `examples`, `valueset-uri`, …) are ignored. The schema is
/// compiled once into a tree of nodes with its references resolved, and the schema's four patterns are
/// matched natively (others through `NSRegularExpression`): a check costs microseconds, as a verifier
/// checking every certificate at a gate needs.
public struct DCCSchema: Sendable {
    /// How strict a check is: issue strictly, accept tolerantly.
    public enum Mode: Sendable {
        /// Dates are full dates (`YYYY-MM-DD`) and date-times are RFC 3339, as the schema says.
        case issuing
        /// Also accepts a date-time where a date is expected (some countries issued those; verifiers
        /// accept them).
        case accepting
    }

    let root: Node

    /// Schema 1.3.0: what Vietnam issued, and what we issue.
    public static let v1_3_0 = DCCSchema(resource: "DCC.combined-schema-1.3.0")
    /// Schema 1.3.3: the latest, which also admits a name with only a given name.
    public static let v1_3_3 = DCCSchema(resource: "DCC.combined-schema-1.3.3")

    init(resource: String) {
        guard let url = Bundle.module.url(forResource: resource, withExtension: "json", subdirectory: "schema"),
            let data = try? Data(contentsOf: url),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { preconditionFailure("the bundled schema \(resource) is missing or not JSON") }
        var compiler = Compiler(document: json)
        root = compiler.compile(json)
    }

    /// The first violation found, as "path: what is wrong"; nil when the payload conforms.
    public func violation(of payload: CBOR, mode: Mode) -> String? {
        if let problem = root.check(payload, mode: mode, depth: 0) {
            return "$" + problem.path.reversed().joined() + ": " + problem.message
        }
        // The schema checks the birth date's shape only; an issuer also refuses a day that does not exist.
        if mode == .issuing, let dob = payload["dob"]?.text, dob.utf8.count == 10, !Self.isDate(dob) {
            return "$.dob: \(dob) is not a calendar date"
        }
        return nil
    }

    struct Problem {
        /// Path components, innermost first (".nam", "[0]"), joined in reverse when reported.
        var path: [String]
        var message: String

        init(_ message: String) {
            path = []
            self.message = message
        }
    }

    enum ValueType: String {
        case object, array, string, integer, number, boolean, null
    }

    /// A compiled schema node.
    final class Node: @unchecked Sendable {
        var reference: Node?
        var type: ValueType?
        var anyOf: [Node] = []
        var oneOf: [Node] = []
        var required: [String] = []
        var properties: [String: Node] = [:]
        var items: Node?
        var minItems: Int?
        var maxItems: Int?
        var maxLength: Int?
        var minimum: Double?
        var pattern: Pattern?
        var format: String?

        func check(_ value: CBOR, mode: Mode, depth: Int) -> Problem? {
            guard depth < 64 else { return Problem("the schema nests too deeply") }
            if let reference, let problem = reference.check(value, mode: mode, depth: depth + 1) { return problem }
            if let type, !Self.matches(value, type) {
                return Problem(
                    "expected \(type == .object || type == .array || type == .integer ? "an" : "a") \(type.rawValue)"
                )
            }
            if !anyOf.isEmpty {
                var first: Problem?
                var matched = false
                for option in anyOf {
                    if let problem = option.check(value, mode: mode, depth: depth + 1) {
                        first = first ?? problem
                    } else {
                        matched = true
                        break
                    }
                }
                if !matched { return first ?? Problem("matches none of anyOf") }
            }
            if !oneOf.isEmpty {
                var first: Problem?
                var matches = 0
                for option in oneOf {
                    if let problem = option.check(value, mode: mode, depth: depth + 1) {
                        first = first ?? problem
                    } else {
                        matches += 1
                    }
                }
                if matches == 0 { return first ?? Problem("matches none of oneOf") }
                if matches > 1 { return Problem("matches \(matches) alternatives where exactly one is allowed") }
            }
            switch value {
            case .map(let pairs):
                for key in required where !pairs.contains(where: { $0.key.text == key }) {
                    return Problem("\(key) is required")
                }
                if !properties.isEmpty {
                    for pair in pairs {
                        guard let key = pair.key.text, let sub = properties[key] else { continue }
                        if var problem = sub.check(pair.value, mode: mode, depth: depth + 1) {
                            problem.path.append("." + key)
                            return problem
                        }
                    }
                }
            case .array(let elements):
                if let minItems, elements.count < minItems {
                    return Problem("at least \(minItems) item\(minItems == 1 ? "" : "s") expected")
                }
                if let maxItems, elements.count > maxItems {
                    return Problem("at most \(maxItems) item\(maxItems == 1 ? "" : "s") allowed")
                }
                if let items {
                    for (i, element) in elements.enumerated() {
                        if var problem = items.check(element, mode: mode, depth: depth + 1) {
                            problem.path.append("[\(i)]")
                            return problem
                        }
                    }
                }
            case .text(let text):
                if let maxLength, text.unicodeScalars.count > maxLength {
                    return Problem("longer than \(maxLength) characters")
                }
                if let pattern, !pattern.matches(text) {
                    return Problem("does not match \(pattern.source)")
                }
                if let format, !DCCSchema.matches(text, format: format, mode: mode) {
                    return Problem("not a valid \(format)")
                }
            case .tagged(_, let inner):
                return check(inner, mode: mode, depth: depth + 1)
            default:
                if let minimum, let number = Self.number(value), number < minimum {
                    return Problem("less than \(minimum)")
                }
            }
            return nil
        }

        static func number(_ value: CBOR) -> Double? {
            switch value.untagged {
            case .unsigned(let n): Double(n)
            case .negative(let n): -1 - Double(n)
            case .double(let d): d
            default: nil
            }
        }

        static func matches(_ value: CBOR, _ type: ValueType) -> Bool {
            switch (type, value.untagged) {
            case (.object, .map(let pairs)): pairs.allSatisfy { $0.key.text != nil }
            case (.array, .array): true
            case (.string, .text): true
            case (.integer, .unsigned), (.integer, .negative): true
            case (.integer, .double(let d)): d.rounded() == d
            case (.number, let v): number(v) != nil
            case (.boolean, .bool): true
            case (.null, .null): true
            default: false
            }
        }
    }

    /// Builds nodes from the schema JSON, resolving each local `$ref` once.
    struct Compiler {
        let document: [String: Any]
        var resolved: [String: Node] = [:]

        mutating func compile(_ json: Any) -> Node {
            let node = Node()
            guard let object = json as? [String: Any] else { return node }
            if let ref = object["$ref"] as? String { node.reference = resolve(ref) }
            node.type = (object["type"] as? String).flatMap(ValueType.init(rawValue:))
            node.anyOf = (object["anyOf"] as? [Any] ?? []).map { compile($0) }
            node.oneOf = (object["oneOf"] as? [Any] ?? []).map { compile($0) }
            node.required = object["required"] as? [String] ?? []
            for (key, sub) in object["properties"] as? [String: Any] ?? [:] { node.properties[key] = compile(sub) }
            node.items = object["items"].map { compile($0) }
            node.minItems = object["minItems"] as? Int
            node.maxItems = object["maxItems"] as? Int
            node.maxLength = object["maxLength"] as? Int
            node.minimum = (object["minimum"] as? NSNumber)?.doubleValue
            node.pattern = (object["pattern"] as? String).map(Pattern.init)
            node.format = object["format"] as? String
            return node
        }

        mutating func resolve(_ ref: String) -> Node? {
            if let node = resolved[ref] { return node }
            guard ref.hasPrefix("#/") else { return nil }
            var target: Any = document
            for part in ref.dropFirst(2).split(separator: "/") {
                guard let object = target as? [String: Any], let next = object[String(part)] else { return nil }
                target = next
            }
            let node = compile(target)
            resolved[ref] = node
            return node
        }
    }

    /// A `pattern`: the DCC schema's four are matched by hand-written code that does what the regular
    /// expression says; any other goes to `NSRegularExpression` (immutable, safe to share).
    struct Pattern: @unchecked Sendable {
        let source: String
        let native: (@Sendable (Substring.UTF8View) -> Bool)?
        let regex: NSRegularExpression?

        init(_ source: String) {
            self.source = source
            native = Self.natives[source]
            regex = native == nil ? try? NSRegularExpression(pattern: source) : nil
        }

        func matches(_ text: String) -> Bool {
            if let native { return native(Substring(text).utf8) }
            guard let regex else { return false }
            return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }

        static func isDigit(_ c: UInt8) -> Bool { (0x30...0x39).contains(c) }
        static func isUpper(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) }

        static let natives: [String: @Sendable (Substring.UTF8View) -> Bool] = [
            // Unanchored: somewhere one to ten capital letters, i.e. at least one.
            "[A-Z]{1,10}": { $0.contains(where: isUpper) },
            "^[A-Z<]*$": { $0.allSatisfy { isUpper($0) || $0 == 0x3C } },
            // Digits, any character, digits, any character, digits ("." is not escaped in the schema).
            #"^\d+.\d+.\d+$"#: { digitsAnyDigitsAnyDigits(Array($0), groups: 3) },
            // Empty, or 19xx/20xx with up to two "-dd" parts.
            #"^((19|20)\d\d(-\d\d){0,2}){0,1}$"#: { text in
                let b = Array(text)
                if b.isEmpty { return true }
                guard b.count == 4 || b.count == 7 || b.count == 10,
                    (b[0] == 0x31 && b[1] == 0x39) || (b[0] == 0x32 && b[1] == 0x30),
                    isDigit(b[2]), isDigit(b[3])
                else { return false }
                var i = 4
                while i < b.count {
                    guard b[i] == 0x2D, isDigit(b[i + 1]), isDigit(b[i + 2]) else { return false }
                    i += 3
                }
                return true
            },
        ]

        /// `groups` runs of ASCII digits separated by one character that is not a newline, filling `b`.
        static func digitsAnyDigitsAnyDigits(_ b: [UInt8], groups: Int, from start: Int = 0) -> Bool {
            var end = start
            while end < b.count && isDigit(b[end]) {
                end += 1
                if groups == 1 {
                    if end == b.count { return true }
                } else if end < b.count, b[end] != 0x0A,
                    digitsAnyDigitsAnyDigits(b, groups: groups - 1, from: end + 1)
                {
                    return true
                }
            }
            return false
        }
    }

    static func matches(_ text: String, format: String, mode: Mode) -> Bool {
        switch format {
        case "date":
            if isDate(text) { return true }
            // Tolerated on input: a date-time where a date is expected.
            return mode == .accepting && text.utf8.count > 10 && isDateTime(text)
        case "date-time":
            return isDateTime(text)
        default:
            return true
        }
    }

    /// YYYY-MM-DD, a day that exists.
    static func isDate(_ text: some StringProtocol) -> Bool {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return false }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard Pattern.isDigit(b[i]) else { return nil }
                n = n * 10 + Int(b[i] - 0x30)
            }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), (1...12).contains(m), d >= 1 else {
            return false
        }
        let days = [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return d <= days[m - 1]
    }

    /// RFC 3339 date-time: a date, "T" (or t, or a space), hh:mm:ss with an optional fraction, and "Z" or
    /// an offset (±hh:mm or ±hhmm).
    static func isDateTime(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard b.count >= 20, isDate(text.prefix(10)), b[10] == 0x54 || b[10] == 0x74 || b[10] == 0x20 else {
            return false
        }
        func two(_ i: Int, max: Int) -> Bool {
            i + 1 < b.count && Pattern.isDigit(b[i]) && Pattern.isDigit(b[i + 1])
                && Int(b[i] - 0x30) * 10 + Int(b[i + 1] - 0x30) <= max
        }
        guard two(11, max: 23), b[13] == 0x3A, two(14, max: 59), b[16] == 0x3A, two(17, max: 60) else { return false }
        var i = 19
        if i < b.count, b[i] == 0x2E {
            i += 1
            let digits = i
            while i < b.count, Pattern.isDigit(b[i]) { i += 1 }
            guard i > digits else { return false }
        }
        guard i < b.count else { return false }
        if b[i] == 0x5A || b[i] == 0x7A { return i + 1 == b.count }
        guard b[i] == 0x2B || b[i] == 0x2D, two(i + 1, max: 23) else { return false }
        i += 3
        if i < b.count, b[i] == 0x3A { i += 1 }
        return two(i, max: 59) && i + 2 == b.count
    }
}
