import Foundation

/// A JSON value, for showing decoded certificate content and for SMART Health Card payloads.
public indirect enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? container.decode(Double.self) {
            self = .number(n)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .number(let n):
            if n.rounded() == n, abs(n) < 1e15 { try container.encode(Int64(n)) } else { try container.encode(n) }
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The CBOR item as JSON: byte strings become base64, tags are dropped, non-text keys become text.
    public init(_ cbor: CBOR) {
        switch cbor {
        case .unsigned(let n): self = .number(Double(n))
        case .negative(let n): self = .number(-1 - Double(n))
        case .bytes(let b): self = .string(Data(b).base64EncodedString())
        case .text(let s): self = .string(s)
        case .array(let items): self = .array(items.map(JSONValue.init))
        case .map(let pairs):
            var object: [String: JSONValue] = [:]
            for pair in pairs {
                let key: String =
                    switch pair.key {
                    case .text(let s): s
                    case let other: other.int.map(String.init) ?? "\(other)"
                    }
                if object[key] == nil { object[key] = JSONValue(pair.value) }
            }
            self = .object(object)
        case .tagged(_, let inner): self = JSONValue(inner)
        case .bool(let b): self = .bool(b)
        case .null, .undefined, .simple: self = .null
        case .double(let d): self = d.isFinite ? .number(d) : .null
        }
    }

    /// Compact JSON with sorted keys.
    public func encoded(pretty: Bool = false) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }
}
