import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import VaxDomain
import VaxServer
import VaxStorage
import VaxTestSupport

/// The campaign end to end over HTTP: register with OTP, invitation, check-in by the 1405 QR, one
/// screening for each outcome of the 3588 form, dose 1, observation, a too-early dose 2 refused,
/// dose 2, status green; and an adverse-event case through its three stages.
@Suite struct CampaignFlowTests {
    static let vaccinator = TestTokens.vaccinator
    static let noAnswers =
        #"{"1": false, "2": false, "3": false, "4a": false, "4b": false, "5": false, "6": false, "7": false, "8": false, "9": false, "10": false}"#

    /// Answers of the 3588 form with `yes` items ticked.
    static func answers(yes: Set<String> = []) -> String {
        let items = ["1", "2", "3", "4a", "4b", "5", "6", "7", "8", "9", "10"]
        return "{" + items.map { #""\#($0)": \#(yes.contains($0))"# }.joined(separator: ", ") + "}"
    }

    static func screeningJSON(yes: Set<String> = [], temperature: Double = 36.6, consent: Bool = true) -> String {
        #"{"checklistVersion": "3588/QĐ-BYT:2021-07-26", "answers": \#(answers(yes: yes)), "vitals": {"temperatureCelsius": \#(temperature), "pulsePerMinute": 80, "respiratoryRatePerMinute": 18, "systolic": 120, "diastolic": 80}, "consent": \#(consent)}"#
    }

    /// Moves the clock to 09:00 tomorrow in Vietnam, so a test never straddles midnight.
    static func morning(_ clock: TestClock) {
        let local = clock.now.timeIntervalSince1970 + 7 * 3600
        let tomorrowNine = (local / 86_400).rounded(.down) * 86_400 + 86_400 + 9 * 3600
        clock.advance(by: tomorrowNine - local)
    }

    static func today(_ clock: TestClock) -> LocalDate { LocalDate(at: clock.now) }

    static func planSession(
        _ client: any TestClientProtocol,
        on date: LocalDate,
        product: String = "astrazeneca"
    )
        async throws -> String
    {
        let response = try await client.send(
            .post,
            "/api/v1/sessions",
            json:
                #"{"facilityId": "TYT-05692", "date": "\#(date)", "productCode": "\#(product)", "doseKinds": ["primary"], "slots": [{"start": "07:30", "end": "11:30", "capacity": 40}, {"start": "13:30", "end": "16:30", "capacity": 40}]}"#
        )
        #expect(response.status == .created, "\(response.text)")
        return try #require(response.object["id"] as? String)
    }

    /// A facility and a Pfizer session at 09:00 tomorrow (the clock is moved there).
    static func pfizerSessionTomorrowMorning(
        _ client: any TestClientProtocol,
        _ clock: TestClock
    ) async throws
        -> (LocalDate, String)
    {
        morning(clock)
        _ = try await client.send(
            .post,
            "/api/v1/facilities",
            json: #"{"id": "TYT-05692", "name": "Trạm Y tế", "unitCode": "05692", "kind": "fixed"}"#
        )
        let day = today(clock)
        return (day, try await planSession(client, on: day, product: "pfizer"))
    }

    static func walkIn(
        _ client: any TestClientProtocol,
        session: String,
        name: String,
        cccd: String
    ) async throws
        -> String
    {
        let person = personJSON(name: name, cccd: cccd, phone: "0987 000 \(cccd.suffix(3))")
        let response = try await client.send(
            .post,
            "/api/v1/sessions/\(session)/check-ins",
            token: vaccinator,
            json: #"{"walkIn": {"person": \#(person), "priorityGroup": 8}}"#
        )
        #expect(response.status == .ok, "\(response.text)")
        let appointment = try #require(response.object["appointment"] as? [String: Any])
        #expect(appointment["state"] as? String == "checked_in")
        #expect(appointment["walkIn"] as? Bool == true)
        return try #require(appointment["id"] as? String)
    }

    @Test(arguments: TestDatabase.engines)
    func theWholePathFromRegistrationToGreen(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            Self.morning(harness.clock)
            let facility = try await client.send(
                .post,
                "/api/v1/facilities",
                json:
                    #"{"id": "TYT-05692", "name": "Trạm Y tế Phường Phan Đình Phùng", "unitCode": "05692", "kind": "fixed", "catchment": [{"scheme": "2025", "code": "05692"}]}"#
            )
            #expect(facility.status == .ok, "\(facility.text)")

            // A citizen signs in with a one-time code and registers.
            var citizen = try await client.signInCitizen("+84912345678", harness: harness)
            let person = personJSON(
                name: "Nguyễn Văn An",
                birth: "1990-05-01",
                cccd: "019090001111",
                phone: "0912345678"
            )
            // A citizen cannot jump the queue: the group must be one on their record.
            let jump = try await client.send(
                .post,
                "/api/v1/registrations",
                token: citizen,
                json: #"{"person": \#(person), "priorityGroup": 1}"#
            )
            #expect(jump.status == .badRequest)
            #expect(jump.errorField == "priorityGroup")
            let register = try await client.send(
                .post,
                "/api/v1/registrations",
                token: citizen,
                json:
                    #"{"person": \#(person), "priorityGroup": 8}"#
            )
            #expect(register.status == .created, "\(register.text)")
            let personID = try #require(register.object["personId"] as? String)
            let again = try await client.send(
                .post,
                "/api/v1/registrations",
                token: citizen,
                json: #"{"personId": "\#(personID)", "priorityGroup": 8}"#
            )
            #expect(again.status == .ok, "registering twice returns the open registration: \(again.text)")
            #expect(again.object["id"] as? String == register.object["id"] as? String)

            // The district plans a session and invites: the citizen gets an SMS with the slot and a code.
            let day0 = Self.today(harness.clock)
            let session = try await Self.planSession(client, on: day0)
            harness.clock.advance(by: 1)
            let invite = try await client.send(
                .post,
                "/api/v1/sessions/\(session)/invitations",
                json: #"{"limit": 100}"#
            )
            #expect(invite.status == .ok, "\(invite.text)")
            #expect((invite.object["items"] as? [Any])?.count == 1)
            let sms = try #require(try await harness.store.outbox(recipient: "+84912345678", limit: 1).first)
            #expect(sms.purpose == "invitation")
            #expect(sms.body.contains("07:30-11:30"), "\(sms.body)")
            #expect(sms.body.contains("Ma check-in: "))

            let mine = try await client.send(.get, "/api/v1/appointments/mine", token: citizen)
            let appointment = try #require((mine.object["items"] as? [[String: Any]])?.first)
            let appointmentID = try #require(appointment["id"] as? String)
            #expect(appointment["state"] as? String == "invited")
            #expect(sms.body.hasSuffix(try #require(appointment["checkInCode"] as? String)))
            let confirm = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/actions",
                token: citizen,
                json: #"{"action": "confirm"}"#
            )
            #expect(confirm.object["state"] as? String == "confirmed", "\(confirm.text)")
            // An invalid transition is a 409 that names the current state.
            let early = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/observation",
                token: Self.vaccinator,
                json: #"{"reactions": []}"#
            )
            #expect(early.status == .conflict)

