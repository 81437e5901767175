import Foundation
import HTTPTypes
import Hummingbird
import VaxDomain

/// The vaccination-site console: today's sessions, a session's list with check-in, screening, dose and the
/// observation board, and the offline queue's sync.
extension WebPages {
    func siteConsole(
        _ web: WebPage,
        errors: [String: String],
        session: String? = nil
    ) async throws
        -> Response
    {
        let sessionID = session ?? web.queryValue("session") ?? ""
        var values: [String: Any] = [
            "session": sessionID, "errors": errors,
            "reported": web.flag("reported"),
        ]
        if sessionID.isEmpty {
            // Today's sessions at the caller's facilities.
            let today = try await api.call(.get, "/api/v1/sessions")
            guard today.ok else { return refused(web, today) }
            let sessions = today.items.compactMap { item -> [String: Any]? in
                guard let session = item["session"] as? [String: Any], let id = session["id"] as? String else {
                    return nil
                }
                let slots = (session["slots"] as? [[String: Any]] ?? []).map {
                    "\($0["start"] ?? "")–\($0["end"] ?? "")"
                }
                return [
                    "id": id, "facility": item["facilityName"] ?? "",
                    "product": Self.productName(session["productCode"] as? String ?? ""),
                    "slots": slots.joined(separator: ", "),
                ]
            }
            values["today"] = sessions
            values["hasToday"] = !sessions.isEmpty
            values["noToday"] = sessions.isEmpty
        } else {
            guard UUID(uuidString: sessionID) != nil else {
                values["errors"] = ["session": web.t("sessionInvalid")]
                return web.render("site", values, status: .badRequest)
            }
            let info = try await api.call(.get, "/api/v1/sessions/\(sessionID)")
            guard info.ok else {
                if info.status == .notFound || info.status == .badRequest {
                    values["errors"] = ["session": info.message]
                    return web.render("site", values, status: info.status)
                }
                return refused(web, info)
            }
            let list = try await api.call(.get, "/api/v1/sessions/\(sessionID)/appointments")
            guard list.ok else { return refused(web, list) }
            let now = clock.now()
            var slotTimes: [Int: String] = [:]
            for slot in info.object["slots"] as? [[String: Any]] ?? [] {
                if let index = slot["index"] as? Int {
                    slotTimes[index] = "\(slot["start"] ?? "")–\(slot["end"] ?? "")"
                }
            }
            let checklist = try await currentChecklist(web)
            var rows: [[String: Any]] = []
            var observing: [[String: Any]] = []
            for item in list.items {
                let state = item["state"] as? String ?? ""
                let id = item["id"] as? String ?? ""
                let actions = item["allowedActions"] as? [String] ?? []
                let person = item["person"] as? [String: Any] ?? [:]
                rows.append([
                    "id": id, "slot": (item["slot"] as? Int).flatMap { slotTimes[$0] } ?? "",
                    "code": item["checkInCode"] ?? "",
                    "name": person["fullName"] ?? "", "birth": web.date(person["dateOfBirth"] as? String),
                    "state": web.t("state_" + state), "stateCode": state,
                    "canScreen": state == "checked_in", "canDose": state == "screened",
                    "walkIn": item["walkIn"] as? Bool ?? false,
                    "actions": actions.joined(separator: ", "),
                    // The forms on the row itself, which also work offline (queued, then synced).
                    "offlineCheckIn": ["invited", "confirmed"].contains(state),
                    "offlineScreen": ["invited", "confirmed", "checked_in"].contains(state),
                    "offlineDose": ["invited", "confirmed", "checked_in", "screened"].contains(state),
                    "recordCheckIn": Self.newRecordID(), "recordScreening": Self.newRecordID(),
                    "recordDose": Self.newRecordID(),
                ])
                if state == "vaccinated" {
                    let ends =
                        (item["observationEndsAt"] as? String).flatMap(WebPage.instant)
                        ?? (item["updatedAt"] as? String).flatMap(WebPage.instant).map { $0.addingTimeInterval(1800) }
                    let endsAt = ends ?? now.addingTimeInterval(1800)
                    observing.append([
                        "id": id, "code": item["checkInCode"] ?? "", "name": person["fullName"] ?? "",
                        "recordObservation": Self.newRecordID(), "personId": item["personId"] ?? "",
                        "endsAt": ISO8601DateFormatter().string(from: endsAt),
                        "endsLabel": web.time(endsAt),
                        "minutesLeft": max(0, Int(endsAt.timeIntervalSince(now) / 60)),
                        "done": endsAt <= now,
                    ])
                }
            }
            // The facility's name, from the day's list of sessions.
            let day = try await api.call(.get, "/api/v1/sessions?date=\(info.object["date"] as? String ?? "")")
            let facilityName = day.items.first { ($0["session"] as? [String: Any])?["id"] as? String == sessionID }?[
                "facilityName"
            ]
            values["info"] = [
                "date": web.date(info.object["date"] as? String),
                "product": Self.productName(info.object["productCode"] as? String ?? ""),
                "facility": facilityName ?? info.object["facilityId"] ?? "",
            ]
            values["rows"] = rows
            values["questions"] = checklist.questions.map { ["qcode": $0.code, "text": $0.text] }
            values["version"] = checklist.version
            values["hasRows"] = !rows.isEmpty
            values["observing"] = observing
            values["hasObserving"] = !observing.isEmpty
        }
        return web.render("site", values, status: errors.isEmpty ? .ok : .badRequest)
    }

