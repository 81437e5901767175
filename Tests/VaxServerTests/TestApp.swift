import Configuration
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import VaxServer
import VaxStorage
import VaxTestSupport

/// Tokens the test apps accept.
enum TestTokens {
    static let admin = "admin-token-0123456789"
    static let vaccinator = "vaccinator-token-0123456789"
    static let venueOwner = "venue-owner-token-0123456789"
    static let citizen = "citizen-token-0123456789"
    static let tracer = "tracer-token-0123456789"
}

/// The demo person a citizen token in the tests stands for.
let citizenPersonID = "01a1ee56-5e00-7f8d-8ac5-33e5267e1c1a"
let testPersonIDKey = NationalIDVault.generateBase64Key()

/// A configuration for a test app on `url` (port 0, Thái Nguyên and Hà Nội units only, no demo data).
func testReader(url: String, extra: [AbsoluteConfigKey: ConfigValue] = [:]) -> ConfigReader {
    var values: [AbsoluteConfigKey: ConfigValue] = [
        "database.url": .init(.string(url), isSecret: true),
        "http.port": 0,
        "person.id.key": .init(.string(testPersonIDKey), isSecret: true),
        "auth.dev.tokens": .init(
            .string(
                [
                    "\(TestTokens.admin):system_admin:*",
                    "\(TestTokens.vaccinator):vaccinator:unit/19",
                    "\(TestTokens.venueOwner):venue_owner:venue/v1",
                    "\(TestTokens.citizen):citizen:person/\(citizenPersonID)",
                    "\(TestTokens.tracer):tracer:unit/19",
                ].joined(separator: ",")
            ),
            isSecret: true
        ),
        "units.provinces": "01,19",
        "demo.seed": false,
        "log.level": "warning",
        "http.body.limit": 65_536,
    ]
    values.merge(extra) { $1 }
    return ConfigReader(provider: InMemoryProvider(name: "test", values: values))
}

/// Runs `test` against a fresh app on an empty database of `engine`.
func withApp(
    _ engine: DatabaseEngine,
    file: Bool = false,
    extra: [AbsoluteConfigKey: ConfigValue] = [:],
    _ test: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void
) async throws {
    try await TestDatabase.withEmptyDatabaseURL(engine, file: file) { url in
        let app = try await buildApplication(reader: testReader(url: url, extra: extra))
        try await app.test(.router) { client in try await test(client, url) }
    }
}

extension TestClientProtocol {
    /// Sends JSON with a bearer token.
    func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        token: String? = TestTokens.admin,
        json: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body as a JSON object.
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    /// `error.field` of an error body.
    var errorField: String? { (object["error"] as? [String: Any])?["field"] as? String }

    /// `error.code` of an error body.
    var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }

    /// The body as text.
    var text: String { String(buffer: body) }
}

/// A valid registration body; pieces can be replaced.
func personJSON(
    name: String = "Nguyễn Văn Bình",
    birth: String = "15/03/1987",
    cccd: String = "019087001234",
    phone: String = "0912 345 678",
    commune: String = "05692",
    extraAddress: String = ""
) -> String {
    """
    {"fullName": "\(name)", "dateOfBirth": "\(birth)", "sex": "male", "phone": "\(phone)",
     "nationalId": {"type": "cccd", "number": "\(cccd)"}, "occupation": "Giáo viên",
     "address": {"provinceCode": "19", "communeCode": "\(commune)", "street": "Tổ 3"\(extraAddress)},
     "priorityGroups": [8]}
    """
}