            // Check-in by the unified personal QR of Decision 1405.
            let qr = "019090001111|NGUYEN VAN AN|1990-05-01|0|162979388586171100|<1<00<0912345678"
            let checkIn = try await client.send(
                .post,
                "/api/v1/sessions/\(session)/check-ins",
                token: Self.vaccinator,
                json: #"{"code": "\#(qr)"}"#
            )
            #expect(checkIn.status == .ok, "\(checkIn.text)")
            #expect((checkIn.object["appointment"] as? [String: Any])?["id"] as? String == appointmentID)
            #expect((checkIn.object["status"] as? [String: Any])?["level"] as? String == "not_vaccinated")

            // One screening for each outcome of the 3588 form.
            let outcomes: [(yes: Set<String>, temperature: Double, outcome: String, state: String)] = [
                (["1"], 36.6, "contraindicated", "deferred"),
                (["2"], 36.6, "defer", "deferred"),
                (["5"], 36.6, "refer_to_hospital", "referred"),
                (["6"], 36.6, "caution", "screened"),
                ([], 38.4, "caution", "screened"),
            ]
            for (index, case_) in outcomes.enumerated() {
                let other = try await Self.walkIn(
                    client,
                    session: session,
                    name: "Trần Thị Lan",
                    cccd: "01908700200\(index)"
                )
                let screening = try await client.send(
                    .post,
                    "/api/v1/appointments/\(other)/screening",
                    token: Self.vaccinator,
                    json: Self.screeningJSON(yes: case_.yes, temperature: case_.temperature)
                )
                #expect(screening.status == .created, "\(screening.text)")
                #expect(screening.object["outcome"] as? String == case_.outcome, "\(case_.yes): \(screening.text)")
                #expect(screening.object["appointmentState"] as? String == case_.state)
                if case_.outcome == "defer" { #expect(screening.object["deferUntil"] as? String != nil) }
            }
            // An override without a reason is refused; the eligible screening of our citizen goes through.
            let override = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/screening",
                token: Self.vaccinator,
                json:
                    #"{"checklistVersion": "3588/QĐ-BYT:2021-07-26", "answers": \#(Self.answers()), "consent": true, "override": {"outcome": "defer", "reason": ""}}"#
            )
            #expect(override.status == .badRequest)
            #expect(override.errorField == "override.reason")
            let screening = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/screening",
                token: Self.vaccinator,
                json: Self.screeningJSON()
            )
            #expect(screening.object["outcome"] as? String == "eligible", "\(screening.text)")
            #expect(screening.object["checklistVersion"] as? String == "3588/QĐ-BYT:2021-07-26")

            // Dose 1: an expired lot is refused, then the dose is recorded and the next date texted.
            let expired = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/dose",
                token: Self.vaccinator,
                json:
                    #"{"lotNumber": "AZ-OLD", "lotExpiry": "\#(day0.adding(days: -1))", "doseNumber": 1, "kind": "primary"}"#
            )
            #expect(expired.status == .badRequest)
            #expect(expired.errorField == "lotExpiry")
            harness.clock.advance(by: 1)
            let dose1 = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/dose",
                token: Self.vaccinator,
                json:
                    #"{"lotNumber": "AZ-2107", "lotExpiry": "\#(day0.adding(days: 200))", "doseNumber": 1, "kind": "primary", "injectionSite": "left_deltoid"}"#
            )
            #expect(dose1.status == .created, "\(dose1.text)")
            #expect(dose1.object["nextDueOn"] as? String == day0.adding(days: 56).description)
            let doseSMS = try #require(try await harness.store.outbox(recipient: "+84912345678", limit: 1).first)
            #expect(doseSMS.body.contains("Mui tiep theo tu ngay"), "\(doseSMS.body)")

            // Observation: 30 minutes, then closed.
            let tooSoon = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/observation",
                token: Self.vaccinator,
                json: #"{"reactions": []}"#
            )
            #expect(tooSoon.status == .conflict)
            #expect(tooSoon.errorCode == "observation_running")
            harness.clock.advance(by: 31 * 60)
            let observed = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/observation",
                token: Self.vaccinator,
                json: #"{"reactions": ["đau tại chỗ tiêm"]}"#
            )
            #expect(observed.status == .ok, "\(observed.text)")
            #expect(observed.object["immediateReactions"] as? [String] == ["đau tại chỗ tiêm"])
            let close = try await client.send(
                .post,
                "/api/v1/appointments/\(appointmentID)/actions",
                token: Self.vaccinator,
                json: #"{"action": "close"}"#
            )
            #expect(close.object["state"] as? String == "closed", "\(close.text)")
            let yellow = try await client.send(.get, "/api/v1/people/\(personID)/vaccination", token: citizen)
            #expect((yellow.object["status"] as? [String: Any])?["colour"] as? String == "yellow")

            // Ten days later dose 2 is too early: refused with the earliest date.
            harness.clock.advance(by: 10 * 86_400)
            let day10 = Self.today(harness.clock)
            let session10 = try await Self.planSession(client, on: day10)
            let byID = try await client.send(
                .post,
                "/api/v1/sessions/\(session10)/check-ins",
                token: Self.vaccinator,
                json: #"{"code": "019090001111|012345678|Nguyễn Văn An|01051990|Nam|Tổ 3, Phan Đình Phùng|01072021"}"#
            )
            #expect(byID.status == .ok, "check-in by the CCCD chip-card QR: \(byID.text)")
            let walkIn10 = try #require((byID.object["appointment"] as? [String: Any])?["id"] as? String)
            _ = try await client.send(
                .post,
                "/api/v1/appointments/\(walkIn10)/screening",
                token: Self.vaccinator,
                json: Self.screeningJSON()
            )
            let tooEarly = try await client.send(
                .post,
                "/api/v1/appointments/\(walkIn10)/dose",
                token: Self.vaccinator,
                json:
                    #"{"lotNumber": "AZ-2107", "lotExpiry": "\#(day0.adding(days: 200))", "doseNumber": 2, "kind": "primary"}"#
            )
            #expect(tooEarly.status == .badRequest)
            #expect(tooEarly.errorField == "administeredAt")
            #expect(
                tooEarly.text.contains("dose 2 of AstraZeneca is allowed from \(day0.adding(days: 28))"),
                "\(tooEarly.text)"
            )

            // Two months on: check-in by the citizen's own signed QR, dose 2, status green.
            harness.clock.advance(by: 50 * 86_400)
            let day60 = Self.today(harness.clock)
            let session60 = try await Self.planSession(client, on: day60)
            // The citizen's session has long expired: they sign in again.
            citizen = try await client.signInCitizen("+84912345678", harness: harness)
            let code = try await client.send(.get, "/api/v1/people/\(personID)/personal-code", token: citizen)
            let token = try #require(code.object["code"] as? String)
            #expect(!token.contains("019090001111"), "no national ID in our own QR")
            let scanned = try await client.send(
                .post,
                "/api/v1/sessions/\(session60)/check-ins",
                token: Self.vaccinator,
                json: #"{"code": "\#(token)"}"#
            )
            #expect(scanned.status == .ok, "\(scanned.text)")
            let appointment60 = try #require((scanned.object["appointment"] as? [String: Any])?["id"] as? String)
            let forged = try await client.send(
                .post,
                "/api/v1/sessions/\(session60)/check-ins",
                token: Self.vaccinator,
                json: #"{"code": "\#(token.dropLast(2))\#(token.hasSuffix("00") ? "11" : "00")"}"#
            )
            #expect(forged.status == .badRequest)
            _ = try await client.send(
                .post,
                "/api/v1/appointments/\(appointment60)/screening",
                token: Self.vaccinator,
                json: Self.screeningJSON()
            )
            let dose2 = try await client.send(
                .post,
                "/api/v1/appointments/\(appointment60)/dose",
                token: Self.vaccinator,
                json:
                    #"{"lotNumber": "AZ-2107", "lotExpiry": "\#(day0.adding(days: 200))", "doseNumber": 2, "kind": "primary"}"#
            )
            #expect(dose2.status == .created, "\(dose2.text)")
            let green = try await client.send(.get, "/api/v1/people/\(personID)/vaccination", token: citizen)
            let status = try #require(green.object["status"] as? [String: Any])
            #expect(status["level"] as? String == "primary_complete")
            #expect(status["colour"] as? String == "green")
            #expect((green.object["doses"] as? [Any])?.count == 2)

            // An adverse event: citizen report, the decision (the province here: the 2025 scheme has no
            // districts), the causality review; each step notified.
            try await harness.staff("pho.giam.doc", role: .provinceOfficial, scope: .unit("19"))
            let onset = ISO8601DateFormatter().string(from: harness.clock.now.addingTimeInterval(3600))
            let before = ISO8601DateFormatter().string(from: harness.clock.now.addingTimeInterval(-86_400))
            let doseID = try #require(dose2.object["id"] as? String)
            let tooEarlyOnset = try await client.send(
                .post,
                "/api/v1/aefi-reports",
                token: citizen,
                json:
                    #"{"personId": "\#(personID)", "doseId": "\#(doseID)", "onsetAt": "\#(before)", "events": ["sốt cao"], "outcome": "recovering"}"#
            )
            #expect(tooEarlyOnset.status == .badRequest)
            #expect(tooEarlyOnset.errorField == "onsetAt")
            harness.clock.advance(by: 2 * 3600)
            let report = try await client.send(
                .post,
                "/api/v1/aefi-reports",
                token: citizen,
                json:
                    #"{"personId": "\#(personID)", "doseId": "\#(doseID)", "onsetAt": "\#(onset)", "events": ["sốc phản vệ"], "outcome": "recovering", "seriousness": ["hospitalisation"], "details": {"reporterName": "Nguyễn Văn An"}}"#
            )
            #expect(report.status == .created, "\(report.text)")
            #expect(report.object["stage"] as? String == "reported")
            let official = try await client.signInStaff("pho.giam.doc", harness: harness).token
            // An official may not move a facility to another unit (that would move its staff's scope).
            let move = try await client.send(
                .post,
                "/api/v1/facilities",
                token: official,
                json: #"{"id": "TYT-05692", "name": "Trạm Y tế", "unitCode": "05443", "kind": "hospital"}"#
            )
            #expect(move.status == .forbidden, "\(move.text)")
            let reportID = try #require(report.object["id"] as? String)
            let inbox = try await client.send(.get, "/api/v1/notifications", token: official)
            #expect(
                (inbox.object["items"] as? [[String: Any]])?.first?["kind"] as? String == "aefi.reported",
                "\(inbox.text)"
            )
            let prematureReview = try await client.send(
                .post,
                "/api/v1/aefi-reports/\(reportID)/causality",
                token: official,
                json: #"{"classification": "consistent", "note": "Chưa điều tra"}"#
            )
            #expect(prematureReview.status == .conflict)
            let decision = try await client.send(
                .post,
                "/api/v1/aefi-reports/\(reportID)/investigation",
                token: official,
                json: #"{"investigate": true, "note": "Điều tra tại cơ sở tiêm"}"#
            )
            #expect(decision.object["stage"] as? String == "investigation", "\(decision.text)")
            let review = try await client.send(
                .post,
                "/api/v1/aefi-reports/\(reportID)/causality",
                token: official,
                json: #"{"classification": "consistent", "note": "Phản vệ phù hợp với vắc xin"}"#
            )
            #expect(review.object["stage"] as? String == "closed", "\(review.text)")
            #expect(review.object["causality"] as? String == "consistent")
            let kinds = try await client.send(.get, "/api/v1/notifications", token: official)
            #expect(
                ((kinds.object["items"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }.sorted()
                    == ["aefi.closed", "aefi.investigation", "aefi.reported"],
                "\(kinds.text)"
            )
        }
    }

    @Test(arguments: TestDatabase.engines)
    func anOfflineBatchIsAppliedExactlyOnce(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (day, session) = try await Self.pfizerSessionTomorrowMorning(client, harness.clock)
            let ids = (0..<3).map { _ in UUIDv7.make(at: harness.clock.now).uuidString.lowercased() }
            let person = personJSON(name: "Lò Thị Mai", cccd: "019087003333", phone: "0977 111 222")
            let checkIn =
                #"{"id": "\#(ids[0])", "type": "check_in", "sessionId": "\#(session)", "checkIn": {"walkIn": {"person": \#(person), "priorityGroup": 13}}}"#
            let first = try await client.send(
                .post,
                "/api/v1/site/batch",
                token: Self.vaccinator,
                json: #"{"records": [\#(checkIn)]}"#
            )
            let result = try #require((first.object["results"] as? [[String: Any]])?.first)
            #expect(result["status"] as? String == "applied", "\(first.text)")
            let appointment = try #require(result["appointmentId"] as? String)
            let rest = [
                #"{"id": "\#(ids[1])", "type": "screening", "appointmentId": "\#(appointment)", "screening": \#(Self.screeningJSON())}"#,
                #"{"id": "\#(ids[2])", "type": "dose", "appointmentId": "\#(appointment)", "dose": {"lotNumber": "FK-1", "lotExpiry": "\#(day.adding(days: 90))", "doseNumber": 1, "kind": "primary"}}"#,
            ]
            let batch = #"{"records": [\#(checkIn), \#(rest.joined(separator: ", "))]}"#
            let second = try await client.send(.post, "/api/v1/site/batch", token: Self.vaccinator, json: batch)
            let statuses = ((second.object["results"] as? [[String: Any]]) ?? []).compactMap { $0["status"] as? String }
            #expect(statuses == ["replayed", "applied", "applied"], "\(second.text)")
            let replay = try await client.send(.post, "/api/v1/site/batch", token: Self.vaccinator, json: batch)
            let again = ((replay.object["results"] as? [[String: Any]]) ?? []).compactMap { $0["status"] as? String }
            #expect(again == ["replayed", "replayed", "replayed"], "\(replay.text)")
            // The dose exists once, with the client's id.
            let found = try await client.send(.post, "/api/v1/people/search", json: #"{"nationalId": "019087003333"}"#)
            let personID = try #require((found.object["items"] as? [[String: Any]])?.first?["id"] as? String)
            let record = try await client.send(.get, "/api/v1/people/\(personID)/vaccination")
            let doses = (record.object["doses"] as? [[String: Any]]) ?? []
            #expect(doses.count == 1)
            #expect(doses.first?["id"] as? String == ids[2])
        }
    }

    @Test(arguments: TestDatabase.engines)
    func correctionsKeepTheHistoryAndTheLinks(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (day, session) = try await Self.pfizerSessionTomorrowMorning(client, harness.clock)
            let appointment = try await Self.walkIn(client, session: session, name: "Lò Thị Mai", cccd: "019087005555")
            _ = try await client.send(
                .post,
                "/api/v1/appointments/\(appointment)/screening",
                token: Self.vaccinator,
                json: Self.screeningJSON()
            )
            let dose = try await client.send(
                .post,
                "/api/v1/appointments/\(appointment)/dose",
                token: Self.vaccinator,
                json:
                    #"{"lotNumber": "FK-1", "lotExpiry": "\#(day.adding(days: 90))", "doseNumber": 1, "kind": "primary"}"#
            )
            let doseID = try #require(dose.object["id"] as? String)
            let personID = try #require(dose.object["personId"] as? String)

            let noReason = try await client.send(
                .post,
                "/api/v1/doses/\(doseID)/corrections",
                token: Self.vaccinator,
                json: #"{"reason": "", "lotNumber": "FK-2"}"#
            )
            #expect(noReason.status == .badRequest)
            let lot = try await client.send(
                .post,
                "/api/v1/doses/\(doseID)/corrections",
                token: Self.vaccinator,
                json: #"{"reason": "Ghi nhầm số lô", "lotNumber": "FK-2", "lotExpiry": "\#(day.adding(days: 120))"}"#
            )
            #expect(lot.status == .ok, "\(lot.text)")
            #expect((lot.object["oldValues"] as? [String: String])?["lotNumber"] == "FK-1")
            let name = try await client.send(
                .post,
                "/api/v1/people/\(personID)/corrections",
                token: Self.vaccinator,
                json: #"{"reason": "Sai tên trên giấy tờ", "fullName": "Lò Thị Mây"}"#
            )
            #expect(name.status == .ok, "\(name.text)")
            #expect((name.object["oldValues"] as? [String: String])?["fullName"] == "Lò Thị Mai")

            // The person keeps their id and their dose; the dose shows the corrected lot; the history stays.
            let record = try await client.send(.get, "/api/v1/people/\(personID)/vaccination")
            let doses = (record.object["doses"] as? [[String: Any]]) ?? []
            #expect(doses.count == 1)
            #expect(doses.first?["lotNumber"] as? String == "FK-2")
            let person = try await client.send(.get, "/api/v1/people/\(personID)")
            #expect(person.object["fullName"] as? String == "Lò Thị Mây")
            let history = try await client.send(.get, "/api/v1/doses/\(doseID)/corrections", token: Self.vaccinator)
            #expect((history.object["items"] as? [Any])?.count == 1)
            // A correction that breaks the rules is refused: a second dose 1 would be a wrong number.
            let bad = try await client.send(
                .post,
                "/api/v1/doses/\(doseID)/corrections",
                token: Self.vaccinator,
                json: #"{"reason": "Thử sai số mũi", "doseNumber": 3}"#
            )
            #expect(bad.status == .badRequest)
            #expect(bad.errorField == "doseNumber")
        }
    }
}
