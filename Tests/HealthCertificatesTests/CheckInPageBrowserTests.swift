import Foundation
import Testing
import VaxTestSupport

/// The venue check-in page `/checkin#TOKEN` in a real browser (headless Chromium through Selenium,
/// `scripts/check-checkin-page.py`) against a running `vaxtrace serve`: the URL a poster's QR holds
/// opens it, a bad phone gets a plain-language message, a good one checks in; a forged poster is refused.
/// (It lives beside the `/verify` page's test, which has the server and browser plumbing.)
@Suite struct CheckInPageBrowserTests {
    @Test func aPosterURLOpensTheCheckInPageAndAForgedOneIsRefused() throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build vaxtrace first")
        let python = try PythonCrossCheckTests.run(
            "/bin/bash",
            [PythonCrossCheckTests.root.appendingPathComponent("scripts/browser-venv.sh").path],
            timeout: 600
        )
        .output.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!python.isEmpty, "scripts/browser-venv.sh could not make the Selenium venv")
        let admin = "browser-admin-\(UUID().uuidString)"
        let port = Int.random(in: 40_000..<50_000)
        let base = "http://127.0.0.1:\(port)"
        try withServer(
            port: port,
            environment: ["AUTH_DEV_TOKENS": "\(admin):system_admin:*", "PUBLIC_BASE_URL": base]
        ) { base in
            let created = try PythonCrossCheckTests.run(
                "/usr/bin/env",
                [
                    "curl", "-fsS", "-X", "POST", "\(base)/api/v1/venues", "-H", "Authorization: Bearer \(admin)",
                    "-H", "Content-Type: application/json", "-d",
                    #"{"name": "Quán Cà Phê Đồi Chè", "kind": "cafe", "unitCode": "05692", "address": "Tân Cương", "ownerName": "Lê Mai", "ownerPhone": "0912345000"}"#,
                ]
            )
            #expect(created.status == 0, "\(created.summary)")
            let venue = try #require(
                try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: Any]
            )
            let url = try #require(venue["checkInUrl"] as? String)
            #expect(url.hasPrefix(base + "/checkin#"))
            let token = try #require(venue["token"] as? String)
            let parts = token.split(separator: ".")
            // Another payload under the genuine signature: a tampered poster.
            let forged = base + "/checkin#" + parts[0] + "." + parts[0] + "." + parts[2]

            let run = try PythonCrossCheckTests.run(
                python,
                [PythonCrossCheckTests.root.appendingPathComponent("scripts/check-checkin-page.py").path, url, forged]
            )
            #expect(run.status == 0, "\(run.summary)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
            let good = report["good"] as? [String: Any] ?? [:]
            #expect(good["valid"] as? String == "true", "\(run.output)")
            #expect(good["venue"] as? String == "Quán Cà Phê Đồi Chè")
            #expect(good["lang"] as? String == "vi")
            let badPhone = report["bad_phone"] as? [String: Any] ?? [:]
            #expect(badPhone["class"] as? String == "bad")
            #expect((badPhone["text"] as? String)?.contains("0912 345 678") == true, "\(badPhone)")
            let checkedIn = report["checked_in"] as? [String: Any] ?? [:]
            #expect(checkedIn["class"] as? String == "ok", "\(checkedIn)")
            #expect((checkedIn["text"] as? String)?.contains("Checked in at Quán Cà Phê Đồi Chè") == true)
            let refused = report["forged"] as? [String: Any] ?? [:]
            #expect(refused["valid"] as? String == "false", "\(refused)")
            #expect(refused["form_visible"] as? Bool == false)
            #expect((refused["venue"] as? String)?.contains("not a registered venue") == true)
            // The refused check-in is a 400 the browser logs; nothing else may be.
            let errors = (report["console_errors"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
            #expect(errors.allSatisfy { $0.contains("/api/v1/checkins") && $0.contains("status of 400") }, "\(errors)")
        }
    }
}
