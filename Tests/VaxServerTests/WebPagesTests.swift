import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import VaxDomain
import VaxStorage
import VaxTestSupport

@testable import VaxServer

/// The web pages' rules, in process on both engines: every form needs its CSRF token, every page the
/// role its API operations need; cookies are HttpOnly and SameSite (and Secure over HTTPS); no page has
/// an inline script; every word exists in Vietnamese and English. (The pages in a real browser:
/// `WebAppBrowserTests`.)
@Suite struct WebPagesTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/VaxServer/Web/Templates")

    static func field(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: #"name="\#(name)" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func cookie(_ name: String, in response: TestResponse) -> String? {
        response.headers[values: .setCookie].first { $0.hasPrefix(name + "=") }
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(
            string: fields.map {
                "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
            }.joined(separator: "&")
        )
    }

    static func post(
        _ client: any TestClientProtocol,
        _ path: String,
        cookie: String,
        _ fields: [String: String]
    ) async throws -> TestResponse {
        try await client.execute(
            uri: path,
            method: .post,
            headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
            body: form(fields)
        )
    }

    @Test(arguments: TestDatabase.engines)
    func formsNeedTheirTokenAndPagesTheirRole(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            // Before sign-in: the token is the double-submit `vax_form` cookie's value.
            let signIn = try await client.send(.get, "/app/sign-in", token: nil)
            #expect(signIn.status == .ok)
            #expect(signIn.headers[.contentSecurityPolicy]?.contains("unsafe-inline") == true)
            let policy = signIn.headers[.contentSecurityPolicy] ?? ""
            #expect(policy.contains("default-src 'self'") && !policy.contains("script-src"), "\(policy)")
            let formCookie = try #require(Self.cookie("vax_form", in: signIn))
            #expect(formCookie.contains("HttpOnly") && formCookie.contains("SameSite=Strict"))
            #expect(!formCookie.contains("Secure"))
            let token = try #require(Self.field("_csrf", in: signIn.text))
            let cookie = String(formCookie.prefix { $0 != ";" })
            #expect(cookie == "vax_form=\(token)")
            for sent in [nil, "forged-\(token)"] {
                var fields = ["phone": "0912 345 678"]
                fields["_csrf"] = sent
                let refused = try await Self.post(client, "/app/sign-in", cookie: cookie, fields)
                #expect(refused.status == .forbidden)
                #expect(refused.text.contains("Biểu mẫu đã hết hạn"))
            }
            let sent = try await Self.post(client, "/app/sign-in", cookie: cookie, ["_csrf": token, "phone": "12"])
            #expect(sent.status == .ok)
            #expect(sent.text.contains(#"<p class="error" id="phone-error">"#))

            // After sign-in: the token comes from the session; the form cookie's token no longer works.
            let session = try await client.signInCitizen("+84912345678", harness: harness)
            let me = try await client.send(.get, "/app/me", token: nil, headers: [.cookie: "vax_session=\(session)"])
            #expect(me.status == .ok)
            let sessionToken = try #require(Self.field("_csrf", in: me.text))
            #expect(sessionToken != token)
            let stale = try await Self.post(
                client,
                "/app/me/register",
                cookie: "vax_session=\(session); \(cookie)",
                ["_csrf": token, "fullName": ""]
            )
            #expect(stale.status == .forbidden)
            let checked = try await Self.post(
                client,
                "/app/me/register",
                cookie: "vax_session=\(session)",
                ["_csrf": sessionToken, "fullName": ""]
            )
            #expect(checked.status == .ok)
            #expect(checked.text.contains(#"id="fullName-error">Bắt buộc nhập."#))
            #expect(checked.text.contains(#"aria-invalid="true""#))

            // A path with an empty segment is no resource, so it cannot slip past the CSRF and rate-limit checks.
            for path in ["//api/v1/auth/sign-out", "/app/sign-in/", "/app//sign-in"] {
                let odd = try await Self.post(client, path, cookie: "vax_session=\(session)", ["_csrf": sessionToken])
                #expect(odd.status == .notFound, "\(path)")
            }
            let stillSignedIn = try await client.send(
                .get,
                "/api/v1/auth/session",
                token: nil,
                headers: [.cookie: "vax_session=\(session)"]
            )
            #expect(stillSignedIn.status == .ok)

            // A page refuses a role its operations refuse; nobody signed in is sent to sign in.
            let site = try await client.send(
                .get,
                "/app/site",
                token: nil,
                headers: [.cookie: "vax_session=\(session)"]
            )
            #expect(site.status == .forbidden)
            #expect(site.text.contains("Không có quyền"))
            let nurseOnDashboards = try await client.send(.get, "/app/dashboards", token: TestTokens.vaccinator)
            #expect(nurseOnDashboards.status == .forbidden)
            let anonymous = try await client.send(.get, "/app/me", token: nil)
            #expect(anonymous.status == .seeOther)
            #expect(anonymous.headers[.location] == "/app/sign-in")

            // English on request, remembered in a cookie; Vietnamese otherwise.
            let english = try await client.send(
                .get,
                "/app/me?lang=en",
                token: nil,
                headers: [.cookie: "vax_session=\(session)"]
            )
            #expect(english.text.contains(#"<html lang="en""#))
            #expect(english.text.contains("Electronic health book"))
            #expect(Self.cookie("vax_lang", in: english)?.hasPrefix("vax_lang=en;") == true)
        }
    }

    @Test(arguments: TestDatabase.engines)
    func overHTTPSTheCookiesAreSecure(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine, extra: ["http.https": true]) { client, _ in
            let signIn = try await client.send(.get, "/app/sign-in?lang=en", token: nil)
            for name in ["vax_form", "vax_lang"] {
                #expect(Self.cookie(name, in: signIn)?.contains("; Secure") == true, "\(name)")
            }
        }
    }

    @Test func everyWordIsInBothLanguagesAndNoPageHasAnInlineScript() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.templates.path)
            .filter { $0.hasSuffix(".mustache") }
        #expect(files.count >= 10)
        var used: Set<String> = []
        for file in files {
            let text = try String(contentsOf: Self.templates.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: /\{\{t\.([A-Za-z_\-]+)\}\}/) { used.insert(String(match.1)) }
            // Scripts only from files (the CSP allows no other), and no event handler attributes.
            for script in text.matches(of: /<script[^>]*>/) {
                #expect(script.0.contains(#"src=""#), "\(file): \(script.0)")
            }
            #expect(text.firstMatch(of: /\son[a-z]+=/) == nil, "\(file) has an inline event handler")
            // Every input has a label.
            for input in text.matches(of: /<(input|select) [^>]*?\sid="([^"]+)"/) {
                let line = String(input.0)
                if line.contains(#"type="hidden""#) { continue }
                #expect(text.contains(#"for="\#(input.2)""#), "\(file): no label for \(input.2)")
            }
        }
        // The words chosen in code: every state, kind, outcome, venue kind and dashboard view.
        used.formUnion(AppointmentState.allCases.map { "state_" + $0.rawValue })
        used.formUnion(DoseKind.allCases.map { "kind_" + $0.rawValue })
        used.formUnion(ScreeningOutcome.allCases.map { "outcome_" + $0.rawValue })
        used.formUnion(DashboardView.allCases.map { "view_" + $0.rawValue })
        used.formUnion(
            [
                "restaurant", "cafe", "market", "shop", "supermarket", "office", "factory", "school", "hospital",
                "religious", "transport", "event", "other",
            ].map { "venue_" + $0 }
        )
        for key in used.sorted() {
            let pair = WebText.strings[key]
            #expect(pair != nil, "no words for \(key)")
            #expect(pair?.vi.isEmpty == false && pair?.en.isEmpty == false, "\(key)")
        }
    }
}
