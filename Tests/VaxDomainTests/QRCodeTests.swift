import Foundation
import Testing
import VaxDomain
import VaxTestSupport

/// A text to round-trip through the encoder and a real decoder, named for the test report.
struct QRSample: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String

    var testDescription: String { name }

    /// An EU DCC style payload: "HC1:" and 546 characters of the base45 alphabet, all alphanumeric-mode.
    static let healthCertificate: String = {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        var state: UInt32 = 2021
        var text = "HC1:"
        for _ in 0..<546 {
            state = state &* 1_103_515_245 &+ 12_345
            text.append(alphabet[Int(state >> 16) % alphabet.count])
        }
        return text
    }()

    static let all: [QRSample] = [
        QRSample(
            name: "byte: otpauth URI",
            text: "otpauth://totp/Vaxtrace:nguyen.van.binh%40soyte.vn?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
                + "&issuer=Vaxtrace%20BYT&digits=6&period=30"
        ),
        QRSample(name: "alphanumeric: HC1 certificate", text: healthCertificate),
        QRSample(name: "alphanumeric: short", text: "HTTPS://VAXTRACE.VN/C/12345 $%*+-./:"),
        QRSample(name: "numeric", text: String(repeating: "0123456789", count: 30)),
        QRSample(name: "byte: UTF-8 Vietnamese", text: "Nguyễn Văn Bình"),
        QRSample(name: "byte: UTF-8 Vietnamese, long", text: "Trạm y tế xã Bản Phiệt, Đặng Văn Ước, mũi 2"),
    ]
}

@Suite struct QRCodeTests {
    @Test(arguments: QRSample.all, QRCode.ErrorCorrection.allCases)
    func decodesBack(sample: QRSample, correction: QRCode.ErrorCorrection) throws {
        let code = try QRCode.encode(sample.text, correction: correction)
        #expect(code.size == code.version * 4 + 17)
        #expect(try ZBar.decode(png: code.png()) == sample.text)
    }

    /// The largest byte-mode payload of each level fills version 40; one byte more does not fit.
    @Test(arguments: [
        (QRCode.ErrorCorrection.low, 2953),
        (.medium, 2331),
        (.quartile, 1663),
        (.high, 1273),
    ])
    func largestPayloadFillsVersion40(correction: QRCode.ErrorCorrection, maximum: Int) throws {
        let unit = "otpauth://totp/vaxtrace?secret=jbswy3dpehpk3pxp&n=%20"
        let text = String(String(repeating: unit, count: maximum / unit.count + 1).prefix(maximum))
        let code = try QRCode.encode(text, correction: correction)
        #expect(code.version == 40)
        #expect(code.size == 177)
        #expect(try ZBar.decode(png: code.png(scale: 3)) == text)
        #expect(throws: QRCode.EncodingError.tooLong(bytes: maximum + 1, maximum: maximum)) {
            try QRCode.encode(text + "x", correction: correction)
        }
    }

    @Test func rawBytesDecode() throws {
        let text = "otpauth://totp/Vaxtrace:an?secret=JBSWY3DPEHPK3PXP&issuer=Vaxtrace"
        let code = try QRCode.encode(bytes: Array(text.utf8), correction: .quartile)
        let fromText = try QRCode.encode(text, correction: .quartile)
        #expect(code == fromText)
        #expect(try ZBar.decode(png: code.png()) == text)
    }

    @Test func picksTheCompactMode() throws {
        let certificate = try QRCode.encode(QRSample.healthCertificate)
        let asBytes = try QRCode.encode(bytes: Array(QRSample.healthCertificate.utf8))
        #expect(certificate.version < asBytes.version)
        #expect(try QRCode.encode(String(repeating: "7", count: 41), correction: .low).version == 1)
        #expect(try QRCode.encode(String(repeating: "A", count: 25), correction: .low).version == 1)
        #expect(try QRCode.encode(String(repeating: "a", count: 17), correction: .low).version == 1)
        #expect(try QRCode.encode(String(repeating: "a", count: 18), correction: .low).version == 2)
    }

    @Test func versionOneStructure() throws {
        let code = try QRCode.encode("1")
        #expect(code.version == 1)
        #expect(code.size == 21)
        for (x, y) in [(0, 0), (20, 0), (0, 20), (3, 3), (17, 3), (3, 17), (8, 13)] {
            #expect(code.isDark(x: x, y: y), "(\(x), \(y)) should be dark")
        }
        for (x, y) in [(1, 1), (7, 7), (13, 7), (7, 13), (-1, 0), (21, 21)] {
            #expect(!code.isDark(x: x, y: y), "(\(x), \(y)) should be light")
        }
        for index in 8...12 {
            #expect(code.isDark(x: index, y: 6) == index.isMultiple(of: 2))
            #expect(code.isDark(x: 6, y: index) == index.isMultiple(of: 2))
        }
    }

    /// Version 7 is the first with version information: 0x07C94 (ISO/IEC 18004 annex D) in both corners.
    @Test func versionSevenStructure() throws {
        let code = try QRCode.encode(String(repeating: "a", count: 110), correction: .medium)
        #expect(code.version == 7)
        #expect(code.size == 45)
        for index in 0..<18 {
            let dark = (0x07C94 >> index) & 1 == 1
            #expect(code.isDark(x: 34 + index % 3, y: index / 3) == dark)
            #expect(code.isDark(x: index / 3, y: 34 + index % 3) == dark)
        }
        #expect(code.isDark(x: 22, y: 22))  // the centre of the middle alignment pattern
        #expect(!code.isDark(x: 23, y: 22))
    }

    @Test func tooLongThrows() {
        #expect(throws: QRCode.EncodingError.tooLong(bytes: 4297, maximum: 4296)) {
            try QRCode.encode(String(repeating: "A", count: 4297), correction: .low)
        }
        #expect(throws: QRCode.EncodingError.tooLong(bytes: 7090, maximum: 7089)) {
            try QRCode.encode(String(repeating: "9", count: 7090), correction: .low)
        }
        #expect(throws: QRCode.EncodingError.tooLong(bytes: 3000, maximum: 2331)) {
            try QRCode.encode(bytes: [UInt8](repeating: 0xFF, count: 3000))
        }
        let error = QRCode.EncodingError.tooLong(bytes: 3000, maximum: 2331)
        #expect(error.description.contains("3000") && error.description.contains("2331"))
    }

    @Test func svgIsOnePathWithCrispEdges() throws {
        let code = try QRCode.encode("HELLO")
        let svg = code.svg(moduleSize: 5, border: 2)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("width=\"125\""))
        #expect(svg.contains("viewBox=\"0 0 25 25\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        #expect(svg.contains("fill=\"#fff\""))
        #expect(svg.components(separatedBy: "<path").count == 2)
    }

    @Test func pngHeader() throws {
        let code = try QRCode.encode("HELLO")
        let png = code.png(scale: 2, border: 1)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[12..<16]) == Array("IHDR".utf8))
        #expect(Array(png[16..<29]) == [0, 0, 0, 46, 0, 0, 0, 46, 8, 0, 0, 0, 0])
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
    }
}
