import Foundation
import HealthCertificates
import QRCode
import Testing
import VaxTestSupport

/// Every QR code we draw is read back by a real decoder (zbarimg) and must equal the text we encoded.
@Suite struct QRCodeTests {
    func readBack(_ data: [UInt8], extension ext: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).\(ext)")
        try Data(data).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try ZBar.read(file)
    }

    @Test(arguments: [COSEAlgorithm.es256, .ps256])
    func anHC1CertificateReadsBackFromPNGAndSVG(algorithm: COSEAlgorithm) throws {
        let text = try TestSigner(algorithm).issue()
        let code = try QRCode(text, errorCorrection: .quartile)
        #expect(try readBack(code.png(scale: 3), extension: "png") == text)
        #expect(try readBack(Array(code.svg(side: "600px").utf8), extension: "svg") == text)
        // Alphanumeric mode keeps even a PS256 certificate (a 256-byte signature) at a phone-readable size
        // (version 25 is 117 modules a side; byte mode would need about a third more).
        #expect(code.version <= (algorithm == .es256 ? 18 : 25), "version \(code.version)")
    }

    @Test func textOutsideTheAlphanumericSetAndNumericTailsReadBack() throws {
        for text in [
            "https://vaxtrace.example/v/AbC?x=1", "shc:/5676290952432060346029243740", "Nguyễn Bảo Duy", "0123456789",
        ] {
            let code = try QRCode(text, errorCorrection: .medium)
            #expect(try readBack(code.png(), extension: "png") == text)
        }
    }

    @Test func textTooLongForAnyQRCodeIsAClearError() {
        #expect {
            try QRCode(String(repeating: "x", count: 5000), errorCorrection: .quartile)
        } throws: { error in
            "\(error)".contains("does not fit")
        }
    }
}
