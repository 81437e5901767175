import Foundation
import HealthCertificates
import Testing
import VaxTestSupport

/// The outside check: certificates we issue, verified by an independent verifier written in Python on
/// PyPI's base45, cbor2, cose and cryptography (scripts/dcc-verify.py, in a venv scripts/dcc-verify-venv.sh
/// makes). One flipped byte must make it fail.
@Suite struct PythonCrossCheckTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A program run from the project's root (standard output in `output`), stopped after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], timeout: Int = 300) throws -> TestProcess.Result {
        try TestProcess.run(executable, arguments, directory: root, timeout: timeout)
    }

    static let python: String = {
        let result = try? run(
            "/bin/bash",
            [root.appendingPathComponent("scripts/dcc-verify-venv.sh").path],
            timeout: 600
        )
        return result?.output.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }()

    func pythonVerifies(_ text: String, certificate: [UInt8], at time: Date) throws -> (Bool, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dsc-\(UUID().uuidString).pem")
        try SigningCertificates.pem(certificate).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let at = ISO8601DateFormatter().string(from: time)
        let result = try Self.run(
            Self.python,
            [
                Self.root.appendingPathComponent("scripts/dcc-verify.py").path, "--certificate", file.path, "--at", at,
                text,
            ]
        )
        return (result.status == 0, result.output)
    }

    @Test(arguments: [COSEAlgorithm.es256, .ps256])
    func pythonAcceptsWhatWeIssueAndRejectsAFlippedByte(algorithm: COSEAlgorithm) throws {
        try #require(!Self.python.isEmpty, "scripts/dcc-verify-venv.sh could not make the Python venv")
        let signer = try TestSigner(algorithm)
        let text = try signer.issue()
        let at = TestSigner.issued.addingTimeInterval(86400)
        let (valid, output) = try pythonVerifies(text, certificate: signer.certificateDER, at: at)
        #expect(valid, "\(output)")
        #expect(output.contains("\"alg\": \"\(algorithm.name)\""))
        #expect(output.contains("NGUYEN"))

        // Flip one byte of the signature, of the payload, and of the text itself: each must fail.
        let message = try HC1.decode(text).message
        var badSignature = message
        badSignature.signature[5] ^= 0x40
        var badPayload = message
        badPayload.payload[badPayload.payload.count / 2] ^= 0x01
        var badText = Array(text)
        badText[40] = badText[40] == "A" ? "B" : "A"
        for flipped in [
            HC1.prefix + Base45.encode(Deflate.compress(badSignature.encoded())),
            HC1.prefix + Base45.encode(Deflate.compress(badPayload.encoded())), String(badText),
        ] {
            let (accepted, output) = try pythonVerifies(flipped, certificate: signer.certificateDER, at: at)
            #expect(!accepted, "\(output)")
        }
    }
}
