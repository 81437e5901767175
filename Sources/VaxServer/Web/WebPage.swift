import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import VaxDomain

/// The page languages: Vietnamese first, English second.
enum WebLanguage: String, Sendable {
    case vietnamese = "vi"
    case english = "en"
}

/// One page request: who is asking, in which language, and the CSRF token its forms carry.
struct WebPage {
    let language: WebLanguage
    let principal: Principal?
    let library: MustacheLibrary
    let secureCookies: Bool
    let path: String
    let query: [String: String]
    /// The form token: derived from the session for a signed-in caller, else a random value also kept in
    /// the `vax_form` cookie (double submit) until sign-in.
    let csrfToken: String?
    private var cookies: [String] = []

    init(request: Request, library: MustacheLibrary, secureCookies: Bool) {
        self.library = library
        self.secureCookies = secureCookies
        path = request.uri.path
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        self.query = query
        principal = CallContext.current?.principal
        let attributes = "; Path=/; SameSite=Strict" + (secureCookies ? "; Secure" : "")
        if let asked = query["lang"].flatMap(WebLanguage.init(rawValue:)) {
            language = asked
            cookies.append("\(WebPages.languageCookie)=\(asked.rawValue); Max-Age=31536000" + attributes)
        } else {
            language =
                request.cookies[WebPages.languageCookie].flatMap { WebLanguage(rawValue: $0.value) } ?? .vietnamese
        }
        // Signed in: derived from the secret credential itself (the cookie or bearer token), which the
        // database does not hold, so a copy of the sessions table cannot forge it.
        let bearer = request.headers[.authorization].flatMap {
            $0.lowercased().hasPrefix("bearer ") ? String($0.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
        }
        let cookie = request.cookies[AuthenticationMiddleware<VaxRequestContext>.sessionCookie]?.value
        if principal != nil, let secret = bearer ?? cookie, !secret.isEmpty {
            csrfToken = Secrets.digest("web-form|" + secret)
        } else if let existing = request.cookies[WebPages.formCookie]?.value, existing.count == 43 {
            csrfToken = existing
        } else {
            let fresh = Secrets.token(prefix: "")
            csrfToken = fresh
            cookies.append("\(WebPages.formCookie)=\(fresh); Max-Age=86400; HttpOnly" + attributes)
        }
    }

    /// Sets the cookies this page decided on.
    func finish(_ response: inout Response) {
        for cookie in cookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
    }

    func t(_ key: String) -> String { WebText.text(key, language) }

    /// The part of a bilingual "Vietnamese / English" label for this page's language.
    func label(_ text: String) -> String {
        let parts = text.components(separatedBy: " / ")
        guard parts.count == 2 else { return text }
        return language == .english ? parts[1] : parts[0]
    }

    func queryValue(_ name: String) -> String? { query[name] }

    func flag(_ name: String) -> Bool { query[name] == "1" }

    /// Renders a template inside the layout.
    func render(_ template: String, _ values: [String: Any], status: HTTPResponse.Status = .ok) -> Response {
        var context: [String: Any] = values
        context["t"] = WebText.table(language)
        context["lang"] = language.rawValue
        context["csrf"] = csrfToken ?? ""
        context["signedIn"] = principal != nil
        context["isCitizen"] = principal?.role == .citizen
        context["isTracer"] = principal?.role == .tracer
        // The offline queue is kept per account on a shared tablet; the server's clock corrects the tablet's.
        context["queueKey"] = "vaxtrace-site-queue-" + Secrets.digest("queue|" + (principal?.subject ?? "")).prefix(16)
        context["serverNow"] = Int(Date().timeIntervalSince1970 * 1000)
        context["isSite"] = principal.map { [.vaccinator, .facilityAdmin, .systemAdmin].contains($0.role) } ?? false
        context["isOfficial"] =
            principal.map { [.communeOfficial, .districtOfficial, .provinceOfficial, .systemAdmin].contains($0.role) }
            ?? false
        context["otherLanguage"] = [
            "href": path + "?"
                + (query.filter { $0.key != "lang" }.map { "\($0.key)=\($0.value)" } + [
                    "lang=\(language == .english ? "vi" : "en")"
                ]).joined(separator: "&"),
            "label": language == .english ? "Tiếng Việt" : "English",
            "code": language == .english ? "vi" : "en",
        ]
        context["errors"] = values["errors"] ?? [String: String]()
        context["values"] = values["values"] ?? [String: String]()
        let html = library.render(Self.clean(context) ?? [:], withTemplate: template) ?? ""
        // A form shown again with its messages is the page the person asked for, not a failed load (which
        // the browser would report as an error); refusals keep their status.
        let shown: HTTPResponse.Status =
            [.badRequest, .unauthorized, .conflict, .unprocessableContent].contains(status) ? .ok : status
        return Response(
            status: shown,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// The values without absent optionals and empty strings, so that a template's `{{#name}}` section means
    /// "there is one".
    static func clean(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return nil }
            return clean(wrapped)
        }
        switch value {
        case let text as String: return text.isEmpty ? nil : text
        case let dictionary as [String: Any]: return dictionary.compactMapValues(clean)
        case let dictionary as [String: String]: return dictionary.compactMapValues(clean)
        case let array as [Any]: return array.compactMap(clean)
        default: return value
        }
    }

    // MARK: Dates as Vietnam writes them (dd/mm/yyyy, 24-hour time in Vietnam)

    static let vietnam = TimeZone(identifier: "Asia/Ho_Chi_Minh") ?? TimeZone(secondsFromGMT: 7 * 3600)!

    /// `yyyy-mm-dd` as `dd/mm/yyyy`.
    func date(_ iso: String?) -> String {
        guard let iso, iso.count >= 10 else { return "" }
        let parts = iso.prefix(10).split(separator: "-")
        guard parts.count == 3 else { return iso }
        return "\(parts[2])/\(parts[1])/\(parts[0])"
    }

    /// An ISO 8601 instant as `dd/mm/yyyy HH:mm` in Vietnam.
    func dateTime(_ iso: String?) -> String {
        guard let iso, let instant = Self.instant(iso) else { return "" }
        return Self.format(instant, "dd/MM/yyyy HH:mm")
    }

    func time(_ instant: Date) -> String { Self.format(instant, "HH:mm") }

    static func format(_ instant: Date, _ pattern: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = vietnam
        formatter.dateFormat = pattern
        return formatter.string(from: instant)
    }

    static func instant(_ iso: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: iso) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: iso)
    }

    /// A date typed as `dd/mm/yyyy` (or `yyyy-mm-dd` from a date picker) as `yyyy-mm-dd`; `nil` when it is
    /// not a real date.
    static func isoDate(_ typed: String) -> String? {
        let text = typed.trimmingCharacters(in: .whitespaces)
        let parts = text.split(separator: text.contains("-") ? "-" : "/").map(String.init)
        guard parts.count == 3 else { return nil }
        let (day, month, year) = text.contains("-") ? (parts[2], parts[1], parts[0]) : (parts[0], parts[1], parts[2])
        guard let d = Int(day), let m = Int(month), let y = Int(year), year.count == 4,
            let date = LocalDate(year: y, month: m, day: d)
        else { return nil }
        return date.description
    }
}
