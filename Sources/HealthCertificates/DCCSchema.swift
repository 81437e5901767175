import Foundation

/// The hcert JSON schema (ehn-dcc-schema, draft 2020-12), applied to the CBOR payload.
///
/// Implements the keywords the DCC schema uses: `type`, `required`, `properties`, `items`, `minItems`,
/// `maxItems`, `maxLength`, `minimum`, `pattern`, `format` (date, date-time), `anyOf`, `oneOf` and
/// local `$ref`. Annotations (`description`, `examples`, `valueset-uri`, …) are ignored.
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
            let data = try? Data(contentsOf: url), let json = try? JSONSerialization.jsonObject(with: data)
        else { preconditionFailure("the bundled schema \(resource) is missing or not JSON") }
        root = Node(json)
    }

    /// The first violation found, as "path: what is wrong"; nil when the payload conforms.
    public func violation(of payload: CBOR, mode: Mode) -> String? {
        var context = Context(root: root, mode: mode)
        if let problem = context.check(payload, against: root, path: "$") { return problem }
        // The schema checks the birth date's shape only; an issuer also refuses a day that does not exist.
        if mode == .issuing, let dob = payload["dob"]?.text, dob.count == 10, !Context.isDate(dob) {
            return "$.dob: \(dob) is not a calendar date"
        }
        return nil
    }

    /// A schema node: the parsed JSON object.
    struct Node: @unchecked Sendable {
        let object: [String: Any]
        init(_ json: Any) { object = json as? [String: Any] ?? [:] }
        subscript(key: String) -> Any? { object[key] }
    }

    struct Context {
        let root: Node
        let mode: Mode
        var depth = 0

        mutating func check(_ value: CBOR, against schema: Node, path: String) -> String? {
            depth += 1
            defer { depth -= 1 }
            guard depth < 64 else { return "\(path): the schema nests too deeply" }
            if let ref = schema["$ref"] as? String {
                guard let target = resolve(ref) else { return "\(path): unknown schema reference \(ref)" }
                if let problem = check(value, against: target, path: path) { return problem }
            }
            if let type = schema["type"] as? String, !Self.matches(value, type: type) {
                return "\(path): expected \(type == "object" ? "an" : "a") \(type)"
            }
            if let anyOf = schema["anyOf"] as? [Any] {
                var first: String?
                var matched = false
                for option in anyOf {
                    if let problem = check(value, against: Node(option), path: path) {
                        first = first ?? problem
                    } else {
                        matched = true
                        break
                    }
                }
                if !matched { return first ?? "\(path): matches none of anyOf" }
            }
            if let oneOf = schema["oneOf"] as? [Any] {
                var problems: [String] = []
                for option in oneOf {
                    if let problem = check(value, against: Node(option), path: path) { problems.append(problem) }
                }
                let matches = oneOf.count - problems.count
                if matches == 0 { return problems.first ?? "\(path): matches none of oneOf" }
                if matches > 1 { return "\(path): matches \(matches) alternatives where exactly one is allowed" }
            }
            switch value.untagged {
            case .map(let pairs):
                for key in schema["required"] as? [String] ?? [] where !pairs.contains(where: { $0.key == .text(key) })
                {
                    return "\(path): \(key) is required"
                }
                if let properties = schema["properties"] as? [String: Any] {
                    for pair in pairs {
                        guard let key = pair.key.text, let sub = properties[key] else { continue }
                        if let problem = check(pair.value, against: Node(sub), path: "\(path).\(key)") {
                            return problem
                        }
                    }
                }
            case .array(let items):
                if let min = schema["minItems"] as? Int, items.count < min {
                    return "\(path): at least \(min) item\(min == 1 ? "" : "s") expected"
                }
                if let max = schema["maxItems"] as? Int, items.count > max {
                    return "\(path): at most \(max) item\(max == 1 ? "" : "s") allowed"
                }
                if let sub = schema["items"] {
                    for (i, item) in items.enumerated() {
                        if let problem = check(item, against: Node(sub), path: "\(path)[\(i)]") { return problem }
                    }
                }
            case .text(let text):
                if let max = schema["maxLength"] as? Int, text.unicodeScalars.count > max {
                    return "\(path): longer than \(max) characters"
                }
                if let pattern = schema["pattern"] as? String, !Self.matches(text, pattern: pattern) {
                    return "\(path): does not match \(pattern)"
                }
                if let format = schema["format"] as? String, !Self.matches(text, format: format, mode: mode) {
                    return "\(path): not a valid \(format)"
                }
            default:
                if let minimum = schema["minimum"] as? Double, let number = Self.number(value), number < minimum {
                    return "\(path): less than \(minimum)"
                }
            }
            return nil
        }

        func resolve(_ ref: String) -> Node? {
            guard ref.hasPrefix("#/") else { return nil }
            var node: Any = root.object
            for part in ref.dropFirst(2).split(separator: "/") {
                guard let object = node as? [String: Any], let next = object[String(part)] else { return nil }
                node = next
            }
            return Node(node)
        }

        static func number(_ value: CBOR) -> Double? {
            switch value.untagged {
            case .unsigned(let n): Double(n)
            case .negative(let n): -1 - Double(n)
            case .double(let d): d
            default: nil
            }
        }

        static func matches(_ value: CBOR, type: String) -> Bool {
            switch (type, value.untagged) {
            case ("object", .map(let pairs)): pairs.allSatisfy { $0.key.text != nil }
            case ("array", .array): true
            case ("string", .text): true
            case ("integer", .unsigned), ("integer", .negative): true
            case ("integer", .double(let d)): d.rounded() == d
            case ("number", let v): number(v) != nil
            case ("boolean", .bool): true
            case ("null", .null): true
            default: false
            }
        }

        nonisolated(unsafe) static var patterns: [String: NSRegularExpression] = [:]
        static let patternLock = NSLock()

        static func matches(_ text: String, pattern: String) -> Bool {
            patternLock.lock()
            defer { patternLock.unlock() }
            let regex: NSRegularExpression
            if let cached = patterns[pattern] {
                regex = cached
            } else {
                guard let compiled = try? NSRegularExpression(pattern: pattern) else { return false }
                patterns[pattern] = compiled
                regex = compiled
            }
            return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }

        static func matches(_ text: String, format: String, mode: Mode) -> Bool {
            switch format {
            case "date":
                if isDate(text) { return true }
                // Tolerated on input: a date-time where a date is expected.
                return mode == .accepting && text.count > 10 && isDate(String(text.prefix(10)))
                    && isDateTime(text)
            case "date-time":
                return isDateTime(text)
            default:
                return true
            }
        }

        static func isDate(_ text: String) -> Bool {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard text.utf8.count == 10, parts.count == 3, parts[0].count == 4, parts[1].count == 2,
                parts[2].count == 2,
                let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), d >= 1
            else { return false }
            let days = [
                31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
            ]
            return d <= days[m - 1]
        }

        /// RFC 3339 date-time: a date, "T", hh:mm:ss with optional fraction, and "Z" or an offset.
        static func isDateTime(_ text: String) -> Bool {
            guard text.count >= 20, isDate(String(text.prefix(10))) else { return false }
            return matches(
                String(text.dropFirst(10)),
                pattern: #"^[Tt ]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):?[0-5]\d)$"#
            )
        }
    }
}
