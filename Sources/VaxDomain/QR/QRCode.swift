import Foundation

/// A QR Code symbol (ISO/IEC 18004, Model 2): a square grid of dark and light modules.
///
/// Build one with ``encode(_:correction:)`` or ``encode(bytes:correction:)``; the encoder picks the
/// most compact of numeric, alphanumeric or byte mode for the whole text, the smallest version
/// (1...40) that holds it at the requested error-correction level, and the mask pattern with the lowest
/// penalty score. Render it with ``svg(moduleSize:border:)`` or ``png(scale:border:)``, or read the
/// modules directly with ``isDark(x:y:)``.
///
/// ```swift
/// let code = try QRCode.encode("otpauth://totp/Vaxtrace:an?secret=JBSWY3DPEHPK3PXP&issuer=Vaxtrace")
/// let image = code.png(scale: 6)
/// ```
public struct QRCode: Sendable, Equatable {
    /// How much of the symbol may be damaged or obscured while it still decodes.
    ///
    /// Higher levels spend more of the symbol on error-correction codewords, so the same data needs a
    /// larger version.
    public enum ErrorCorrection: Sendable, CaseIterable {
        /// Level L: about 7% of the codewords can be restored.
        case low
        /// Level M: about 15% of the codewords can be restored.
        case medium
        /// Level Q: about 25% of the codewords can be restored.
        case quartile
        /// Level H: about 30% of the codewords can be restored.
        case high
    }

    /// Why a text or byte string could not be encoded.
    public enum EncodingError: Error, Equatable, CustomStringConvertible {
        /// The input (its UTF-8 length, for text) does not fit in a version 40 symbol at the requested
        /// error-correction level; `maximum` is the most the chosen mode can hold there.
        case tooLong(bytes: Int, maximum: Int)

        /// A sentence describing the error.
        public var description: String {
            switch self {
            case .tooLong(let bytes, let maximum):
                "The data is \(bytes) bytes long, but a QR code at this error-correction level holds at most "
                    + "\(maximum) of them."
            }
        }
    }

    /// The number of modules along each side: 21 for version 1, up to 177 for version 40.
    public let size: Int
    /// The symbol version, 1...40; the side is `4 * version + 17` modules.
    public let version: Int
    /// The error-correction level the symbol was encoded with.
    let correction: ErrorCorrection
    /// The mask pattern applied to the data, 0...7.
    let mask: Int
    /// The modules, row by row; `true` is dark.
    private let modules: [Bool]

