import Crypto
import Foundation
import HealthCertificates
import Testing
import VaxTestSupport

/// The public page `/verify` in a real browser: headless Chromium driven by Selenium
/// (`scripts/check-verify-page.py`, venv from `scripts/browser-venv.sh`) against a running `vaxtrace
/// serve` that trusts a test signer through `CERT_TRUST_LIST_FILE`.
@Suite struct VerificationPageBrowserTests {
    static let root = PythonCrossCheckTests.root

    @Test func theVerifierPageShowsTheVerdictAndOnlyTheHoldersNameAndBirthDate() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: CommandLineTests.binary),
            "build the vaxtrace product first"
        )
        let python = try PythonCrossCheckTests.run(
            "/bin/bash",
            [Self.root.appendingPathComponent("scripts/browser-venv.sh").path],
            timeout: 600
        )
        .output.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!python.isEmpty, "scripts/browser-venv.sh could not make the Selenium venv")

        let signer = try TestSigner(.es256)
        let valid = try signer.issue(at: Date().addingTimeInterval(-60))
        let forged = TestSigner.reSigned(valid, with: .p256(P256.Signing.PrivateKey()))
        let list = FileManager.default.temporaryDirectory.appendingPathComponent("trust-\(UUID().uuidString).json")
        try TrustListDocument.encode([(signer.certificateDER, "VN")], at: Date()).write(to: list)
        defer { try? FileManager.default.removeItem(at: list) }

        try withServer(environment: ["CERT_TRUST_LIST_FILE": list.path]) { base in
            let run = try PythonCrossCheckTests.run(
                python,
                [Self.root.appendingPathComponent("scripts/check-verify-page.py").path, base, valid, forged, "hello"]
            )
            #expect(run.status == 0, "\(run.summary)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
            let page = report["page"] as? [String: Any] ?? [:]
            #expect(page["lang"] as? String == "vi")
            #expect(page["has_english"] as? Bool == true)
            #expect((report["console_errors"] as? [Any])?.isEmpty == true, "\(report["console_errors"] ?? "")")
            let results = report["results"] as? [[String: Any]] ?? []
            try #require(results.count == 3, "\(run.output)")

            #expect(results[0]["class"] as? String == "valid")
            #expect(results[0]["holder_visible"] as? Bool == true)
            #expect(results[0]["name"] as? String == "Nguyễn Bảo Duy")
            #expect(results[0]["dob"] as? String == "1990-04-14")

            #expect(results[1]["class"] as? String == "invalid")
            #expect((results[1]["reason"] as? String)?.contains("signature") == true, "\(results[1])")

            #expect(results[2]["class"] as? String == "invalid")
            #expect(results[2]["holder_visible"] as? Bool == false)
            #expect((results[2]["reason"] as? String)?.contains("not a certificate") == true, "\(results[2])")
        }
    }
}

/// Runs `body` with the base URL of a `vaxtrace serve` (the debug build) on an in-memory SQLite
/// database with Thái Nguyên's units, stopped afterwards; `environment` adds settings.
func withServer(
    port: Int = Int.random(in: 20_000..<40_000),
    environment extra: [String: String] = [:],
    _ body: (String) throws -> Void
) throws {
    var environment = ProcessInfo.processInfo.environment
    environment["DATABASE_URL"] = "sqlite::memory:"
    environment["PERSON_ID_KEY"] = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
    environment["DEMO_SEED"] = "false"
    environment["UNITS_PROVINCES"] = "19"
    environment["LOG_LEVEL"] = "error"
    environment.merge(extra) { $1 }
    // Its output goes to a file, and it is killed if it does not stop within 10 s of SIGTERM.
    let server = try TestProcess.Background(
        CommandLineTests.binary,
        ["serve", "--port", String(port)],
        environment: environment,
        directory: FileManager.default.temporaryDirectory
    )
    defer { server.stop() }
    let base = "http://127.0.0.1:\(port)"
    var ready = false
    for _ in 0..<150 where !ready {
        ready =
            (try? PythonCrossCheckTests.run("/usr/bin/env", ["curl", "-fs", "\(base)/readyz"], timeout: 10).status) == 0
        if !ready { Thread.sleep(forTimeInterval: 0.2) }
    }
    try #require(ready, "the server did not become ready: \(server.output())")
    try body(base)
}
