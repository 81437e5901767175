import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import QRCode
import VaxDomain
import VaxStorage

/// The web application under `/app`: server-rendered pages (swift-mustache templates, plain CSS, one small
/// script) for citizens, vaccination sites, venue owners and officials. Every page reads and writes through
/// `WebAPI`, so it checks the role and scope the API checks; every form carries a CSRF token; Vietnamese
/// is the default language, English the other.
struct WebPages: Sendable {
    let api: WebAPI
    let library: MustacheLibrary
    let priorityGroups: SQLPriorityGroupRepository
    let secureCookies: Bool
    let clock: WallClock

    static let languageCookie = "vax_lang"
    static let formCookie = "vax_form"

    /// Loads the templates shipped with the server.
    static func templates() async throws -> MustacheLibrary {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw ConfigurationError(key: "templates", reason: "the web templates are missing from the build")
        }
        return try await MustacheLibrary(directory: folder.path)
    }

    func register(on router: Router<VaxRequestContext>) {
        router.get("/app/app.css") { _, _ in Self.asset(WebAssets.css, type: "text/css; charset=utf-8") }
        router.get("/app/app.js") { _, _ in Self.asset(WebAssets.script, type: "text/javascript; charset=utf-8") }
        router.get("/app/manifest.webmanifest") { _, _ in
            Self.asset(WebAssets.manifest, type: "application/manifest+json")
        }
        router.get("/app/icon.svg") { _, _ in Self.asset(WebAssets.icon, type: "image/svg+xml") }
        // Browsers ask for it on pages without an icon link (the poster, the check-in page).
        router.get("/favicon.ico") { _, _ in Self.asset(WebAssets.icon, type: "image/svg+xml") }
        router.get("/app/sw.js") { _, _ in Self.asset(WebAssets.serviceWorker, type: "text/javascript; charset=utf-8") }
        router.get("/app") { request, _ in try await page(request) { try await home($0) } }
        router.get("/app/sign-in") { request, _ in
            try await page(request) { $0.render("signin", ["stepPhone": true]) }
        }
        router.post("/app/sign-in") { request, _ in try await form(request) { try await requestCode($0, $1) } }
        router.post("/app/sign-in/code") { request, _ in try await form(request) { try await verifyCode($0, $1) } }
        router.get("/app/staff") { request, _ in
            try await page(request) { $0.render("staff", ["stepPassword": true]) }
        }
        router.post("/app/staff") { request, _ in try await form(request) { try await staffPassword($0, $1) } }
        router.post("/app/staff/totp") { request, _ in try await form(request) { try await staffCode($0, $1) } }
        router.post("/app/sign-out") { request, _ in
            try await form(request) { _, _ in
                _ = try await api.call(.post, "/api/v1/auth/sign-out")
                return Self.redirect("/app/sign-in")
            }
        }
        router.get("/app/me") { request, _ in try await page(request, signedIn: true) { try await healthBook($0) } }
        router.get("/app/me/register") { request, _ in
            try await page(request, signedIn: true) { try await registrationForm($0, values: [:], errors: [:]) }
        }
        router.post("/app/me/register") { request, _ in
            try await form(request, signedIn: true) { try await register($0, $1) }
        }
        router.get("/app/me/people/:person/personal-qr.png") { request, context in
            try await page(request, signedIn: true) { _ in
                let person = try context.parameters.require("person", as: UUID.self)
                let answer = try await api.call(.get, "/api/v1/people/\(person.uuidString.lowercased())/personal-code")
                guard answer.ok, let code = answer.object["code"] as? String else { return Self.failure(answer) }
                return Self.png(try QRCode(code, errorCorrection: .medium).png(scale: 5))
            }
        }
        router.get("/app/me/people/:person/certificates/{certificate}.png") { request, context in
            try await page(request, signedIn: true) { _ in
                let person = try context.parameters.require("person", as: UUID.self).uuidString.lowercased()
                let certificate = try context.parameters.require("certificate", as: UUID.self).uuidString.lowercased()
                let answer = try await api.call(
                    .get,
                    "/api/v1/people/\(person)/certificates/\(certificate)/qr?format=png"
                )
                guard answer.ok else { return Self.failure(answer) }
                return Response(
                    status: .ok,
                    headers: [.contentType: "image/png", .cacheControl: "private, no-store"],
                    body: .init(byteBuffer: answer.body)
                )
            }
        }
        router.get("/app/me/reaction") { request, _ in
            try await page(request, signedIn: true) { try await reactionForm($0, values: [:], errors: [:]) }
        }
        router.post("/app/me/reaction") { request, _ in
            try await form(request, signedIn: true) { try await reportReaction($0, $1) }
        }
        // A nurse records a reaction seen at the site: the same form, for the one person of the appointment.
        router.get("/app/site/aefi") { request, _ in
            try await page(request, signedIn: true) {
                try await reactionForm(
                    $0,
                    values: [
                        "personId": Self.query(request, "person") ?? "",
                        "session": Self.query(request, "session") ?? "",
                    ],
                    errors: [:]
                )
            }
        }
        router.post("/app/site/aefi") { request, _ in
            try await form(request, signedIn: true) { try await reportReaction($0, $1) }
        }
        router.get("/app/me/declaration") { request, _ in
            try await page(request, signedIn: true) { declarationForm($0, [:], errors: [:]) }
        }
        router.post("/app/me/declaration") { request, _ in
            try await form(request, signedIn: true) { try await declare($0, $1) }
        }
        router.get("/app/tracing") { request, _ in
            try await page(request, signedIn: true) { try await tracing($0, values: [:], errors: [:]) }
        }
        router.post("/app/tracing") { request, _ in
            try await form(request, signedIn: true) { try await recordCase($0, $1) }
        }
        router.get("/app/tracing/cases/:case") { request, context in
            try await page(request, signedIn: true) {
                try await tracingCase($0, id: try context.parameters.require("case", as: UUID.self), errors: [:])
            }
        }
        router.post("/app/tracing/cases/:case/contacts/:contact/f1") { request, context in
            try await form(request, signedIn: true) {
                try await markF1(
                    $0,
                    $1,
                    id: try context.parameters.require("case", as: UUID.self),
                    contact: try context.parameters.require("contact", as: UUID.self)
                )
            }
        }
        router.get("/app/site") { request, _ in
            try await page(request, signedIn: true) { try await siteConsole($0, errors: [:]) }
        }
        router.post("/app/site/check-in") { request, _ in
            try await form(request, signedIn: true) { try await siteCheckIn($0, $1) }
        }
        router.post("/app/site/sync") { request, _ in
            try await form(request, signedIn: true) { try await sync($0, $1) }
        }
        router.get("/app/site/appointments/:appointment/screening") { request, context in
            try await page(request, signedIn: true) {
                try await screeningForm(
                    $0,
                    appointment: try context.parameters.require("appointment", as: UUID.self),
                    session: Self.query(request, "session"),
                    errors: [:]
                )
            }
        }
        router.get("/app/site/appointments/:appointment/dose") { request, context in
            try await page(request, signedIn: true) {
                try await doseForm(
                    $0,
                    appointment: try context.parameters.require("appointment", as: UUID.self),
                    session: Self.query(request, "session"),
                    values: [:],
                    errors: [:]
                )
            }
        }
        // The site's three records about one appointment: screening, dose, observation.
        let records: [(String, @Sendable (WebPage, [String: String], UUID) async throws -> Response)] = [
            ("screening", { try await screen($0, $1, appointment: $2) }),
            ("dose", { try await dose($0, $1, appointment: $2) }),
            ("observation", { try await observe($0, $1, appointment: $2) }),
        ]
        for (record, handle) in records {
            router.post("/app/site/appointments/:appointment/\(record)") { request, context in
                try await form(request, signedIn: true) {
                    try await handle($0, $1, try context.parameters.require("appointment", as: UUID.self))
                }
            }
        }
        router.get("/app/venues") { request, _ in
            try await page(request, signedIn: true) { try await venues($0, values: [:], errors: [:]) }
        }
        router.post("/app/venues") { request, _ in
            try await form(request, signedIn: true) { try await registerVenue($0, $1) }
        }
        router.get("/app/venues/:venue/visitors") { request, context in
            try await page(request, signedIn: true) {
                try await visitors($0, venue: try context.parameters.require("venue", as: UUID.self))
            }
        }
        router.get("/app/venues/:venue/poster") { request, context in
            try await page(request, signedIn: true) { _ in
                let venue = try context.parameters.require("venue", as: UUID.self).uuidString.lowercased()
                let answer = try await api.call(.get, "/api/v1/venues/\(venue)/poster")
                guard answer.ok else { return Self.failure(answer) }
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/html; charset=utf-8"],
                    body: .init(byteBuffer: answer.body)
                )
            }
        }
        router.get("/app/dashboards") { request, _ in
            try await page(request, signedIn: true) { try await dashboard($0, request) }
        }
    }

    // MARK: The request plumbing

    /// A GET page: the language, the caller and the CSRF token; unsigned callers go to sign-in when the
    /// page needs one; a refusal becomes a page that says so.
    func page(
        _ request: Request,
        signedIn: Bool = false,
        _ body: (WebPage) async throws -> Response
    ) async throws -> Response {
        let web = WebPage(request: request, library: library, secureCookies: secureCookies)
        if signedIn, web.principal == nil { return Self.redirect("/app/sign-in") }
        var response = try await body(web)
        web.finish(&response)
        return response
    }

    /// A form POST: the CSRF token in the form must be the caller's, then the handler runs with the fields.
    func form(
        _ request: Request,
        signedIn: Bool = false,
        _ body: (WebPage, [String: String]) async throws -> Response
    ) async throws -> Response {
        let web = WebPage(request: request, library: library, secureCookies: secureCookies)
        if signedIn, web.principal == nil { return Self.redirect("/app/sign-in") }
        let fields = try await Self.formFields(request)
        guard let sent = fields["_csrf"], let expected = web.csrfToken,
            Secrets.constantTimeEquals(sent, expected)
        else {
            var response = web.render(
                "message",
                ["heading": web.t("formExpired"), "text": web.t("formExpiredText")],
                status: .forbidden
            )
            web.finish(&response)
            return response
        }
        var response = try await body(web, fields)
        web.finish(&response)
        return response
    }

    static func formFields(_ request: Request) async throws -> [String: String] {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else { return [:] }
        var request = request
        // The body limit middleware has read it already.
        let buffer = try await request.collectBody(upTo: 1 << 20)
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            let value = parts.count > 1 ? decode(parts[1]) : ""
            // Repeated names (check boxes) are joined with commas.
            fields[name] = fields[name].map { $0 + "," + value } ?? value
        }
        return fields
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "public, max-age=300"],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func png(_ bytes: [UInt8]) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "image/png", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// A non-page answer (an image) the API refused: the same status, no body.
    static func failure(_ answer: WebAPI.Answer) -> Response {
        Response(status: answer.ok ? .internalServerError : answer.status)
    }

    /// A refusal or failure shown as a page.
    func refused(_ web: WebPage, _ answer: WebAPI.Answer) -> Response {
        if answer.status == .unauthorized { return Self.redirect("/app/sign-in") }
        let heading =
            switch answer.status {
            case .forbidden: web.t("notAllowed")
            case .notFound: web.t("notFound")
            default: web.t("somethingWrong")
            }
        return web.render("message", ["heading": heading, "text": answer.message], status: answer.status)
    }

    // MARK: Signing in

    func home(_ web: WebPage) async throws -> Response {
        guard let principal = web.principal else { return Self.redirect("/app/sign-in") }
        switch principal.role {
        case .citizen: return Self.redirect("/app/me")
        case .vaccinator, .facilityAdmin: return Self.redirect("/app/site")
        case .venueOwner, .venueStaff: return Self.redirect("/app/venues")
        case .tracer: return Self.redirect("/app/tracing")
        default: return Self.redirect("/app/dashboards")
        }
    }

    func requestCode(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        let phone = fields["phone", default: ""].trimmingCharacters(in: .whitespaces)
        guard (try? PhoneNumber.normalise(phone).get()) != nil else {
            return web.render(
                "signin",
                ["stepPhone": true, "phone": phone, "errors": ["phone": web.t("phoneInvalid")]],
                status: .badRequest
            )
        }
        let answer = try await api.call(.post, "/api/v1/auth/otp/request", json: ["phone": phone])
        guard answer.ok, let challenge = answer.object["challengeId"] as? String else {
            return web.render(
                "signin",
                ["stepPhone": true, "phone": phone, "errors": ["phone": answer.message]],
                status: answer.status
            )
        }
        return web.render("signin", ["stepCode": true, "phone": phone, "challenge": challenge])
    }

    func verifyCode(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        let code = fields["code", default: ""].trimmingCharacters(in: .whitespaces)
        let back: [String: Any] = [
            "stepCode": true, "phone": fields["phone", default: ""], "challenge": fields["challenge", default: ""],
        ]
        guard code.count == 6, code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else {
            return web.render(
                "signin",
                back.merging(["errors": ["code": web.t("codeInvalid")]]) { $1 },
                status: .badRequest
            )
        }
        let answer = try await api.call(
            .post,
            "/api/v1/auth/otp/verify",
            json: ["challengeId": fields["challenge", default: ""], "code": code]
        )
        guard answer.ok else {
            return web.render(
                "signin",
                back.merging(["errors": ["code": answer.message]]) { $1 },
                status: answer.status
            )
        }
        return Self.redirect("/app/me")
    }

    func staffPassword(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        let username = fields["username", default: ""].trimmingCharacters(in: .whitespaces)
        let password = fields["password", default: ""]
        var errors: [String: String] = [:]
        if username.isEmpty { errors["username"] = web.t("required") }
        if password.isEmpty { errors["password"] = web.t("required") }
        guard errors.isEmpty else {
            return web.render(
                "staff",
                ["stepPassword": true, "username": username, "errors": errors],
                status: .badRequest
            )
        }
        let answer = try await api.call(
            .post,
            "/api/v1/auth/sign-in",
            json: ["username": username, "password": password]
        )
        guard answer.ok, let mfa = answer.object["mfaToken"] as? String else {
            return web.render(
                "staff",
                ["stepPassword": true, "username": username, "errors": ["password": answer.message]],
                status: answer.status
            )
        }
        var values: [String: Any] = ["stepCode": true, "mfaToken": mfa]
        if answer.object["next"] as? String == "enrol" {
            let enrol = try await api.call(.post, "/api/v1/auth/totp/enrol", json: ["mfaToken": mfa])
            guard enrol.ok else { return refused(web, enrol) }
            values["enrol"] = Self.enrolment(uri: enrol.object["otpauthUri"] as? String ?? "")
        }
        return web.render("staff", values)
    }

    /// The authenticator's QR code and key for an `otpauth://` URI (shown again after a wrong first code).
    static func enrolment(uri: String) -> [String: Any]? {
        guard uri.hasPrefix("otpauth://totp/"), let components = URLComponents(string: uri),
            let secret = components.queryItems?.first(where: { $0.name == "secret" })?.value,
            let code = try? QRCode(uri, errorCorrection: .medium)
        else { return nil }
        return ["secret": secret, "qr": dataURI(svg: code.svg()), "uri": uri]
    }

    func staffCode(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        let mfa = fields["mfaToken", default: ""]
        let code = fields["code", default: ""].trimmingCharacters(in: .whitespaces)
        // During enrolment the QR code stays on the page until a code is accepted.
        let enrol = Self.enrolment(uri: fields["enrolUri", default: ""]) as Any
        let isTOTP = code.count == 6 && code.allSatisfy { $0.isASCII && $0.isNumber }
        // A TOTP code is 6 digits; a recovery code is three groups of four letters or digits.
        let isRecovery = code.count == 14 && code.split(separator: "-").map(\.count) == [4, 4, 4]
        guard isTOTP || isRecovery else {
            return web.render(
                "staff",
                [
                    "stepCode": true, "mfaToken": mfa, "enrol": enrol,
                    "errors": ["code": web.t(code.isEmpty ? "required" : "totpInvalid")],
                ],
                status: .badRequest
            )
        }
        let answer = try await api.call(
            .post,
            "/api/v1/auth/totp/verify",
            json: isTOTP ? ["mfaToken": mfa, "code": code] : ["mfaToken": mfa, "recoveryCode": code]
        )
        guard answer.ok else {
            return web.render(
                "staff",
                ["stepCode": true, "mfaToken": mfa, "enrol": enrol, "errors": ["code": answer.message]],
                status: answer.status
            )
        }
        if let codes = answer.object["recoveryCodes"] as? [String], !codes.isEmpty {
            return web.render("recovery", ["codes": codes])
        }
        return Self.redirect("/app")
    }

    static func dataURI(svg: String) -> String {
        "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString()
    }

    // MARK: The citizen's health book

    func healthBook(_ web: WebPage) async throws -> Response {
        let people = try await api.call(.get, "/api/v1/me/people")
        guard people.ok else { return refused(web, people) }
        let appointments = try await api.call(.get, "/api/v1/appointments/mine")
        guard appointments.ok else { return refused(web, appointments) }
        var names: [String: String] = [:]
        var cards: [[String: Any]] = []
        for person in people.items.prefix(10) {
            guard let id = person["id"] as? String else { continue }
            names[id] = person["fullName"] as? String ?? ""
            let record = try await api.call(.get, "/api/v1/people/\(id)/vaccination")
            let certificates = try await api.call(.get, "/api/v1/people/\(id)/certificates")
            var status = record.object["status"] as? [String: Any] ?? [:]
            if !record.ok { status = ["colour": "none", "label": record.message, "labelEnglish": record.message] }
            let doses = (record.object["doses"] as? [[String: Any]] ?? []).map { dose -> [String: Any] in
                [
                    "number": dose["doseNumber"] ?? "",
                    "product": Self.productName(dose["productCode"] as? String ?? ""),
                    "lot": dose["lotNumber"] ?? "",
                    "date": web.dateTime(dose["administeredAt"] as? String),
                    "retrospective": dose["retrospective"] as? Bool ?? false,
                ]
            }
            let certificate = certificates.items.first { ($0["revoked"] as? Bool) != true }
            let colour = status["colour"] as? String ?? "none"
            cards.append([
                "pid": id,
                "name": person["fullName"] ?? "",
                "birth": web.date(person["dateOfBirth"] as? String),
                "colour": colour,
                "statusWords": web.language == .english
                    ? status["labelEnglish"] as? String ?? "" : status["label"] as? String ?? "",
                "nextDue": web.date(status["nextDueDate"] as? String),
                "doses": doses,
                "hasDoses": !doses.isEmpty,
                "certificate": certificate.map { item -> [String: Any] in
                    [
                        "cid": item["id"] ?? "", "uvci": item["uvci"] ?? "",
                        "issued": web.dateTime(item["issuedAt"] as? String),
                        "qrText": item["qrText"] ?? "",
                    ]
                } as Any,
            ])
        }
        let items = appointments.items.map { item -> [String: Any] in
            let state = item["state"] as? String ?? ""
            let session = item["session"] as? [String: Any] ?? [:]
            return [
                "person": names[item["personId"] as? String ?? ""] ?? "",
                "when": session.isEmpty
                    ? "" : "\(web.date(session["date"] as? String)) \(session["start"] ?? "")–\(session["end"] ?? "")",
                "where": session["facilityName"] ?? "",
                "product": Self.productName(session["productCode"] as? String ?? ""),
                "state": web.t("state_" + state),
                "stateCode": state,
                "slot": item["slot"] ?? "",
                "code": item["checkInCode"] ?? "",
                "dose": web.t("kind_" + (item["doseKind"] as? String ?? "")),
                "updated": web.dateTime(item["updatedAt"] as? String),
            ]
        }
        let visits = try await api.call(.get, "/api/v1/me/check-ins")
        let checkIns = (visits.ok ? visits.items : []).prefix(20).map { item -> [String: Any] in
            [
                "venue": item["venueName"] ?? "", "arrived": web.dateTime(item["arrivedAt"] as? String),
                "left": web.dateTime((item["leftAt"] ?? item["stayUntil"]) as? String),
            ]
        }
        let exposures = try await api.call(.get, "/api/v1/me/exposure-warnings")
        let warnings = (exposures.ok ? exposures.items : []).map { item -> [String: Any] in
            [
                "venue": item["venueName"] ?? "",
                "from": web.dateTime(item["contactStart"] as? String),
                "to": web.dateTime(item["contactEnd"] as? String),
                "status": web.t("contact_" + (item["status"] as? String ?? "")),
            ]
        }
        return web.render(
            "me",
            [
                "people": cards, "hasPeople": !cards.isEmpty, "appointments": items,
                "hasAppointments": !items.isEmpty, "registered": web.flag("registered"),
                "reported": web.flag("reported"), "declared": web.flag("declared"), "warnings": warnings,
                "hasWarnings": !warnings.isEmpty, "checkIns": Array(checkIns), "hasCheckIns": !checkIns.isEmpty,
            ]
        )
    }

    func registrationForm(_ web: WebPage, values: [String: String], errors: [String: String]) async throws -> Response {
        let groups = try await priorityGroups.names(validOn: LocalDate(at: clock.now()))
        let chosen = values["priorityGroup"] ?? ""
        // Who the new record is for: a person with this phone, or a dependant (a child, an elderly parent)
        // of one of the caller's own records.
        let mine = try await api.call(.get, "/api/v1/me/people")
        let holders = mine.items.filter { $0["guardianId"] == nil }.map { person -> [String: Any] in
            let value = "dependant:\(person["id"] ?? "")"
            return ["value": value, "name": person["fullName"] ?? "", "selected": values["for"] == value]
        }
        let relationships = ["child", "parent", "spouse", "grandparent", "other"].map {
            ["code": $0, "name": web.t("relationship_" + $0), "selected": values["relationship"] == $0] as [String: Any]
        }
        return web.render(
            "register",
            [
                "values": values, "errors": errors,
                "groups": groups.map { group -> [String: Any] in
                    [
                        "code": group.code,
                        "name": web.language == .english ? group.english : group.vietnamese,
                        "selected": String(group.code) == chosen,
                    ]
                },
                "female": values["sex"] == "female", "male": values["sex"] == "male",
                "holders": holders, "hasHolders": !holders.isEmpty, "relationships": relationships,
            ],
            status: errors.isEmpty ? .ok : .badRequest
        )
    }

    func register(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        let names = [
            "fullName", "dateOfBirth", "sex", "nationalId", "occupation", "communeCode", "street", "priorityGroup",
        ]
        var values: [String: String] = [:]
        for name in names { values[name] = fields[name, default: ""].trimmingCharacters(in: .whitespaces) }
        var errors: [String: String] = [:]
        values["for"] = fields["for", default: ""]
        values["relationship"] = fields["relationship", default: ""]
        let guardian =
            values["for", default: ""].hasPrefix("dependant:")
            ? UUID(uuidString: String(values["for"]!.dropFirst("dependant:".count))) : nil
        if values["for", default: ""].hasPrefix("dependant:"), guardian == nil { errors["for"] = web.t("required") }
        if guardian != nil, !["child", "parent", "spouse", "grandparent", "other"].contains(values["relationship"]!) {
            errors["relationship"] = web.t("required")
        }
        // A child may have no ID card yet: the number is needed for a record of one's own.
        for name in names where values[name, default: ""].isEmpty && !(name == "nationalId" && guardian != nil) {
            errors[name] = web.t("required")
        }
        if errors["dateOfBirth"] == nil, WebPage.isoDate(values["dateOfBirth"]!) == nil {
            errors["dateOfBirth"] = web.t("dateInvalid")
        }
        let number = values["nationalId", default: ""]
        if errors["nationalId"] == nil, !number.isEmpty || guardian == nil,
            ![9, 12].contains(number.count) || !number.allSatisfy({ $0.isASCII && $0.isNumber })
        {
            errors["nationalId"] = web.t("nationalIdInvalid")
        }
        let commune = values["communeCode", default: ""]
        if errors["communeCode"] == nil, commune.count != 5 || !commune.allSatisfy({ $0.isASCII && $0.isNumber }) {
            errors["communeCode"] = web.t("communeInvalid")
        }
        if errors["priorityGroup"] == nil, Int(values["priorityGroup"]!) == nil {
            errors["priorityGroup"] = web.t("required")
        }
        guard errors.isEmpty, let group = Int(values["priorityGroup"]!) else {
            return try await registrationForm(web, values: values, errors: errors)
        }
        var person: [String: Any] = [
            "fullName": values["fullName"]!, "dateOfBirth": WebPage.isoDate(values["dateOfBirth"]!)!,
            "sex": values["sex"]!, "occupation": values["occupation"]!,
            "address": [
                "scheme": "2025", "provinceCode": try await provinceCode(of: commune),
                "communeCode": commune, "street": values["street"]!,
            ],
            "priorityGroups": [group],
        ]
        if !number.isEmpty { person["nationalId"] = ["type": number.count == 9 ? "cmnd" : "cccd", "number": number] }
        let answer: WebAPI.Answer
        if let guardian {
            // The dependant's record, then their registration (the record stays if the registration is
            // refused, and the form says why).
            let made = try await api.call(
                .post,
                "/api/v1/people/\(guardian.uuidString.lowercased())/dependants",
                json: ["relationship": values["relationship"]!, "person": person]
            )
            guard made.ok, let id = made.object["id"] as? String else {
                return try await registrationFailed(web, made, values: values, names: names)
            }
            answer = try await api.call(.post, "/api/v1/registrations", json: ["personId": id, "priorityGroup": group])
        } else {
            if let phone = web.principal?.phone { person["phone"] = phone }
            answer = try await api.call(
                .post,
                "/api/v1/registrations",
                json: ["person": person, "priorityGroup": group]
            )
        }
        guard answer.ok else { return try await registrationFailed(web, answer, values: values, names: names) }
        return Self.redirect("/app/me?registered=1")
    }

    /// The registration form again with the API's refusal next to the fields it names.
    func registrationFailed(
        _ web: WebPage,
        _ answer: WebAPI.Answer,
        values: [String: String],
        names: [String]
    ) async throws -> Response {
        if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
        var mapped: [String: String] = [:]
        for (field, message) in answer.fieldErrors {
            let name =
                switch field {
                case "person.address.communeCode", "person.address.provinceCode", "person.address":
                    "communeCode"
                case "person.address.street": "street"
                case "person.nationalId", "person.nationalId.number": "nationalId"
                case "priorityGroup", "person.priorityGroups": "priorityGroup"
                default: String(field.split(separator: ".").last ?? "fullName")
                }
            mapped[names.contains(name) ? name : "fullName"] = message
        }
        if mapped.isEmpty { mapped["fullName"] = answer.message }
        return try await registrationForm(web, values: values, errors: mapped)
    }

    /// The province a 2025 commune lies in (the API's own unit lookup); empty when the code is unknown, which
    /// the registration then refuses with the field named.
    func provinceCode(of commune: String) async throws -> String {
        let unit = try await api.call(.get, "/api/v1/units/2025/\(commune)")
        return unit.object["provinceCode"] as? String ?? ""
    }

    /// Whether a dashboard unit lies in the caller's scope (so a link to it would not be refused).
    func reachable(_ code: String?, by principal: Principal?) -> Bool {
        guard let code, let principal else { return false }
        switch principal.scope {
        case .all: return true
        case .unit(let own): return code.hasPrefix(own)
        default: return false
        }
    }

    static func productName(_ code: String) -> String {
        VaccineCatalogue.standard.product(code)?.name ?? code
    }

    static let reactions = [
        "injection_site_pain", "fever", "headache", "fatigue", "muscle_pain", "nausea", "rash", "breathlessness",
        "anaphylaxis",
    ]

    func reactionForm(_ web: WebPage, values: [String: String], errors: [String: String]) async throws -> Response {
        let staff = web.principal?.role != .citizen
        let people: WebAPI.Answer
        if staff {
            // Staff report for the person they name (a read of that person, audited like any other).
            guard let id = values["personId"].flatMap(UUID.init(uuidString:)) else {
                return web.render("message", ["heading": web.t("notFound"), "text": ""], status: .notFound)
            }
            let person = try await api.call(.get, "/api/v1/people/\(id.uuidString.lowercased())")
            guard person.ok else { return refused(web, person) }
            people = WebAPI.Answer(status: .ok, json: ["items": [person.object]], body: .init())
        } else {
            people = try await api.call(.get, "/api/v1/me/people")
            guard people.ok else { return refused(web, people) }
        }
        let chosen = Set(values["events", default: ""].split(separator: ",").map(String.init))
        let outcomes = ["recovered", "recovering", "not_recovered", "unknown"]
        return web.render(
            "reaction",
            [
                "people": people.items.map {
                    [
                        "id": $0["id"] ?? "", "name": $0["fullName"] ?? "",
                        "selected": values["personId"] == $0["id"] as? String,
                    ]
                },
                "events": Self.reactions.map {
                    ["code": $0, "name": web.t("reaction_" + $0), "checked": chosen.contains($0)] as [String: Any]
                },
                "outcomes": outcomes.map {
                    ["code": $0, "name": web.t("aefi_" + $0), "selected": values["outcome"] == $0] as [String: Any]
                },
                "values": values, "errors": errors, "action": staff ? "/app/site/aefi" : "/app/me/reaction",
                "back": staff ? "/app/site?session=\(values["session", default: ""])" : "/app/me",
            ],
            status: errors.isEmpty ? .ok : .badRequest
        )
    }

    func reportReaction(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        var values: [String: String] = [:]
        for name in ["personId", "events", "onsetDate", "onsetTime", "outcome", "comments", "session"] {
            values[name] = fields[name, default: ""].trimmingCharacters(in: .whitespaces)
        }
        var errors: [String: String] = [:]
        let events = values["events", default: ""].split(separator: ",").map(String.init)
            .filter(Self.reactions.contains)
        if events.isEmpty { errors["events"] = web.t("chooseReaction") }
        if values["personId", default: ""].isEmpty { errors["personId"] = web.t("required") }
        if values["outcome", default: ""].isEmpty { errors["outcome"] = web.t("required") }
        let day = WebPage.isoDate(values["onsetDate", default: ""])
        if day == nil { errors["onsetDate"] = web.t("dateInvalid") }
        let time = values["onsetTime", default: ""].isEmpty ? "00:00" : values["onsetTime"]!
        if time.wholeMatch(of: /([01]\d|2[0-3]):[0-5]\d/) == nil { errors["onsetTime"] = web.t("timeInvalid") }
        guard errors.isEmpty, let day else { return try await reactionForm(web, values: values, errors: errors) }
        var body: [String: Any] = [
            "personId": values["personId"]!, "events": events.map { WebText.text("reaction_" + $0, .vietnamese) },
            "onsetAt": "\(day)T\(time):00+07:00", "outcome": values["outcome"]!,
        ]
        if let comments = values["comments"], !comments.isEmpty { body["details"] = ["comments": comments] }
        let answer = try await api.call(.post, "/api/v1/aefi-reports", json: body)
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            var mapped: [String: String] = [:]
            for (field, message) in answer.fieldErrors {
                mapped[field == "onsetAt" ? "onsetDate" : (values.keys.contains(field) ? field : "events")] = message
            }
            if mapped.isEmpty { mapped["events"] = answer.message }
            return try await reactionForm(web, values: values, errors: mapped)
        }
        if web.principal?.role != .citizen {
            let session = values["session"].flatMap(UUID.init(uuidString:))?.uuidString.lowercased() ?? ""
            return Self.redirect("/app/site?session=\(session)&reported=1")
        }
        return Self.redirect("/app/me?reported=1")
    }

    static let symptoms = ["fever", "cough", "breathlessness", "fatigue", "loss_of_taste_or_smell"]

    /// The declaration form, with what was ticked and typed kept when it comes back with messages.
    func declarationForm(_ web: WebPage, _ fields: [String: String], errors: [String: String]) -> Response {
        let ticked = Set(fields["symptoms", default: ""].split(separator: ",").map(String.init))
        return web.render(
            "declaration",
            [
                "values": fields, "errors": errors,
                "symptoms": Self.symptoms.map {
                    ["code": $0, "name": web.t("symptom_" + $0), "checked": ticked.contains($0)] as [String: Any]
                },
                "confirmed": fields["confirmed"] == "yes", "suspected": fields["suspected"] == "yes",
            ],
            status: errors.isEmpty ? .ok : .badRequest
        )
    }

    func declare(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        let symptoms = fields["symptoms", default: ""].split(separator: ",").map(String.init)
            .filter(Self.symptoms.contains)
        let areas = fields["areas", default: ""].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var errors: [String: String] = [:]
        if areas.contains(where: { $0.count > 100 }) { errors["areas"] = web.t("areaTooLong") }
        // One journey in the past 14 days, or none (then the declaration says so with an empty list).
        let from = fields["moveFrom", default: ""].trimmingCharacters(in: .whitespaces)
        let to = fields["moveTo", default: ""].trimmingCharacters(in: .whitespaces)
        let typedDay = fields["moveDate", default: ""].trimmingCharacters(in: .whitespaces)
        var movement: [[String: Any]] = []
        if !from.isEmpty || !to.isEmpty || !typedDay.isEmpty {
            if from.isEmpty || from.count > 100 { errors["moveFrom"] = web.t("required") }
            if to.isEmpty || to.count > 100 { errors["moveTo"] = web.t("required") }
            if let day = WebPage.isoDate(typedDay) {
                movement = [["from": from, "to": to, "date": day]]
            } else {
                errors["moveDate"] = web.t("dateInvalid")
            }
        }
        guard errors.isEmpty else { return declarationForm(web, fields, errors: errors) }
        let answer = try await api.call(
            .post,
            "/api/v1/declarations",
            json: [
                "symptoms": symptoms, "contactWithConfirmedCase": fields["confirmed"] == "yes",
                "contactWithSuspectedCase": fields["suspected"] == "yes", "outbreakAreasVisited": areas,
                "domesticMovement": movement,
            ]
        )
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            var mapped: [String: String] = [:]
            for (field, message) in answer.fieldErrors {
                let name =
                    !field.hasPrefix("domesticMovement")
                    ? "areas" : field.hasSuffix("date") ? "moveDate" : field.hasSuffix("to") ? "moveTo" : "moveFrom"
                mapped[name] = message
            }
            if mapped.isEmpty { mapped["areas"] = answer.message }
            return declarationForm(web, fields, errors: mapped)
        }
        return Self.redirect("/app/me?declared=1")
    }

    // MARK: Tracing

    func tracing(_ web: WebPage, values: [String: String], errors: [String: String]) async throws -> Response {
        // The form shows nothing yet; it is for whoever may record a case.
        guard (try? Policy.authorize(operationID: "recordCase", principal: web.principal)) != nil else {
            return web.render("message", ["heading": web.t("notAllowed"), "text": ""], status: .forbidden)
        }
        return web.render("tracing", ["values": values, "errors": errors], status: errors.isEmpty ? .ok : .badRequest)
    }

    func recordCase(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        var values: [String: String] = [:]
        for name in ["name", "phone", "unitCode", "onsetDate", "testDate"] {
            values[name] = fields[name, default: ""].trimmingCharacters(in: .whitespaces)
        }
        var errors: [String: String] = [:]
        if values["name", default: ""].isEmpty { errors["name"] = web.t("required") }
        if (try? PhoneNumber.normalise(values["phone", default: ""]).get()) == nil {
            errors["phone"] = web.t("phoneInvalid")
        }
        var body: [String: Any] = ["name": values["name"]!, "phone": values["phone"]!]
        if let unit = values["unitCode"], !unit.isEmpty { body["unitCode"] = unit }
        for name in ["onsetDate", "testDate"] where !values[name, default: ""].isEmpty {
            if let day = WebPage.isoDate(values[name]!) {
                body[name] = day
            } else {
                errors[name] = web.t("dateInvalid")
            }
        }
        if errors.isEmpty, body["onsetDate"] == nil, body["testDate"] == nil {
            errors["onsetDate"] = web.t("onsetOrTest")
        }
        guard errors.isEmpty else { return try await tracing(web, values: values, errors: errors) }
        let answer = try await api.call(.post, "/api/v1/tracing/cases", json: body)
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            var mapped: [String: String] = [:]
            for (field, message) in answer.fieldErrors {
                mapped[values.keys.contains(field) ? field : "name"] = message
            }
            if mapped.isEmpty { mapped["name"] = answer.message }
            return try await tracing(web, values: values, errors: mapped)
        }
        let id = (answer.object["case"] as? [String: Any])?["id"] as? String ?? ""
        return Self.redirect("/app/tracing/cases/\(id)")
    }

    func tracingCase(_ web: WebPage, id: UUID, errors: [String: String]) async throws -> Response {
        let answer = try await api.call(.get, "/api/v1/tracing/cases/\(id.uuidString.lowercased())")
        guard answer.ok else { return refused(web, answer) }
        let found = answer.object["case"] as? [String: Any] ?? [:]
        let quarantine = LocalDate(at: clock.now()).adding(days: 14)
        let contacts = (answer.object["contacts"] as? [[String: Any]] ?? []).map { item -> [String: Any] in
            let status = item["status"] as? String ?? ""
            return [
                "id": item["id"] ?? "", "name": item["name"] ?? "", "phone": item["phone"] ?? "",
                "venue": item["venueName"] ?? "",
                "from": web.dateTime(item["contactStart"] as? String),
                "to": web.dateTime(item["contactEnd"] as? String),
                "minutes": Int((item["overlapMinutes"] as? Double ?? 0).rounded()),
                "status": web.t("contact_" + status), "statusCode": status, "candidate": status == "candidate",
                "error": errors[item["id"] as? String ?? ""] as Any,
            ]
        }
        return web.render(
            "case",
            [
                "case": [
                    "id": found["id"] ?? "", "name": found["name"] ?? "", "level": found["level"] ?? "",
                    "from": web.dateTime(found["windowStart"] as? String),
                    "to": web.dateTime(found["windowEnd"] as? String),
                ],
                "contacts": contacts, "hasContacts": !contacts.isEmpty,
                "queuedMs": answer.object["warningsQueuedMs"].map { "\($0)" } as Any,
                "quarantine": quarantine.description.split(separator: "-").reversed().joined(separator: "/"),
            ],
            status: errors.isEmpty ? .ok : .badRequest
        )
    }

    func markF1(_ web: WebPage, _ fields: [String: String], id: UUID, contact: UUID) async throws -> Response {
        guard let until = WebPage.isoDate(fields["quarantineUntil", default: ""]) else {
            return try await tracingCase(web, id: id, errors: [contact.uuidString.lowercased(): web.t("dateInvalid")])
        }
        let answer = try await api.call(
            .post,
            "/api/v1/tracing/cases/\(id.uuidString.lowercased())/contacts/\(contact.uuidString.lowercased())/f1",
            json: ["quarantineUntil": until]
        )
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            return try await tracingCase(web, id: id, errors: [contact.uuidString.lowercased(): answer.message])
        }
        return Self.redirect("/app/tracing/cases/\(id.uuidString.lowercased())")
    }

    // MARK: Venues

    func venues(_ web: WebPage, values: [String: String], errors: [String: String]) async throws -> Response {
        let mine = try await api.call(.get, "/api/v1/venues")
        guard mine.ok else { return refused(web, mine) }
        let items = mine.items.map { venue -> [String: Any] in
            [
                "id": venue["id"] ?? "", "name": venue["name"] ?? "", "address": venue["address"] ?? "",
                "url": venue["checkInUrl"] ?? "",
            ]
        }
        let kinds = [
            "restaurant", "cafe", "market", "shop", "supermarket", "office", "factory", "school", "hospital",
            "religious", "transport", "event", "other",
        ]
        return web.render(
            "venues",
            [
                "venues": items, "hasVenues": !items.isEmpty, "values": values, "errors": errors,
                "kinds": kinds.map { ["code": $0, "name": web.t("venue_" + $0), "selected": values["kind"] == $0] },
            ],
            status: errors.isEmpty ? .ok : .badRequest
        )
    }

    func registerVenue(_ web: WebPage, _ fields: [String: String]) async throws -> Response {
        var values: [String: String] = [:]
        for name in ["name", "kind", "unitCode", "address", "ownerName", "ownerPhone"] {
            values[name] = fields[name, default: ""].trimmingCharacters(in: .whitespaces)
        }
        var errors: [String: String] = [:]
        for name in ["name", "kind", "unitCode", "address", "ownerName"] where values[name, default: ""].isEmpty {
            errors[name] = web.t("required")
        }
        if let phone = values["ownerPhone"], !phone.isEmpty, (try? PhoneNumber.normalise(phone).get()) == nil {
            errors["ownerPhone"] = web.t("phoneInvalid")
        }
        guard errors.isEmpty else { return try await venues(web, values: values, errors: errors) }
        var body: [String: Any] = values.filter { !$0.value.isEmpty }
        if body["ownerPhone"] == nil, let phone = web.principal?.phone { body["ownerPhone"] = phone }
        let answer = try await api.call(.post, "/api/v1/venues", json: body)
        guard answer.ok else {
            if answer.status == .forbidden || answer.status == .unauthorized { return refused(web, answer) }
            var mapped: [String: String] = [:]
            for (field, message) in answer.fieldErrors {
                mapped[values.keys.contains(field) ? field : "name"] = message
            }
            if mapped.isEmpty { mapped["name"] = answer.message }
            return try await venues(web, values: values, errors: mapped)
        }
        return Self.redirect("/app/venues")
    }

    func visitors(_ web: WebPage, venue: UUID) async throws -> Response {
        let answer = try await api.call(.get, "/api/v1/venues/\(venue.uuidString.lowercased())/visitors")
        guard answer.ok else { return refused(web, answer) }
        let rows = answer.items.map { visit -> [String: Any] in
            [
                "name": visit["name"] ?? visit["visitorName"] ?? "", "phone": visit["phone"] ?? "",
                "arrived": web.dateTime(visit["checkedInAt"] as? String ?? visit["arrivedAt"] as? String),
                "left": web.dateTime(visit["checkedOutAt"] as? String ?? visit["leftAt"] as? String),
            ]
        }
        return web.render("visitors", ["rows": rows, "hasRows": !rows.isEmpty])
    }

    // MARK: Dashboards

    static let dashboardViews = DashboardView.allCases.map(\.rawValue)

    func dashboard(_ web: WebPage, _ request: Request) async throws -> Response {
        let view = Self.query(request, "view") ?? "coverage"
        guard Self.dashboardViews.contains(view) else {
            return web.render("message", ["heading": web.t("notFound"), "text": view], status: .notFound)
        }
        var path = "/api/v1/dashboards/\(view)"
        var query: [String] = []
        // The caller's own unit unless another is asked for (the API refuses one outside the scope).
        let own: String =
            switch web.principal?.scope {
            case .unit(let code)?: code
            default: "VN"
            }
        let asked = Self.query(request, "unit").flatMap { $0.isEmpty ? nil : $0 } ?? own
        guard asked.count <= 5, asked.allSatisfy({ $0.isASCII && ($0.isNumber || $0.isLetter) }) else {
            return web.render("message", ["heading": web.t("notFound"), "text": asked], status: .badRequest)
        }
        query.append("unit=\(asked)")
        if !query.isEmpty { path += "?" + query.joined(separator: "&") }
        let answer = try await api.call(.get, path)
        guard answer.ok else { return refused(web, answer) }
        let table = answer.object
        let specs = table["columns"] as? [[String: Any]] ?? []
        let keys = specs.map { $0["name"] as? String ?? "" }
        let columns = specs.map { web.label($0["label"] as? String ?? "") }
        let rows = (table["rows"] as? [[String]] ?? [])
        let unitKey = keys.firstIndex(of: "unitCode")
        let rendered = rows.map { row -> [String: Any] in
            var item: [String: Any] = ["cells": row.map { $0.isEmpty ? "–" : $0 }]
            if let unitKey, unitKey < row.count, view == "coverage" || view == "dropout" {
                item["drill"] = "/app/dashboards?view=\(view)&unit=\(row[unitKey])"
                item["drillLabel"] = row.count > unitKey + 1 ? row[unitKey + 1] : row[unitKey]
            }
            return item
        }
        let unit = table["unit"] as? [String: Any] ?? [:]
        let parent = table["parent"] as? [String: Any]
        return web.render(
            "dashboard",
            [
                "title": web.t("view_" + view), "unitName": unit["name"] ?? "", "unitCode": unit["code"] ?? "",
                "parent": parent.flatMap { reachable($0["code"] as? String, by: web.principal) ? $0 : nil }.map {
                    ["href": "/app/dashboards?view=\(view)&unit=\($0["code"] ?? "")", "name": $0["name"] ?? ""]
                }
                    as Any,
                "columns": columns, "rows": rendered, "hasRows": !rendered.isEmpty,
                "drills": rendered.contains { $0["drill"] != nil },
                "chart": DashboardChart.svg(keys: keys, titles: columns, rows: rows) as Any,
                "views": Self.dashboardViews.map { name in
                    [
                        "name": web.t("view_" + name), "current": name == view,
                        "href": "/app/dashboards?view=\(name)&unit=\(unit["code"] ?? "")",
                    ] as [String: Any]
                },
                "csv": "/api/v1/dashboards/\(view)?unit=\(unit["code"] ?? "")&format=csv",
                "xlsx": "/api/v1/dashboards/\(view)?unit=\(unit["code"] ?? "")&format=xlsx",
            ]
        )
    }

}
