import Foundation
import Testing
import VaxTestSupport

/// The web application in a real browser (headless Chromium through Selenium, `scripts/check-web-app.py`)
/// against a running `vaxtrace serve` on a SQLite file: a citizen registers and sees the booking; a nurse
/// checks them in, screens, vaccinates and sees the observation timer; the citizen sees a green card and
/// a certificate QR our verifier accepts; a venue owner prints a poster whose QR opens the check-in page;
/// an official opens a dashboard. Screenshots at 360 and 1280 px go to `test-output/web-app/`.
@Suite struct WebAppBrowserTests {
    @Test func theStoryOfOneDoseThroughThePages() throws {
        try #require(FileManager.default.isExecutableFile(atPath: CommandLineTests.binary), "build vaxtrace first")
        let root = PythonCrossCheckTests.root
        let python = try PythonCrossCheckTests.run(
            "/bin/bash",
            [root.appendingPathComponent("scripts/browser-venv.sh").path],
            timeout: 600
        )
        .output.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(!python.isEmpty, "scripts/browser-venv.sh could not make the Selenium venv")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vaxtrace-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("web.sqlite").path
        let key = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let admin = "web-admin-\(UUID().uuidString)"
        let port = Int.random(in: 40_000..<50_000)
        let output = root.appendingPathComponent("test-output/web-app")
        try? FileManager.default.removeItem(at: output)
        try withServer(
            port: port,
            environment: [
                "DATABASE_URL": "sqlite://\(database)", "PERSON_ID_KEY": key, "DEMO_SEED": "true",
                "AUTH_DEV_TOKENS": "\(admin):system_admin:*", "PUBLIC_BASE_URL": "http://127.0.0.1:\(port)",
            ]
        ) { base in
            // Staff accounts are made the way an operator makes them: `vaxtrace users create`.
            for (user, role, password) in [
                ("nurse.lan", "vaccinator", "Tiem-chung-2026!"), ("leader.tn", "province_official", "Bao-cao-2026-tn!"),
                ("tracer.hoa", "tracer", "Truy-vet-2026-tn!"),
            ] {
                let made = try PythonCrossCheckTests.run(
                    "/bin/bash",
                    [
                        "-c",
                        "echo \"$3\" | DATABASE_URL=\"sqlite://$4\" PERSON_ID_KEY=\"$5\" \"$6\" users create \"$1\" --role \"$2\" --scope unit/19",
                        "create", user, role, password, database, key, CommandLineTests.binary,
                    ]
                )
                #expect(made.status == 0, "\(made.summary)")
            }
            let run = try PythonCrossCheckTests.run(
                python,
                [
                    root.appendingPathComponent("scripts/check-web-app.py").path, base, database, admin, "nurse.lan",
                    "Tiem-chung-2026!", "leader.tn", "Bao-cao-2026-tn!", "tracer.hoa", "Truy-vet-2026-tn!", output.path,
                ],
                timeout: 900
            )
            let report = try #require(
                try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any],
                "\(run.summary)"
            )
            #expect(run.status == 0, "\(report["failure"] ?? run.output)")
            #expect(report["finished"] as? Bool == true, "\(report["failure"] ?? "")")
            Self.check(report, base: base, output: output)
        }
    }

    static func check(_ report: [String: Any], base: String, output: URL) {
        // Every form refused its bad input with the message next to the field.
        let errors = report["form_errors"] as? [String: Any] ?? [:]
        for field in [
            "phone", "code", "dateOfBirth", "nationalId", "priorityGroup", "sex", "nurse_password", "nurse_totp",
            "checkin", "consent", "lotExpiry", "venueName", "venueKind", "ownerPhone", "official_password",
            "official_totp", "areas", "events", "onsetDate", "onsetTime", "outcome", "tracer_password", "tracer_totp",
            "casePhone", "moveTo", "moveDate", "relationship", "quarantineUntil", "session",
        ] {
            #expect(!((errors[field] as? String) ?? "").isEmpty, "no message next to \(field): \(errors)")
        }
        #expect((errors["phone"] as? String)?.contains("0912 345 678") == true)
        #expect((errors["lotExpiry"] as? String)?.contains("expired") == true)

        // Vietnamese by default, English on request, dates as dd/mm/yyyy.
        #expect(report["lang_default"] as? String == "vi")
        let english = report["english"] as? [String: Any] ?? [:]
        #expect(english["lang"] as? String == "en")
        #expect(english["heading"] as? String == "Electronic health book")
        let dates = report["dose_dates"] as? [String] ?? []
        #expect(
            !dates.isEmpty && dates.allSatisfy { $0.wholeMatch(of: /\d\d\/\d\d\/\d{4} \d\d:\d\d/) != nil },
            "\(dates)"
        )

        // The citizen's booking, the nurse's four steps and the timer.
        #expect(report["citizen_home"] as? String == "/app/me")
        #expect(report["registered_notice"] as? Bool == true)
        #expect((report["booking_codes"] as? [String])?.count == 2)
        #expect(report["nurse_home"] as? String == "/app/site")
        #expect((report["after_check_in"] as? [String])?.sorted() == ["checked_in", "invited"])
        #expect(
            report["today_sessions"] as? [String] == ["Trạm Y tế Tân Cương · Janssen"],
            "\(report["today_sessions"] ?? "")"
        )
        #expect((report["queue_names"] as? [String])?.contains { $0.hasPrefix("Nguyễn Văn Bình 15/03/1987") } == true)
        let when = (report["booking_when"] as? [String])?.first ?? ""
        #expect(when.wholeMatch(of: /\d\d\/\d\d\/\d{4} 00:00–23:59/) != nil, "\(when)")
        #expect((report["screening_questions"] as? Int ?? 0) >= 9)
        #expect(report["screening_outcome"] as? String == "Đủ điều kiện tiêm")
        let timer = report["observation_timer"] as? [String] ?? []
        #expect(timer.count == 2 && timer[0].wholeMatch(of: /(29|30):\d\d/) != nil && timer[0] != timer[1], "\(timer)")

        // Offline: three records queued on the tablet, applied once each when the network came back.
        #expect((report["offline_queued"] as? String)?.hasSuffix(": 3") == true, "\(report["offline_queued"] ?? "")")
        let synced = report["after_sync"] as? [String: Any] ?? [:]
        #expect(synced["state"] as? String == "vaccinated", "\(synced)")
        #expect(synced["queue_left"] is NSNull, "\(synced)")
        #expect((synced["problems"] as? [String])?.isEmpty == true, "\(synced)")
        #expect(synced["observing"] as? Int == 2)
        let offline = report["offline_name"] as? String ?? ""
        #expect(["Nguyễn Văn Bình", "Nguyễn Thị Cúc"].contains(offline), "\(offline)")
        #expect(report["aefi_for"] as? String == offline)
        #expect(report["aefi_recorded"] as? Bool == true)

        // The green card, in words too, and a certificate QR our verifier accepts.
        #expect(report["card_colour"] as? String == "green")
        #expect(
            (report["card_text"] as? String)?.contains("Đã hoàn thành mũi cơ bản") == true,
            "\(report["card_text"] ?? "")"
        )
        #expect(report["certificate_prefix"] as? String == "HC1:")
        let verdict = report["certificate_verdict"] as? [String: Any] ?? [:]
        #expect(verdict["valid"] as? Bool == true, "\(verdict)")
        #expect(verdict["holderName"] as? String == "Nguyễn Văn Bình")

        // The poster's QR opens the check-in page, which confirms the venue.
        #expect(report["poster_url_prefix"] as? String == "/checkin")
        let checkIn = report["check_in_page"] as? [String: Any] ?? [:]
        #expect(checkIn["valid"] as? String == "true")
        #expect(checkIn["venue"] as? String == "Quán Cà Phê Đồi Chè")

        // The official's dashboard: the dose is counted in its commune and in the province's total.
        #expect(report["official_home"] as? String == "/app/dashboards")
        let dashboard = report["dashboard"] as? [String: Any] ?? [:]
        #expect((dashboard["rows"] as? Int ?? 0) > 10)
        #expect((dashboard["chart_bars"] as? Int ?? 0) > 0)
        let counted = (dashboard["first_doses"] as? [[String]] ?? []).map { [$0[0], $0[3]] }
        #expect(counted == [["05692", "2"], ["19", "2"]], "\(counted)")
        #expect(!((report["drill_down_unit"] as? String) ?? "").isEmpty)

        // The declaration, the reaction report, the visitors, and the tracer's case with its F1.
        #expect(report["declared_notice"] as? Bool == true)
        #expect(report["reported_notice"] as? Bool == true)
        #expect(report["visitor_check_ins"] as? [String] == ["ok", "ok"], "\(report["visitor_check_ins"] ?? "")")
        #expect(report["tracer_home"] as? String == "/app/tracing")
        let contacts = report["contacts"] as? [[String]] ?? []
        #expect(contacts.map { [$0[0], $0[1]] } == [["Nguyễn Văn Bình", "+84912345678"]], "\(contacts)")
        #expect(Double(report["warnings_queued_ms"] as? String ?? "") != nil)
        #expect(report["contact_statuses"] as? [String] == ["f1"])
        let checkIns = report["citizen_check_ins"] as? [String] ?? []
        #expect(checkIns.count == 1 && checkIns[0].hasPrefix("Quán Cà Phê Đồi Chè: "), "\(checkIns)")
        let book = report["people_in_book"] as? [String] ?? []
        #expect(book.count == 2 && book.contains { $0.hasPrefix("Nguyễn Thị Cúc") }, "\(book)")
        let warnings = report["citizen_warnings"] as? [String] ?? []
        #expect(
            warnings.count == 1 && warnings[0].contains("Quán Cà Phê Đồi Chè") && warnings[0].contains("F1"),
            "\(warnings)"
        )

        // First-load weights, console errors, narrow screens, screenshots.
        let weights = report["weights"] as? [String: Int] ?? [:]
        for page in ["sign-in", "health-book-empty", "health-book"] {
            #expect((weights[page] ?? .max) < 100_000, "\(page): \(weights[page] ?? -1) bytes")
        }
        #expect((weights["venue-check-in"] ?? .max) < 50_000, "check-in page: \(weights["venue-check-in"] ?? -1) bytes")
        // (A refused page is tested in process, `WebPagesTests`: the browser would log its 403.)
        let console = report["console_errors"] as? [[String: Any]] ?? []
        #expect(console.isEmpty, "\(console)")
        let overflowing = (report["overflowing"] as? [String] ?? []).filter { !$0.hasPrefix("venue-poster@") }
        #expect(overflowing.isEmpty, "wider than the screen: \(overflowing)")
        let shots = report["screenshots"] as? [String] ?? []
        #expect(shots.count >= 40, "\(shots.count) screenshots")
        for shot in shots {
            #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent(shot).path), "\(shot)")
        }
    }
}