    func siteCheckIn(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        let session = fields["session", default: ""]
        let code = fields["code", default: ""].trimmingCharacters(in: .whitespacesAndNewlines)
        guard UUID(uuidString: session) != nil else {
            return try await siteConsole(web, errors: ["session": web.t("sessionInvalid")], session: "")
        }
        guard !code.isEmpty else {
            return try await siteConsole(web, errors: ["code": web.t("required")], session: session)
        }
        let body = Self.checkInBody(code: code, record: Self.recordID(fields))
        let answer = try await api.call(.post, "/api/v1/sessions/\(session)/check-ins", json: body)
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            return try await siteConsole(web, errors: ["code": answer.message], session: session)
        }
        return Self.redirect("/app/site?session=\(session)&checkedIn=1")
    }

    func screeningForm(
        _ web: WebPage,
        appointment: UUID,
        session: String?,
        errors: [String: String],
        answers: [String: String] = [:]
    ) async throws -> Response {
        let checklist = try await currentChecklist(web)
        let questions = checklist.questions.map { item -> [String: Any] in
            [
                "id": item.code, "text": item.text, "yes": answers[item.code] == "yes",
                "no": answers[item.code] == "no",
                "error": errors["answers." + item.code] as Any,
            ]
        }
        return web.render(
            "screening",
            [
                "appointment": appointment.uuidString.lowercased(), "session": session ?? "",
                "version": checklist.version, "checklistTitle": checklist.title,
                "questions": questions, "errors": errors, "record": Self.newRecordID(),
                "temperature": answers["_temperature"] ?? "", "consented": answers["_consent"] == "yes",
            ],
            status: errors.isEmpty ? .ok : .badRequest
        )
    }

    func screen(_ web: WebPage, _ fields: [String: String], appointment: UUID) async throws -> Response {
        let session = fields["session", default: ""]
        let (body, errors) = screeningBody(web, fields)
        var echo = fields.filter { $0.key.hasPrefix("q_") }.reduce(into: [String: String]()) {
            $0[String($1.key.dropFirst(2))] = $1.value
        }
        echo["_temperature"] = fields["temperature"]
        echo["_consent"] = fields["consent"]
        guard errors.isEmpty else {
            return try await screeningForm(
                web,
                appointment: appointment,
                session: session,
                errors: errors,
                answers: echo
            )
        }
        let answer = try await api.call(
            .post,
            "/api/v1/appointments/\(appointment.uuidString.lowercased())/screening",
            json: body
        )
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            var mapped = answer.fieldErrors
            if mapped.isEmpty { mapped["answers"] = answer.message }
            if mapped["answers"] == nil, mapped.keys.allSatisfy({ !$0.hasPrefix("answers.") }) {
                mapped["answers"] = answer.message
            }
            return try await screeningForm(
                web,
                appointment: appointment,
                session: session,
                errors: mapped,
                answers: echo
            )
        }
        let outcome = answer.object["outcome"] as? String ?? ""
        let reasons = (answer.object["reasons"] as? [String] ?? []).joined(separator: "; ")
        return web.render(
            "screened",
            [
                "session": session, "appointment": appointment.uuidString.lowercased(),
                "outcome": web.t("outcome_" + outcome), "eligible": outcome == "eligible" || outcome == "caution",
                "reasons": reasons,
            ]
        )
    }

    func doseForm(
        _ web: WebPage,
        appointment: UUID,
        session: String?,
        values: [String: String],
        errors: [String: String]
    ) async throws -> Response {
        var lots: [[String: Any]] = []
        var product = ""
        if let session, UUID(uuidString: session) != nil {
            let info = try await api.call(.get, "/api/v1/sessions/\(session)")
            guard info.ok else { return refused(web, info) }
            product = info.object["productCode"] as? String ?? ""
            let stock = try await api.call(.get, "/api/v1/sessions/\(session)/stock")
            for line in stock.ok ? stock.items : [] {
                lots.append(["lot": line["lotNumber"] ?? ""])
            }
        }
        return web.render(
            "dose",
            [
                "appointment": appointment.uuidString.lowercased(), "session": session ?? "",
                "product": Self.productName(product), "lots": lots, "values": values, "errors": errors,
                "primary": values["kind", default: "primary"] == "primary", "booster": values["kind"] == "booster",
                "additional": values["kind"] == "additional", "record": values["_record"] ?? Self.newRecordID(),
            ],
            status: errors.isEmpty ? .ok : .badRequest
        )
    }

    func dose(_ web: WebPage, _ fields: [String: String], appointment: UUID) async throws -> Response {
        let session = fields["session", default: ""]
        let (body, values, errors) = doseBody(web, fields)
        guard errors.isEmpty else {
            return try await doseForm(web, appointment: appointment, session: session, values: values, errors: errors)
        }
        let answer = try await api.call(
            .post,
            "/api/v1/appointments/\(appointment.uuidString.lowercased())/dose",
            json: body
        )
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            var mapped: [String: String] = [:]
            for (field, message) in answer.fieldErrors {
                mapped[["lotNumber", "lotExpiry", "doseNumber", "kind"].contains(field) ? field : "lotNumber"] =
                    message
            }
            if mapped.isEmpty { mapped["lotNumber"] = answer.message }
            return try await doseForm(web, appointment: appointment, session: session, values: values, errors: mapped)
        }
        return Self.redirect("/app/site?session=\(Self.sessionID(session))")
    }

    func observe(_ web: WebPage, _ fields: [String: String], appointment: UUID) async throws -> Response {
        let session = fields["session", default: ""]
        let answer = try await api.call(
            .post,
            "/api/v1/appointments/\(appointment.uuidString.lowercased())/observation",
            json: Self.observationBody(fields)
        )
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            return try await siteConsole(web, errors: ["observation": answer.message], session: session)
        }
        return Self.redirect("/app/site?session=\(Self.sessionID(session))")
    }

    // MARK: The records the site's forms make, online or queued offline

    /// A fresh record id for a form: the API applies a record once, so a form sent twice, or sent offline
    /// and synced later, counts once.
    static func newRecordID() -> String { IdentifierGenerator.uuidV7.next(at: Date()).uuidString.lowercased() }

    /// A session id fit for a link: the id when it is one, else nothing.
    static func sessionID(_ text: String) -> String {
        UUID(uuidString: text).map { $0.uuidString.lowercased() } ?? ""
    }

    static func recordID(_ fields: [String: String]) -> String? {
        fields["_record"].flatMap(UUID.init(uuidString:)).map { $0.uuidString.lowercased() }
    }

    /// The check-in for what was typed or scanned: a short code of letters and digits is the invitation's
    /// check-in code, 9 or 12 digits an ID number, anything else a scanned QR.
    static func checkInBody(code: String, record: String?) -> [String: Any] {
        var body: [String: Any] =
            if code.count <= 10, code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
                !code.allSatisfy(\.isNumber)
            {
                ["checkInCode": code.uppercased()]
            } else if [9, 12].contains(code.count), code.allSatisfy({ $0.isASCII && $0.isNumber }) {
                ["nationalId": code]
            } else {
                ["code": code]
            }
        if let record { body["id"] = record }
        return body
    }

    /// The screening from its form, or the messages for its fields.
    func screeningBody(_ web: WebPage, _ fields: [String: String]) -> (body: [String: Any], errors: [String: String]) {
        var answers: [String: Any] = [:]
        var errors: [String: String] = [:]
        for (name, value) in fields where name.hasPrefix("q_") {
            answers[String(name.dropFirst(2))] = value == "yes"
        }
        if fields["consent"] != "yes" { errors["consent"] = web.t("consentNeeded") }
        var body: [String: Any] = ["answers": answers, "consent": true]
        if let text = fields["temperature"], !text.isEmpty {
            if let value = Double(text.replacingOccurrences(of: ",", with: ".")), (30...45).contains(value) {
                body["vitals"] = ["temperatureCelsius": value]
            } else {
                errors["temperature"] = web.t("temperatureInvalid")
            }
        }
        if let version = fields["version"], !version.isEmpty { body["checklistVersion"] = version }
        if let record = Self.recordID(fields) { body["id"] = record }
        return (body, errors)
    }

    /// The dose from its form (with the values to show again), or the messages for its fields.
    func doseBody(
        _ web: WebPage,
        _ fields: [String: String]
    ) -> (body: [String: Any], values: [String: String], errors: [String: String]) {
        var values: [String: String] = [:]
        for name in ["lotNumber", "lotExpiry", "doseNumber", "kind", "injectionSite", "_record"] {
            values[name] = fields[name, default: ""].trimmingCharacters(in: .whitespaces)
        }
        var errors: [String: String] = [:]
        if values["lotNumber", default: ""].isEmpty { errors["lotNumber"] = web.t("required") }
        let expiry = WebPage.isoDate(values["lotExpiry", default: ""])
        if expiry == nil { errors["lotExpiry"] = web.t("dateInvalid") }
        let number = Int(values["doseNumber", default: ""]).flatMap { (1...10).contains($0) ? $0 : nil }
        if number == nil { errors["doseNumber"] = web.t("doseNumberInvalid") }
        var body: [String: Any] = [
            "lotNumber": values["lotNumber", default: ""], "lotExpiry": expiry ?? "", "doseNumber": number ?? 0,
            "kind": values["kind", default: ""].isEmpty ? "primary" : values["kind"]!,
        ]
        if let site = values["injectionSite"], !site.isEmpty { body["injectionSite"] = site }
        if let record = Self.recordID(fields) { body["id"] = record }
        return (body, values, errors)
    }

    static func observationBody(_ fields: [String: String]) -> [String: Any] {
        var body: [String: Any] = [
            "reactions": fields["reactions", default: ""].split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
        ]
        if let record = recordID(fields) { body["id"] = record }
        return body
    }

    /// The screening checklist in force (the version that took effect last), in the page's language.
    func currentChecklist(
        _ web: WebPage
    ) async throws -> (version: String, title: String, questions: [(code: String, text: String)]) {
        let lists = try await api.call(.get, "/api/v1/screening-checklists")
        let checklist =
            lists.items.max { ($0["effectiveFrom"] as? String ?? "") < ($1["effectiveFrom"] as? String ?? "") } ?? [:]
        let questions = (checklist["items"] as? [[String: Any]] ?? []).map { item in
            (
                code: item["code"] as? String ?? "",
                text: web.language == .english
                    ? item["textEnglish"] as? String ?? item["text"] as? String ?? "" : item["text"] as? String ?? ""
            )
        }
        return (checklist["version"] as? String ?? "", checklist["title"] as? String ?? "", questions)
    }

    /// Records made offline, sent when the tablet is back online: each form's action and fields, turned into
    /// the API's batch records exactly as the forms would have been, applied once each. Answers JSON:
    /// the batch results, with a record the page could not read rejected with its reason.
    func sync(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        struct Queued: Decodable {
            var action: String
            var fields: [String: String]
            var at: String?
        }
        guard let text = fields["records"],
            let queued = try? JSONDecoder().decode([Queued].self, from: Data(text.utf8)),
            (1...500).contains(queued.count)
        else {
            return Self.json(
                ["error": ["code": "invalid_field", "field": "records", "message": web.t("syncInvalid")]],
                .badRequest
            )
        }
        var records: [[String: Any]] = []
        var local: [[String: Any]] = []
        for item in queued {
            guard let id = Self.recordID(item.fields) else {
                local.append([
                    "id": item.fields["_record"] ?? "", "status": "rejected",
                    "error": ["code": "invalid_field", "message": web.t("syncInvalid")],
                ])
                continue
            }
            var record: [String: Any] = ["id": id]
            // The browser writes milliseconds; the API takes whole seconds.
            if let at = item.at.flatMap(WebPage.instant) {
                record["occurredAt"] = ISO8601DateFormatter().string(from: at)
            }
            let parts = item.action.split(separator: "/").map(String.init)
            var problems: [String: String] = [:]
            if item.action == "/app/site/check-in" {
                record["type"] = "check_in"
                record["sessionId"] = item.fields["session", default: ""]
                record["checkIn"] = Self.checkInBody(code: item.fields["code", default: ""], record: id)
            } else if parts.count == 5, parts[0...2] == ["app", "site", "appointments"],
                UUID(uuidString: parts[3]) != nil
            {
                record["appointmentId"] = parts[3].lowercased()
                switch parts[4] {
                case "screening":
                    let (body, errors) = screeningBody(web, item.fields)
                    (record["type"], record["screening"], problems) = ("screening", body, errors)
                case "dose":
                    let (body, _, errors) = doseBody(web, item.fields)
                    (record["type"], record["dose"], problems) = ("dose", body, errors)
                case "observation":
                    (record["type"], record["observation"]) = ("observation", Self.observationBody(item.fields))
                default:
                    problems["action"] = web.t("syncInvalid")
                }
            } else {
                problems["action"] = web.t("syncInvalid")
            }
            if let (field, message) = problems.first {
                local.append([
                    "id": id, "status": "rejected",
                    "error": ["code": "invalid_field", "field": field, "message": message],
                ])
            } else {
                records.append(record)
            }
        }
        var results = local
        if !records.isEmpty {
            let answer = try await api.call(.post, "/api/v1/site/batch", json: ["records": records])
            guard answer.ok else { return Self.json(answer.json, answer.status) }
            results += answer.object["results"] as? [[String: Any]] ?? []
        }
        return Self.json(["results": results], .ok)
    }

    static func json(_ value: Any, _ status: HTTPResponse.Status) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
