import CQRencode
import CompressNIO
import NIOCore

/// A QR code drawn by libqrencode, as SVG or PNG.
///
/// Text made only of the alphanumeric-mode characters (`0-9 A-Z space $ % * + - . / :`, which an
/// `HC1:` text is) is encoded in alphanumeric mode; a trailing run of digits (a SMART Health Card's
/// `shc:/…` numeric payload) in numeric mode; anything else in byte mode.
public struct QRCode: Sendable {
    public enum ErrorCorrection: Sendable {
        case low, medium, quartile, high

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    public struct EncodingError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The symbol version (1-40).
    public let version: Int
    /// Modules per side, without the quiet zone.
    public let size: Int
    let dark: [Bool]

    static let alphanumeric = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)

    public init(_ text: String, errorCorrection: ErrorCorrection = .quartile) throws(EncodingError) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw EncodingError(description: "nothing to encode") }
        var segments: [(QRencodeMode, ArraySlice<UInt8>)] = []
        if bytes.allSatisfy(Self.alphanumeric.contains) {
            segments = [(QR_MODE_AN, bytes[...])]
        } else {
            let digits = bytes.reversed().prefix { (0x30...0x39).contains($0) }.count
            if digits > 0 && digits < bytes.count {
                segments = [(QR_MODE_8, bytes.dropLast(digits)), (QR_MODE_NUM, bytes.suffix(digits))]
            } else if digits == bytes.count {
                segments = [(QR_MODE_NUM, bytes[...])]
            } else {
                segments = [(QR_MODE_8, bytes[...])]
            }
        }
        guard let input = QRinput_new2(0, errorCorrection.level) else {
            throw EncodingError(description: "libqrencode could not allocate its input")
        }
        defer { QRinput_free(input) }
        for (mode, data) in segments {
            let status = data.withUnsafeBufferPointer { QRinput_append(input, mode, Int32($0.count), $0.baseAddress) }
            guard status == 0 else { throw EncodingError(description: "libqrencode refused a segment of the text") }
        }
        guard let code = QRcode_encodeInput(input) else {
            throw EncodingError(
                description: "the text (\(bytes.count) bytes) does not fit in a QR code at this error correction"
            )
        }
        defer { QRcode_free(code) }
        version = Int(code.pointee.version)
        size = Int(code.pointee.width)
        dark = (0..<size * size).map { code.pointee.data[$0] & 1 == 1 }
    }

    /// Whether the module at column `x`, row `y` is dark.
    public subscript(x: Int, y: Int) -> Bool { dark[y * size + x] }

    /// An SVG whose drawn side is `side` (a CSS length such as "15cm"), with a quiet zone of `quietZone`
    /// modules; dark modules are one path, so it stays small and scales crisply when printed. The path says
    /// `stroke="none"` (the SVG default) because ImageMagick's own renderer, which zbarimg reads SVG with,
    /// would otherwise outline every run of modules and fill the code in.
    public func svg(side: String = "100%", quietZone: Int = 4) -> String {
        let total = size + 2 * quietZone
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard self[x, y] else {
                    x += 1
                    continue
                }
                let start = x
                while x < size && self[x, y] { x += 1 }
                path += "M\(start + quietZone) \(y + quietZone)h\(x - start)v1h-\(x - start)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(total) \(total)" width="\(side)" height="\(side)" \
            shape-rendering="crispEdges"><rect width="\(total)" height="\(total)" fill="#fff"/>\
            <path fill="#000" stroke="none" d="\(path)"/></svg>
            """
    }

    /// A greyscale PNG with `scale` pixels per module and a quiet zone of `quietZone` modules.
    public func png(scale: Int = 4, quietZone: Int = 4) -> [UInt8] {
        let side = (size + 2 * quietZone) * scale
        var raw = [UInt8]()
        raw.reserveCapacity((side + 1) * side)
        for py in 0..<side {
            raw.append(0)  // filter: none
            let y = py / scale - quietZone
            for px in 0..<side {
                let x = px / scale - quietZone
                let isDark = x >= 0 && y >= 0 && x < size && y < size && self[x, y]
                raw.append(isDark ? 0 : 255)
            }
        }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header = [UInt8]()
        header += Self.bigEndian(UInt32(side)) + Self.bigEndian(UInt32(side))
        header += [8, 0, 0, 0, 0]  // 8-bit greyscale, deflate, no filter method, no interlace
        Self.chunk("IHDR", header, into: &png)
        var buffer = ByteBuffer(bytes: raw)
        // Compressing in memory fails only when zlib cannot allocate its state.
        var compressed = (try? buffer.compress(with: .zlib())) ?? ByteBuffer()
        Self.chunk("IDAT", compressed.readBytes(length: compressed.readableBytes) ?? [], into: &png)
        Self.chunk("IEND", [], into: &png)
        return png
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func chunk(_ type: String, _ data: [UInt8], into png: inout [UInt8]) {
        let typed = Array(type.utf8) + data
        png += bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in bytes { c = crcTable[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
