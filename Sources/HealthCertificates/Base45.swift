/// Base45 (RFC 9285): the encoding that fits binary data into a QR code's alphanumeric mode.
public enum Base45 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func encode(_ bytes: [UInt8]) -> String {
        let count = bytes.count / 2 * 3 + bytes.count % 2 * 2
        return String(unsafeUninitializedCapacity: count) { out in
            alphabet.withUnsafeBufferPointer { alphabet in
                var o = 0
                var i = 0
                while i + 1 < bytes.count {
                    var n = Int(bytes[i]) &* 256 &+ Int(bytes[i + 1])
                    for _ in 0..<3 {
                        out[o] = alphabet[n % 45]
                        n /= 45
                        o += 1
                    }
                    i += 2
                }
                if i < bytes.count {
                    out[o] = alphabet[Int(bytes[i]) % 45]
                    out[o + 1] = alphabet[Int(bytes[i]) / 45]
                }
            }
            return count
        }
    }

    public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { "Base45: \(reason)" }
    }

    public static func decode(_ text: String) throws(DecodingError) -> [UInt8] { try decode(Substring(text)) }

    public static func decode(_ text: Substring) throws(DecodingError) -> [UInt8] {
        let count = text.utf8.count
        guard count % 3 != 1 else {
            throw DecodingError(reason: "a length of \(count) characters is not possible")
        }
        let decoded: [UInt8]? = text.utf8.withContiguousStorageIfAvailable { chars in
            values.withUnsafeBufferPointer { values in Self.decode(chars, values) }
        }.flatMap { $0 }
        if let decoded { return decoded }
        // Invalid input (or a non-contiguous string): find what is wrong, the slow way.
        var copy = Array(text.utf8)
        if let decoded = copy.withUnsafeMutableBufferPointer({ chars in
            values.withUnsafeBufferPointer { values in Self.decode(UnsafeBufferPointer(chars), values) }
        }) {
            return decoded
        }
        for (i, c) in copy.enumerated() where values[Int(c)] < 0 {
            throw DecodingError(
                reason: "'\(Character(Unicode.Scalar(c)))' at position \(i + 1) is not a Base45 character"
            )
        }
        copy.removeAll()
        throw DecodingError(reason: "a group is larger than the bytes it stands for")
    }

    /// The bytes, or nil when a character is not Base45 or a group is too large.
    static func decode(_ chars: UnsafeBufferPointer<UInt8>, _ values: UnsafeBufferPointer<Int8>) -> [UInt8]? {
        let full = chars.count / 3
        let tail = chars.count % 3
        let expected = full * 2 + (tail == 2 ? 1 : 0)
        let out = [UInt8](unsafeUninitializedCapacity: expected) { out, initialized in
            var i = 0
            var o = 0
            for _ in 0..<full {
                let a = Int(values[Int(chars[i])])
                let b = Int(values[Int(chars[i + 1])])
                let c = Int(values[Int(chars[i + 2])])
                let n = a + b * 45 + c * 2025
                guard a | b | c >= 0, n <= 0xFFFF else {
                    initialized = o
                    return
                }
                out[o] = UInt8(truncatingIfNeeded: n >> 8)
                out[o + 1] = UInt8(truncatingIfNeeded: n)
                i += 3
                o += 2
            }
            if tail == 2 {
                let a = Int(values[Int(chars[i])])
                let b = Int(values[Int(chars[i + 1])])
                let n = a + b * 45
                guard a | b >= 0, n <= 0xFF else {
                    initialized = o
                    return
                }
                out[o] = UInt8(n)
                o += 1
            }
            initialized = o
        }
        return out.count == expected ? out : nil
    }
}
