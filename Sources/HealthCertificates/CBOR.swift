import Foundation

/// A CBOR data item (RFC 8949), with the subset the health-certificate standards need.
///
/// Maps keep their order as received, so a decoded item re-encodes to the same bytes when the input
/// was deterministic; ``CBOR/encoded()`` always writes definite lengths and the shortest heads.
public enum CBOR: Hashable, Sendable {
    case unsigned(UInt64)
    /// A negative integer: the value is `-1 - n`.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([Pair])
    indirect case tagged(UInt64, CBOR)
    case bool(Bool)
    case null
    case undefined
    case simple(UInt8)
    case double(Double)

    public struct Pair: Hashable, Sendable {
        public var key: CBOR
        public var value: CBOR
        public init(_ key: CBOR, _ value: CBOR) {
            self.key = key
            self.value = value
        }
    }

    public static func int(_ value: Int64) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }

    /// The integer value, when it fits an `Int64`.
    public var int: Int64? {
        switch self {
        case .unsigned(let n): n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: nil
        }
    }

    public var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }

    public var bytes: [UInt8]? {
        if case .bytes(let b) = self { return b }
        return nil
    }

    public var array: [CBOR]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var pairs: [Pair]? {
        if case .map(let m) = self { return m }
        return nil
    }

    /// The item with its tags removed.
    public var untagged: CBOR {
        var item = self
        while case .tagged(_, let inner) = item { item = inner }
        return item
    }

    /// The value under `key` in a map (the first one, if a hostile map repeats a key).
    public subscript(key: CBOR) -> CBOR? {
        guard case .map(let pairs) = self else { return nil }
        return pairs.first { $0.key == key }?.value
    }

    public subscript(key: String) -> CBOR? { self[.text(key)] }
    public subscript(label: Int64) -> CBOR? { self[.int(label)] }
}

// MARK: - Encoding

extension CBOR {
    /// The item encoded with definite lengths and the shortest argument encodings.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    func encode(into out: inout [UInt8]) {
        switch self {
        case .unsigned(let n): Self.head(0, n, into: &out)
        case .negative(let n): Self.head(1, n, into: &out)
        case .bytes(let b):
            Self.head(2, UInt64(b.count), into: &out)
            out += b
        case .text(let s):
            let utf8 = Array(s.utf8)
            Self.head(3, UInt64(utf8.count), into: &out)
            out += utf8
        case .array(let items):
            Self.head(4, UInt64(items.count), into: &out)
            for item in items { item.encode(into: &out) }
        case .map(let pairs):
            Self.head(5, UInt64(pairs.count), into: &out)
            for pair in pairs {
                pair.key.encode(into: &out)
                pair.value.encode(into: &out)
            }
        case .tagged(let tag, let item):
            Self.head(6, tag, into: &out)
            item.encode(into: &out)
        case .bool(let b): out.append(b ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        case .undefined: out.append(0xF7)
        case .simple(let v):
            if v < 24 {
                out.append(0xE0 | v)
            } else {
                out += [0xF8, v]
            }
        case .double(let d):
            if let half = Self.exactHalf(d) {
                out += [0xF9, UInt8(half >> 8), UInt8(half & 0xFF)]
            } else if Double(Float(d)) == d || d.isNaN {
                out.append(0xFA)
                let bits = Float(d).bitPattern
                for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((bits >> UInt32(shift)) & 0xFF)) }
            } else {
                out.append(0xFB)
                let bits = d.bitPattern
                for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((bits >> UInt64(shift)) & 0xFF)) }
            }
        }
    }

    static func head(_ major: UInt8, _ argument: UInt64, into out: inout [UInt8]) {
        let m = major << 5
        switch argument {
        case ..<24: out.append(m | UInt8(argument))
        case ...0xFF: out += [m | 24, UInt8(argument)]
        case ...0xFFFF: out += [m | 25, UInt8(argument >> 8), UInt8(argument & 0xFF)]
        case ...0xFFFF_FFFF:
            out.append(m | 26)
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((argument >> UInt64(shift)) & 0xFF)) }
        default:
            out.append(m | 27)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((argument >> UInt64(shift)) & 0xFF)) }
        }
    }

    /// The IEEE half-precision bits of `d` when that represents it exactly.
    static func exactHalf(_ d: Double) -> UInt16? {
        #if arch(x86_64) || arch(arm64)
        if d.isNaN { return 0x7E00 }
        let f = Float16(d)
        return Double(f) == d ? f.bitPattern : nil
        #else
        return nil
        #endif
    }
}

// MARK: - Decoding

/// Why bytes are not a CBOR item we accept.
public struct CBORError: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public let offset: Int
    public var description: String { "CBOR: \(reason) at byte \(offset)" }
}

extension CBOR {
    /// Limits that keep a hostile input from exhausting the stack or memory.
    public struct Limits: Sendable {
        public var maxDepth: Int
        public var maxItems: Int
        public init(maxDepth: Int = 32, maxItems: Int = 100_000) {
            self.maxDepth = maxDepth
            self.maxItems = maxItems
        }
    }

    /// Decodes exactly one item that fills `bytes`. Tolerant: indefinite lengths, any tags, non-shortest
    /// heads and floats of every width are accepted; trailing bytes, truncation, invalid UTF-8 and
    /// reserved values are not.
    public static func decode(_ bytes: [UInt8], limits: Limits = Limits()) throws(CBORError) -> CBOR {
        try bytes.withUnsafeBufferPointer { (buffer) throws(CBORError) -> CBOR in
            var reader = Reader(bytes: buffer, limits: limits)
            let item = try reader.item(depth: 0)
            guard reader.offset == buffer.count else {
                throw CBORError(reason: "\(buffer.count - reader.offset) bytes after the item", offset: reader.offset)
            }
            return item
        }
    }

