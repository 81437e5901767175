import Foundation

/// Folds Vietnamese text for search: lower case, no diacritics, `đ` as `d`, single spaces.
///
/// "Huyện Đồng Hỷ" and "huyen dong hy" fold to the same string, so a user typing on a phone
/// without a Vietnamese keyboard still finds the unit or the person.
public enum TextFolding {
    /// The folded form of `text`.
    public static func fold(_ text: some StringProtocol) -> String {
        var scalars = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if isSeparator(scalar) {
                pendingSpace = !scalars.isEmpty
                continue
            }
            if isCombiningMark(scalar) { continue }
            if pendingSpace {
                scalars.append(" ")
                pendingSpace = false
            }
            if scalar.isASCII {
                let value = scalar.value
                scalars.append((65...90).contains(value) ? Unicode.Scalar(value + 32)! : scalar)
            } else if let folded = latinBase[scalar.value] {
                scalars.append(folded)
            } else {
                scalars.append(contentsOf: String(scalar).lowercased().unicodeScalars)
            }
        }
        return String(scalars)
    }

    /// The folded form in upper case, as the 1405 QR and ICAO-style documents write names.
    public static func upperASCII(_ text: some StringProtocol) -> String {
        fold(text).uppercased()
    }

    /// A string greater than every string that starts with `prefix` and smaller than any other
    /// greater string: the exclusive upper bound of an index range scan for the prefix.
    public static func prefixUpperBound(_ prefix: String) -> String {
        prefix + "\u{FFFF}"
    }

    private static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || scalar == "," || scalar == "." || scalar == "-" || scalar == "_"
    }

    private static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F: true
        default: false
        }
    }

    /// Each precomposed Latin letter (Latin-1, Extended-A/B, Extended Additional, where Vietnamese
    /// letters live) mapped to its lower-case base letter, computed once from Unicode decomposition.
    private static let latinBase: [UInt32: Unicode.Scalar] = {
        var table: [UInt32: Unicode.Scalar] = [0x0110: "d", 0x0111: "d"]
        let ranges: [ClosedRange<UInt32>] = [0x00C0...0x024F, 0x1E00...0x1EFF]
        for range in ranges {
            for value in range {
                guard table[value] == nil, let scalar = Unicode.Scalar(value) else { continue }
                let decomposed = String(scalar).decomposedStringWithCanonicalMapping.lowercased()
                if let first = decomposed.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic {
                    table[value] = first
                }
            }
        }
        return table
    }()
}