    /// Whether the module at column `x`, row `y` is dark; (0, 0) is the top-left corner.
    ///
    /// Coordinates outside the symbol are light, as the quiet zone around it is.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, x < size, y >= 0, y < size else { return false }
        return modules[y * size + x]
    }

    /// Encodes a text: in numeric mode if it is all digits, in alphanumeric mode if it only uses
    /// `0-9`, `A-Z`, space and `$%*+-./:`, and otherwise as its UTF-8 bytes.
    ///
    /// - Parameters:
    ///   - text: The text to encode, such as an `otpauth://` URI or an EU DCC `HC1:` string.
    ///   - correction: The error-correction level; the default is ``ErrorCorrection/medium``.
    /// - Returns: The smallest symbol that holds the text, with the best of the eight masks.
    /// - Throws: ``EncodingError/tooLong(bytes:maximum:)`` when even version 40 is too small.
    public static func encode(_ text: String, correction: ErrorCorrection = .medium) throws(EncodingError) -> QRCode {
        try make(Segment(text: text), correction: correction, forcedMask: nil)
    }

    /// Encodes raw bytes in byte mode.
    ///
    /// - Parameters:
    ///   - bytes: The bytes to encode.
    ///   - correction: The error-correction level; the default is ``ErrorCorrection/medium``.
    /// - Returns: The smallest symbol that holds the bytes, with the best of the eight masks.
    /// - Throws: ``EncodingError/tooLong(bytes:maximum:)`` when even version 40 is too small.
    public static func encode(
        bytes: [UInt8],
        correction: ErrorCorrection = .medium
    ) throws(EncodingError) -> QRCode {
        try make(Segment(bytes: bytes), correction: correction, forcedMask: nil)
    }

    /// Encodes a text like ``encode(_:correction:)`` but, when `mask` is given, with that mask pattern
    /// (0...7) instead of the best one; for comparing against other encoders.
    static func encode(_ text: String, correction: ErrorCorrection, mask: Int?) throws(EncodingError) -> QRCode {
        try make(Segment(text: text), correction: correction, forcedMask: mask)
    }

    /// Renders the symbol as a compact SVG document: a white background and one black `<path>`, with
    /// `shape-rendering="crispEdges"`.
    ///
    /// - Parameters:
    ///   - moduleSize: The width and height of one module, in pixels (at least 1).
    ///   - border: The quiet zone around the symbol, in modules (the standard asks for 4).
    /// - Returns: The SVG document.
    public func svg(moduleSize: Int = 4, border: Int = 4) -> String {
        let moduleSize = max(1, moduleSize)
        let border = max(0, border)
        let side = size + 2 * border
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard isDark(x: x, y: y) else {
                    x += 1
                    continue
                }
                let start = x
                while x < size && isDark(x: x, y: y) {
                    x += 1
                }
                path += "M\(start + border) \(y + border)h\(x - start)v1h-\(x - start)z"
            }
        }
        let pixels = side * moduleSize
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path d="\(path)" fill="#000" stroke="none"/></svg>

            """
    }

    /// Renders the symbol as an 8-bit grayscale PNG image (black modules on white).
    ///
    /// The image data is stored in uncompressed deflate blocks, so it is large but needs no compressor.
    ///
    /// - Parameters:
    ///   - scale: The width and height of one module, in pixels (at least 1).
    ///   - border: The quiet zone around the symbol, in modules (the standard asks for 4).
    /// - Returns: The bytes of the PNG file.
    public func png(scale: Int = 4, border: Int = 4) -> [UInt8] {
        let scale = max(1, scale)
        let border = max(0, border)
        let side = (size + 2 * border) * scale
        var raw: [UInt8] = []
        raw.reserveCapacity((side + 1) * side)
        for moduleY in 0..<(size + 2 * border) {
            var row: [UInt8] = [0]  // filter type: none
            row.reserveCapacity(side + 1)
            for moduleX in 0..<(size + 2 * border) {
                let value: UInt8 = isDark(x: moduleX - border, y: moduleY - border) ? 0 : 255
                row.append(contentsOf: repeatElement(value, count: scale))
            }
            for _ in 0..<scale {
                raw.append(contentsOf: row)
            }
        }
        var header: [UInt8] = []
        PNG.appendBigEndian(UInt32(side), to: &header)
        PNG.appendBigEndian(UInt32(side), to: &header)
        header += [8, 0, 0, 0, 0]  // bit depth 8, grayscale, deflate, adaptive filtering, no interlace
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        PNG.appendChunk("IHDR", header, to: &file)
        PNG.appendChunk("IDAT", PNG.zlibStored(raw), to: &file)
        PNG.appendChunk("IEND", [], to: &file)
        return file
    }
}

// MARK: - Encoding

extension QRCode.ErrorCorrection {
    /// The row of this level in the block tables.
    fileprivate var tableIndex: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .quartile: 2
        case .high: 3
        }
    }

    /// The two error-correction bits of the format information.
    fileprivate var formatBits: Int {
        switch self {
        case .low: 1
        case .medium: 0
        case .quartile: 3
        case .high: 2
        }
    }
}

extension QRCode {
    /// Builds the symbol for one segment: picks the version, adds the error correction, draws the
    /// modules and applies the best (or the forced) mask.
    private static func make(
        _ segment: Segment,
        correction: ErrorCorrection,
        forcedMask: Int?
    ) throws(EncodingError) -> QRCode {
        guard let version = (1...40).first(where: { segment.fits(version: $0, correction: correction) }) else {
            throw .tooLong(bytes: segment.inputBytes, maximum: segment.mode.maximumCount(correction: correction))
        }
        let capacityBits = Tables.dataCodewords(version: version, correction: correction) * 8
        var bits = BitBuffer()
        bits.append(segment.mode.indicator, count: 4)
        bits.append(segment.count, count: segment.mode.characterCountBits(version: version))
        bits.append(contentsOf: segment.bits)
        bits.append(0, count: min(4, capacityBits - bits.count))  // terminator
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var pad = 0xEC
        while bits.count < capacityBits {
            bits.append(pad, count: 8)
            pad ^= 0xEC ^ 0x11
        }
        let codewords = Tables.addErrorCorrection(to: bits.bytes, version: version, correction: correction)

        var matrix = Matrix(version: version)
        matrix.drawFunctionPatterns(correction: correction)
        matrix.drawCodewords(codewords)
        let mask: Int
        if let forcedMask {
            mask = forcedMask
        } else {
            let penalties = (0..<8).map { matrix.penalty(mask: $0, correction: correction) }
            mask = penalties.indices.min { penalties[$0] < penalties[$1] } ?? 0
        }
        matrix.apply(mask: mask)
        matrix.drawFormatBits(correction: correction, mask: mask)
        return QRCode(size: matrix.size, version: version, correction: correction, mask: mask, modules: matrix.modules)
    }
}

/// The encoding mode of a segment.
private enum Mode {
    case numeric
    case alphanumeric
    case byte

    /// The 4-bit mode indicator.
    var indicator: Int {
        switch self {
        case .numeric: 0x1
        case .alphanumeric: 0x2
        case .byte: 0x4
        }
    }

    /// The width of the character count indicator in a symbol of `version`.
    func characterCountBits(version: Int) -> Int {
        let group = version <= 9 ? 0 : version <= 26 ? 1 : 2
        switch self {
        case .numeric: return [10, 12, 14][group]
        case .alphanumeric: return [9, 11, 13][group]
        case .byte: return [8, 16, 16][group]
        }
    }

    /// The most characters (bytes, in byte mode) a version 40 symbol holds in this mode.
    func maximumCount(correction: QRCode.ErrorCorrection) -> Int {
        let bits = Tables.dataCodewords(version: 40, correction: correction) * 8 - 4 - characterCountBits(version: 40)
        switch self {
        case .numeric:
            let rest = bits % 10
            return bits / 10 * 3 + (rest >= 7 ? 2 : rest >= 4 ? 1 : 0)
        case .alphanumeric:
            return bits / 11 * 2 + (bits % 11 >= 6 ? 1 : 0)
        case .byte:
            return bits / 8
        }
    }
}

/// The whole input as one segment: its mode, its character count and its data bits.
private struct Segment {
    /// The value of each byte in alphanumeric mode (`0-9`, `A-Z`, space, `$%*+-./:`), or -1 if it has none.
    static let alphanumericValues: [Int] = {
        var values = [Int](repeating: -1, count: 256)
        for (value, byte) in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8.enumerated() {
            values[Int(byte)] = value
        }
        return values
    }()

    let mode: Mode
    /// The number of characters (bytes, in byte mode) in the character count indicator.
    let count: Int
    /// The encoded data, without the mode and count indicators.
    let bits: BitBuffer
    /// The length of the input in bytes, for error messages.
    let inputBytes: Int

    /// The segment for a text, in the most compact mode that can hold all of it.
    init(text: String) {
        let utf8 = Array(text.utf8)
        if !utf8.isEmpty && utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            var bits = BitBuffer()
            var index = 0
            while index < utf8.count {
                let length = min(3, utf8.count - index)
                let value = utf8[index..<(index + length)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
                bits.append(value, count: length * 3 + 1)
                index += length
            }
            self.init(mode: .numeric, count: utf8.count, bits: bits, inputBytes: utf8.count)
        } else if !utf8.isEmpty, utf8.allSatisfy({ Segment.alphanumericValues[Int($0)] >= 0 }) {
            let values = utf8.map { Segment.alphanumericValues[Int($0)] }
            var bits = BitBuffer()
            var index = 0
            while index + 1 < values.count {
                bits.append(values[index] * 45 + values[index + 1], count: 11)
                index += 2
            }
            if index < values.count {
                bits.append(values[index], count: 6)
            }
            self.init(mode: .alphanumeric, count: utf8.count, bits: bits, inputBytes: utf8.count)
        } else {
            self.init(bytes: utf8)
        }
    }

    /// The byte-mode segment for `bytes`.
    init(bytes: [UInt8]) {
        var bits = BitBuffer()
        for byte in bytes {
            bits.append(Int(byte), count: 8)
        }
        self.init(mode: .byte, count: bytes.count, bits: bits, inputBytes: bytes.count)
    }

    private init(mode: Mode, count: Int, bits: BitBuffer, inputBytes: Int) {
        self.mode = mode
        self.count = count
        self.bits = bits
        self.inputBytes = inputBytes
    }

    /// Whether the segment, with its mode and count indicators, fits in a symbol of `version`.
    func fits(version: Int, correction: QRCode.ErrorCorrection) -> Bool {
        let countBits = mode.characterCountBits(version: version)
        guard count < 1 << countBits else { return false }
        return 4 + countBits + bits.count <= Tables.dataCodewords(version: version, correction: correction) * 8
    }
}

/// A sequence of bits, most significant first.
private struct BitBuffer {
    private(set) var bits: [Bool] = []

    var count: Int { bits.count }

    /// The bits packed into bytes; the count must be a multiple of 8.
    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<(start + 8)].reduce(0) { $0 << 1 | ($1 ? 1 : 0) }
        }
    }

    /// Appends the low `count` bits of `value`, most significant first.
    mutating func append(_ value: Int, count: Int) {
        for shift in stride(from: count - 1, through: 0, by: -1) {
            bits.append((value >> shift) & 1 == 1)
        }
    }

    mutating func append(contentsOf other: BitBuffer) {
        bits.append(contentsOf: other.bits)
    }
}

// MARK: - Tables and error correction

/// The block structure of every version and level (ISO/IEC 18004 table 9) and the Reed-Solomon code.
private enum Tables {
    /// Error-correction codewords per block, by level (L, M, Q, H), then version (index 0 unused).
    static let eccCodewordsPerBlock: [[Int]] = [
        [
            -1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26,
            28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
        [
            -1, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28,
            28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        ],
        [
            -1, 13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30,
            28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
        [
            -1, 17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30,
            30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
    ]

    /// Error-correction blocks, by level (L, M, Q, H), then version (index 0 unused).
    static let errorCorrectionBlocks: [[Int]] = [
        [
            -1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16,
            17, 18, 19, 19, 20, 21, 22, 24, 25,
        ],
        [
            -1, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26,
            28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
        ],
        [
            -1, 1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35,
            38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
        ],
        [
            -1, 1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40,
            42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
        ],
    ]

    /// The modules left for codewords (and remainder bits) once the function patterns are drawn.
    static func rawDataModules(version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 {
                result -= 36
            }
        }
        return result
    }

    /// The data codewords (without error correction) a symbol holds.
    static func dataCodewords(version: Int, correction: QRCode.ErrorCorrection) -> Int {
        let level = correction.tableIndex
        return rawDataModules(version: version) / 8
            - eccCodewordsPerBlock[level][version] * errorCorrectionBlocks[level][version]
    }

    /// Splits the data codewords into blocks, appends each block's Reed-Solomon codewords and interleaves them.
    static func addErrorCorrection(to data: [UInt8], version: Int, correction: QRCode.ErrorCorrection) -> [UInt8] {
        let level = correction.tableIndex
        let blockCount = errorCorrectionBlocks[level][version]
        let eccLength = eccCodewordsPerBlock[level][version]
        let rawCodewords = rawDataModules(version: version) / 8
        let shortBlocks = blockCount - rawCodewords % blockCount
        let shortBlockLength = rawCodewords / blockCount
        let divisor = ReedSolomon.divisor(degree: eccLength)

        var blocks: [[UInt8]] = []
        var offset = 0
        for index in 0..<blockCount {
            let dataLength = shortBlockLength - eccLength + (index < shortBlocks ? 0 : 1)
            var block = Array(data[offset..<(offset + dataLength)])
            offset += dataLength
            let ecc = ReedSolomon.remainder(of: block, divisor: divisor)
            if index < shortBlocks {
                block.append(0)  // a placeholder, skipped when interleaving
            }
            blocks.append(block + ecc)
        }

        var result: [UInt8] = []
        result.reserveCapacity(rawCodewords)
        let placeholderColumn = shortBlockLength - eccLength
        for column in 0..<blocks[0].count {
            for (index, block) in blocks.enumerated() where column != placeholderColumn || index >= shortBlocks {
                result.append(block[column])
            }
        }
        return result
    }
}

/// Reed-Solomon arithmetic over GF(2^8) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1.
private enum ReedSolomon {
    /// Powers of the generator 2 (doubled, so products of two logarithms need no reduction) and logarithms.
    static let tables: (exp: [UInt8], log: [Int]) = {
        var exp = [UInt8](repeating: 0, count: 512)
        var log = [Int](repeating: 0, count: 256)
        var value = 1
        for power in 0..<255 {
            exp[power] = UInt8(value)
            log[value] = power
            value <<= 1
            if value & 0x100 != 0 {
                value ^= 0x11D
            }
        }
        for power in 255..<512 {
            exp[power] = exp[power - 255]
        }
        return (exp, log)
    }()

    static func multiply(_ first: UInt8, _ second: UInt8) -> UInt8 {
        guard first != 0, second != 0 else { return 0 }
        return tables.exp[tables.log[Int(first)] + tables.log[Int(second)]]
    }

    /// The generator polynomial of the given degree, highest coefficient first, without its leading 1.
    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for index in 0..<degree {
                result[index] = multiply(result[index], root)
                if index + 1 < degree {
                    result[index] ^= result[index + 1]
                }
            }
            root = multiply(root, 2)
        }
        return result
    }

    /// The remainder of `data` times x^degree divided by the generator: the error-correction codewords.
    static func remainder(of data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for index in result.indices {
                result[index] ^= multiply(divisor[index], factor)
            }
        }
        return result
    }
}

// MARK: - Module placement

/// The module grid under construction, with a record of which modules belong to function patterns.
private struct Matrix {
    let version: Int
    let size: Int
    var modules: [Bool]
    var isFunction: [Bool]

    init(version: Int) {
        self.version = version
        size = version * 4 + 17
        modules = Array(repeating: false, count: size * size)
        isFunction = Array(repeating: false, count: size * size)
    }

    subscript(x: Int, y: Int) -> Bool {
        get { modules[y * size + x] }
        set { modules[y * size + x] = newValue }
    }

    mutating func setFunction(x: Int, y: Int, dark: Bool) {
        modules[y * size + x] = dark
        isFunction[y * size + x] = true
    }

    /// The centres of the alignment patterns along either axis.
    var alignmentPositions: [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2
        return [6] + (1..<count).map { size - 7 - (count - 1 - $0) * step }
    }

    /// Draws the finder, separator, timing and alignment patterns, reserves the format area and draws
    /// the version information.
    mutating func drawFunctionPatterns(correction: QRCode.ErrorCorrection) {
        for index in 0..<size {
            setFunction(x: 6, y: index, dark: index % 2 == 0)
            setFunction(x: index, y: 6, dark: index % 2 == 0)
        }
        drawFinder(centreX: 3, centreY: 3)
        drawFinder(centreX: size - 4, centreY: 3)
        drawFinder(centreX: 3, centreY: size - 4)

        let positions = alignmentPositions
        let last = positions.count - 1
        for (i, x) in positions.enumerated() {
            for (j, y) in positions.enumerated() {
                if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) {
                    continue  // these overlap the finder patterns
                }
                for dy in -2...2 {
                    for dx in -2...2 {
                        setFunction(x: x + dx, y: y + dy, dark: max(abs(dx), abs(dy)) != 1)
                    }
                }
            }
        }

        drawFormatBits(correction: correction, mask: 0)  // reserves the area; redrawn once masked
        drawVersion()
    }

    /// Draws a finder pattern and its separator, clipped to the symbol.
    private mutating func drawFinder(centreX: Int, centreY: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = centreX + dx
                let y = centreY + dy
                guard x >= 0, x < size, y >= 0, y < size else { continue }
                let distance = max(abs(dx), abs(dy))
                setFunction(x: x, y: y, dark: distance != 2 && distance != 4)
            }
        }
    }

    /// Draws both copies of the 15-bit format information (BCH-protected, masked with 0x5412) and the
    /// dark module.
    mutating func drawFormatBits(correction: QRCode.ErrorCorrection, mask: Int) {
        let data = correction.formatBits << 3 | mask
        var remainder = data
        for _ in 0..<10 {
            remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
        }
        let bits = (data << 10 | remainder) ^ 0x5412
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }

        for index in 0...5 {
            setFunction(x: 8, y: index, dark: bit(index))
        }
        setFunction(x: 8, y: 7, dark: bit(6))
        setFunction(x: 8, y: 8, dark: bit(7))
        setFunction(x: 7, y: 8, dark: bit(8))
        for index in 9..<15 {
            setFunction(x: 14 - index, y: 8, dark: bit(index))
        }
        for index in 0..<8 {
            setFunction(x: size - 1 - index, y: 8, dark: bit(index))
        }
        for index in 8..<15 {
            setFunction(x: 8, y: size - 15 + index, dark: bit(index))
        }
        setFunction(x: 8, y: size - 8, dark: true)
    }

    /// Draws both copies of the 18-bit version information (BCH-protected), for versions 7 and up.
    private mutating func drawVersion() {
        guard version >= 7 else { return }
        var remainder = version
        for _ in 0..<12 {
            remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25)
        }
        let bits = version << 12 | remainder
        for index in 0..<18 {
            let dark = (bits >> index) & 1 == 1
            let across = size - 11 + index % 3
            let down = index / 3
            setFunction(x: across, y: down, dark: dark)
            setFunction(x: down, y: across, dark: dark)
        }
    }

    /// Places the codewords in the zigzag order: two-module columns from the right, alternately upwards
    /// and downwards, skipping the vertical timing pattern and the function modules.
    mutating func drawCodewords(_ codewords: [UInt8]) {
        let totalBits = codewords.count * 8
        var bitIndex = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 {
                right = 5
            }
            let upward = (right + 1) & 2 == 0
            for vertical in 0..<size {
                let y = upward ? size - 1 - vertical : vertical
                for x in [right, right - 1] where !isFunction[y * size + x] && bitIndex < totalBits {
                    self[x, y] = (codewords[bitIndex >> 3] >> (7 - (bitIndex & 7))) & 1 == 1
                    bitIndex += 1
                }
            }
            right -= 2
        }
    }

    /// Whether mask pattern `mask` inverts the module at column `x`, row `y`.
    static func masks(_ mask: Int, x: Int, y: Int) -> Bool {
        switch mask {
        case 0: (x + y) % 2 == 0
        case 1: y % 2 == 0
        case 2: x % 3 == 0
        case 3: (x + y) % 3 == 0
        case 4: (x / 3 + y / 2) % 2 == 0
        case 5: x * y % 2 + x * y % 3 == 0
        case 6: (x * y % 2 + x * y % 3) % 2 == 0
        default: ((x + y) % 2 + x * y % 3) % 2 == 0
        }
    }

    /// XORs the mask pattern over the data modules; applying it twice undoes it.
    mutating func apply(mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !isFunction[y * size + x] && Matrix.masks(mask, x: x, y: y) {
                modules[y * size + x].toggle()
            }
        }
    }

    /// The penalty score (ISO/IEC 18004 section 7.8.3) of the symbol with `mask` and its format bits.
    func penalty(mask: Int, correction: QRCode.ErrorCorrection) -> Int {
        var candidate = self
        candidate.apply(mask: mask)
        candidate.drawFormatBits(correction: correction, mask: mask)
        return candidate.penaltyScore()
    }

    /// Rules N1 (runs of five or more), N2 (2 x 2 blocks), N3 (finder-like 1:1:3:1:1 patterns with four
    /// light modules on one side, the quiet zone counting as light) and N4 (dark/light balance).
    private func penaltyScore() -> Int {
        var result = 0
        for line in 0..<size {
            result += linePenalty { modules[line * size + $0] }
            result += linePenalty { modules[$0 * size + line] }
        }
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let colour = self[x, y]
                if colour == self[x + 1, y] && colour == self[x, y + 1] && colour == self[x + 1, y + 1] {
                    result += 3
                }
            }
        }
        let dark = modules.count(where: { $0 })
        let total = size * size
        let steps = (abs(dark * 20 - total * 10) + total - 1) / total - 1
        return result + steps * 10
    }

    /// The N1 and N3 penalties of one row or column, whose modules `module` returns by index.
    private func linePenalty(_ module: (Int) -> Bool) -> Int {
        var result = 0
        var runColour = false
        var runLength = 0
        var history = RunHistory(size: size)
        for index in 0..<size {
            if module(index) == runColour {
                runLength += 1
                if runLength == 5 {
                    result += 3
                } else if runLength > 5 {
                    result += 1
                }
            } else {
                history.add(runLength)
                if !runColour {
                    result += history.finderLikePatterns * 40
                }
                runColour = module(index)
                runLength = 1
            }
        }
        if runColour {
            history.add(runLength)
            runLength = 0
        }
        history.add(runLength + size)  // the final light run and the quiet zone
        return result + history.finderLikePatterns * 40
    }
}

/// The lengths of the last seven runs of a row or column, newest first, for spotting finder-like patterns.
private struct RunHistory {
    let size: Int
    var runs = [Int](repeating: 0, count: 7)

    init(size: Int) {
        self.size = size
    }

    mutating func add(_ length: Int) {
        // The first run is light and continues into the quiet zone.
        let length = runs[0] == 0 ? length + size : length
        runs.removeLast()
        runs.insert(length, at: 0)
    }

    /// How many 1:1:3:1:1 patterns end here with a light run of four or more before or after them.
    var finderLikePatterns: Int {
        let unit = runs[1]
        guard unit > 0, runs[2] == unit, runs[3] == unit * 3, runs[4] == unit, runs[5] == unit else { return 0 }
        return (runs[0] >= unit * 4 && runs[6] >= unit ? 1 : 0) + (runs[6] >= unit * 4 && runs[0] >= unit ? 1 : 0)
    }
}

// MARK: - PNG

/// The pieces of a PNG file: chunks with CRC-32, and a zlib stream of stored deflate blocks with Adler-32.
private enum PNG {
    static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1
        }
        return value
    }

    static func crc32<S: Sequence>(_ bytes: S) -> UInt32 where S.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var low: UInt32 = 1
        var high: UInt32 = 0
        var index = 0
        while index < bytes.count {
            // 5552 bytes is the most that can be summed before the 32-bit sums could overflow.
            let end = min(index + 5552, bytes.count)
            for byte in bytes[index..<end] {
                low += UInt32(byte)
                high += low
            }
            low %= 65_521
            high %= 65_521
            index = end
        }
        return high << 16 | low
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        appendBigEndian(UInt32(data.count), to: &file)
        file += typeBytes
        file += data
        appendBigEndian(crc32(typeBytes + data), to: &file)
    }

    /// A zlib stream holding `data` in stored (uncompressed) deflate blocks of up to 65,535 bytes.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var result: [UInt8] = [0x78, 0x01]
        result.reserveCapacity(data.count + data.count / 65_535 * 5 + 16)
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let isFinal = offset + length == data.count
            let complement = ~UInt16(length)
            result += [
                isFinal ? 1 : 0, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(complement & 0xFF),
                UInt8(complement >> 8),
            ]
            result += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        appendBigEndian(adler32(data), to: &result)
        return result
    }
}
