/// Base45 (RFC 9285): the encoding that fits binary data into a QR code's alphanumeric mode.
public enum Base45 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 1) / 2 * 3)
        var iterator = bytes.makeIterator()
        while let a = iterator.next() {
            if let b = iterator.next() {
                var n = Int(a) * 256 + Int(b)
                for _ in 0..<3 {
                    out.append(alphabet[n % 45])
                    n /= 45
                }
            } else {
                out.append(alphabet[Int(a) % 45])
                out.append(alphabet[Int(a) / 45])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { "Base45: \(reason)" }
    }

    public static func decode(_ text: some StringProtocol) throws(DecodingError) -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 3 != 1 else {
            throw DecodingError(reason: "a length of \(chars.count) characters is not possible")
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 3 * 2 + 1)
        var i = 0
        while i < chars.count {
            let group = chars[i..<min(i + 3, chars.count)]
            var n = 0
            var factor = 1
            for c in group {
                let v = values[Int(c)]
                guard v >= 0 else {
                    throw DecodingError(
                        reason: "'\(Character(Unicode.Scalar(c)))' at position \(i + 1) is not a Base45 character"
                    )
                }
                n += Int(v) * factor
                factor *= 45
            }
            if group.count == 3 {
                guard n <= 0xFFFF else {
                    throw DecodingError(reason: "the group at position \(i + 1) is larger than two bytes")
                }
                out += [UInt8(n >> 8), UInt8(n & 0xFF)]
            } else {
                guard n <= 0xFF else { throw DecodingError(reason: "the last group is larger than one byte") }
                out.append(UInt8(n))
            }
            i += 3
        }
        return out
    }
}