    /// Reads items from memory that outlives it (the buffer of `decode`'s array).
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let limits: Limits
        var offset = 0
        var items = 0

        init(bytes: UnsafeBufferPointer<UInt8>, limits: Limits) {
            self.bytes = bytes
            self.limits = limits
        }

        func fail(_ reason: String) -> CBORError { CBORError(reason: reason, offset: offset) }

        mutating func byte() throws(CBORError) -> UInt8 {
            guard offset < bytes.count else { throw fail("unexpected end") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func take(_ count: UInt64) throws(CBORError) -> Slice<UnsafeBufferPointer<UInt8>> {
            guard count <= UInt64(bytes.count - offset) else { throw fail("length \(count) runs past the end") }
            defer { offset += Int(count) }
            return bytes[offset..<offset + Int(count)]
        }

        /// The argument of a head; nil for the indefinite-length marker (additional information 31).
        mutating func argument(_ info: UInt8) throws(CBORError) -> UInt64? {
            switch info {
            case ..<24: return UInt64(info)
            case 24...27:
                var value: UInt64 = 0
                for b in try take(1 << UInt64(info - 24)) { value = value << 8 | UInt64(b) }
                return value
            case 31: return nil
            default: throw fail("reserved additional information \(info)")
            }
        }

        mutating func item(depth: Int) throws(CBORError) -> CBOR {
            guard depth <= limits.maxDepth else { throw fail("nested deeper than \(limits.maxDepth)") }
            items += 1
            guard items <= limits.maxItems else { throw fail("more than \(limits.maxItems) items") }
            let start = offset
            let initial = try byte()
            let major = initial >> 5
            let info = initial & 0x1F
            if major == 7 { return try simpleOrFloat(info) }
            let arg = try argument(info)
            switch major {
            case 0:
                guard let arg else { throw CBORError(reason: "indefinite integer", offset: start) }
                return .unsigned(arg)
            case 1:
                guard let arg else { throw CBORError(reason: "indefinite integer", offset: start) }
                return .negative(arg)
            case 2:
                return .bytes(try string(major: 2, arg))
            case 3:
                let text: String?
                if let arg {
                    text = String(validating: try take(arg), as: UTF8.self)
                } else {
                    text = String(validating: try string(major: 3, nil), as: UTF8.self)
                }
                guard let text else { throw CBORError(reason: "text is not valid UTF-8", offset: start) }
                return .text(text)
            case 4:
                var items: [CBOR] = []
                if let arg {
                    guard arg <= UInt64(bytes.count - offset) else {
                        throw fail("array of \(arg) items runs past the end")
                    }
                    items.reserveCapacity(Int(arg))
                    for _ in 0..<arg { items.append(try item(depth: depth + 1)) }
                } else {
                    while try !atBreak() { items.append(try item(depth: depth + 1)) }
                }
                return .array(items)
            case 5:
                var pairs: [Pair] = []
                if let arg {
                    guard arg <= UInt64(bytes.count - offset) / 2 else {
                        throw fail("map of \(arg) pairs runs past the end")
                    }
                    for _ in 0..<arg { pairs.append(Pair(try item(depth: depth + 1), try item(depth: depth + 1))) }
                } else {
                    while try !atBreak() { pairs.append(Pair(try item(depth: depth + 1), try item(depth: depth + 1))) }
                }
                return .map(pairs)
            default:  // 6: tag
                guard let arg else { throw CBORError(reason: "indefinite tag", offset: start) }
                return .tagged(arg, try item(depth: depth + 1))
            }
        }

        /// Consumes a break byte (0xFF) if it is next.
        mutating func atBreak() throws(CBORError) -> Bool {
            guard offset < bytes.count else { throw fail("unexpected end inside an indefinite-length item") }
            if bytes[offset] == 0xFF {
                offset += 1
                return true
            }
            return false
        }

        mutating func string(major: UInt8, _ arg: UInt64?) throws(CBORError) -> [UInt8] {
            if let arg { return Array(try take(arg)) }
            var out: [UInt8] = []
            while try !atBreak() {
                let chunkStart = offset
                let initial = try byte()
                guard initial >> 5 == major, let length = try argument(initial & 0x1F) else {
                    throw CBORError(
                        reason: "a chunk of an indefinite string must be a definite string of the same type",
                        offset: chunkStart
                    )
                }
                out += try take(length)
            }
            return out
        }

        mutating func simpleOrFloat(_ info: UInt8) throws(CBORError) -> CBOR {
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: return .undefined
            case ..<20: return .simple(info)
            case 24:
                let v = try byte()
                guard v >= 32 else { throw fail("simple value \(v) in two bytes") }
                return .simple(v)
            case 25:
                let b = try take(2)
                let bits = UInt16(b[b.startIndex]) << 8 | UInt16(b[b.startIndex + 1])
                return .double(Self.half(bits))
            case 26:
                var bits: UInt32 = 0
                for b in try take(4) { bits = bits << 8 | UInt32(b) }
                return .double(Double(Float(bitPattern: bits)))
            case 27:
                var bits: UInt64 = 0
                for b in try take(8) { bits = bits << 8 | UInt64(b) }
                return .double(Double(bitPattern: bits))
            case 31: throw fail("unexpected break")
            default: throw fail("reserved simple value \(info)")
            }
        }

        static func half(_ bits: UInt16) -> Double {
            let exponent = Int((bits >> 10) & 0x1F)
            let mantissa = Double(bits & 0x3FF)
            let value: Double =
                switch exponent {
                case 0: mantissa * 0x1p-24
                case 31: mantissa == 0 ? .infinity : .nan
                default: (1 + mantissa / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
                }
            return bits & 0x8000 != 0 ? -value : value
        }
    }
}
