import Foundation
import HealthCertificates
import Testing
import VaxTestSupport

/// `vaxtrace cert verify` as a user runs it: the verdict as JSON, exit status 0 only when valid.
@Suite struct CommandLineTests {
    static let binary = PythonCrossCheckTests.root.appendingPathComponent(".build/debug/vaxtrace").path

    func verify(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, json: [String: Any]) {
        let run = try TestProcess.run(Self.binary, ["cert", "verify"] + arguments, input: stdin)
        let json = (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any] ?? [:]
        return (run.status, json)
    }

    @Test func verifiesHC1WithACertificateFileAndSHCWithAJWKS() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "build the vaxtrace product first")
        let signer = try TestSigner(.ps256)
        let text = try signer.issue()
        let pem = FileManager.default.temporaryDirectory.appendingPathComponent("dsc-\(UUID().uuidString).pem")
        try SigningCertificates.pem(signer.certificateDER).write(to: pem, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: pem) }
        let at = ISO8601DateFormatter().string(from: TestSigner.issued.addingTimeInterval(86400))

        let valid = try verify(["--certificate", pem.path, "--at", at, "-"], stdin: text + "\n")
        #expect(valid.status == 0)
        #expect(valid.json["valid"] as? Bool == true)
        #expect(valid.json["holderName"] as? String == "Nguyễn Bảo Duy")

        let late = ISO8601DateFormatter().string(from: TestSigner.issued.addingTimeInterval(400 * 86400))
        let expired = try verify(["--certificate", pem.path, "--at", late, text])
        #expect(expired.status == 1)
        #expect((expired.json["failure"] as? [String: Any])?["check"] as? String == "expired")

        let unknown = try verify(["--at", at, text])
        #expect(unknown.status == 1)
        #expect((unknown.json["failure"] as? [String: Any])?["check"] as? String == "unknown_kid")

        // A trust list in the EU gateway's shape works like the certificate file.
        let list = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString).json")
        try TrustListDocument.encode([(signer.certificateDER, "VN")], at: Date()).write(to: list)
        defer { try? FileManager.default.removeItem(at: list) }
        #expect(try verify(["--trust-list", list.path, "--at", at, text]).status == 0)

        let fixtures = DGCTestDataTests.fixtures.appendingPathComponent("shc")
        let card = try String(
            contentsOf: fixtures.appendingPathComponent("example-00-f-qr-code-numeric-value-0.txt"),
            encoding: .utf8
        )
        let jwks = fixtures.appendingPathComponent("issuer-jwks.json").path
        let shc = try verify(["--jwks", jwks, "--at", "2024-01-01T00:00:00Z", card])
        #expect(shc.status == 0)
        #expect(shc.json["format"] as? String == "SHC")

        #expect(try verify(["--at", "yesterday", text]).status == 64)  // a usage error, not a verdict
    }
}
