import Foundation

/// ICAO Doc 9303 Part 3 transliteration for the machine-readable name fields (`fnt`, `gnt`).
public enum ICAOTransliteration {
    /// Letters that ICAO writes as more than their base letter.
    static let special: [Character: String] = [
        "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "SS", "Æ": "AE", "Ø": "OE", "Å": "AA", "Œ": "OE", "Þ": "TH",
        "Đ": "D", "Ð": "D", "Ł": "L", "Ħ": "H", "Ŀ": "L", "Ŧ": "T", "Ŋ": "N", "ı": "I", "ĸ": "K", "Ĳ": "IJ",
    ]

    /// "Nguyễn" -> "NGUYEN", "Bảo Duy" -> "BAO<DUY", "Gößinger" -> "GOESSINGER": diacritics dropped
    /// (Vietnamese tone and vowel marks included), đ -> D, spaces and hyphens -> "<", other marks removed.
    public static func transliterate(_ name: String) -> String {
        var out = ""
        var pendingSeparator = false
        for character in name.precomposedStringWithCanonicalMapping.uppercased() {
            if character == " " || character == "-" || character == "," || character == "<" {
                pendingSeparator = !out.isEmpty
                continue
            }
            var letters = special[character] ?? ""
            if letters.isEmpty {
                for scalar in String(character).decomposedStringWithCanonicalMapping.unicodeScalars
                where ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) {
                    letters.unicodeScalars.append(scalar)
                }
            }
            guard !letters.isEmpty else { continue }  // apostrophes, dots and other marks
            if pendingSeparator { out += "<" }
            pendingSeparator = false
            out += letters
        }
        return out
    }
}

/// Unique vaccination certificate identifiers (eHealth Network guidelines, Annex 2).
public enum UVCI {
    /// The Luhn mod N character set of the DCC schema FAQ (letters first).
    static let charset = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/:")

    /// The check character of `body` (the whole UVCI before "#", the "URN:UVCI:" prefix included).
    public static func checkCharacter(_ body: String) -> Character? {
        let n = charset.count
        var factor = 2
        var sum = 0
        for character in body.reversed() {
            guard let codePoint = charset.firstIndex(of: character) else { return nil }
            var addend = factor * codePoint
            factor = factor == 2 ? 1 : 2
            addend = addend / n + addend % n
            sum += addend
        }
        return charset[(n - sum % n) % n]
    }

    /// `URN:UVCI:01:<country>:<opaque>#<check>`; the opaque part is upper-case letters and digits.
    public static func make(country: String, opaque: String) -> String {
        let body = "URN:UVCI:01:\(country.uppercased()):\(opaque.uppercased())"
        guard let check = checkCharacter(body) else {
            preconditionFailure("a UVCI body holds only A-Z, 0-9, / and :")
        }
        return "\(body)#\(check)"
    }

    /// An opaque part from 16 bytes (e.g. a dose's UUID): base-32 without padding, 26 characters.
    public static func opaque(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return out
    }

    /// Whether a UVCI that carries a check character carries the right one.
    public static func hasValidCheckCharacter(_ uvci: String) -> Bool {
        let parts = uvci.split(separator: "#", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 1 else { return false }
        return checkCharacter(String(parts[0]).uppercased()) == parts[1].first
    }
}
