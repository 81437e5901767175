import Configuration
import Foundation
import HTTPTypes
import HummingbirdOTP
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import VaxDomain
import VaxServer
import VaxStorage
import VaxTestSupport

/// A clock the tests move by hand.
final class TestClock: Sendable {
    private let state = Mutex(Date())

    var now: Date { state.withLock { $0 } }

    func advance(by seconds: TimeInterval) { state.withLock { $0 += seconds } }

    var wallClock: WallClock { WallClock { self.now } }
}

/// What identity tests need beside the app: a second connection to its database, for making staff
/// accounts (as `vaxtrace users create` does) and reading the outbox (as an operator does).
struct IdentityHarness: Sendable {
    let store: IdentityStore
    let service: IdentityService
    let clock: TestClock
    let audit: SQLAuditRepository
    /// The certificate service on the same database (its issuer runs only when a test calls it).
    let certificates: CertificateService
    /// The database, and the tracing store on it.
    let database: VaxDatabase
    /// The app's vault (the same master key), for services built beside the app.
    let vault: NationalIDVault
    var tracing: TracingStore { TracingStore(database: database) }
    /// The venue service on the same database (as `vaxtrace` on another process would be).
    let venues: VenueService

    /// How many audit entries have an action.
    func auditCount(action: String) async throws -> Int {
        try await audit.search(AuditFilter(action: action, limit: 10_000)).count
    }

    static let password = "Rừng-Thái-Nguyên-2026"

    /// Makes a staff account with the test password.
    func staff(_ username: String, role: Role, scope: Scope) async throws {
        _ = try await service.createStaff(
            username: username,
            password: Self.password,
            role: role,
            scope: scope,
            displayName: nil,
            by: "cli:test"
        )
    }

    /// The code in the newest message to a phone.
    func lastCode(to phone: String) async throws -> String {
        let message = try #require(try await store.outbox(recipient: phone, limit: 1).first)
        let digits = message.body.split(whereSeparator: { !$0.isNumber }).first { $0.count == 6 }
        return String(try #require(digits))
    }
}

/// Runs `test` against an app on a file (SQLite) or schema (PostgreSQL) of `engine`, on a hand-moved clock.
func withIdentityApp(
    _ engine: DatabaseEngine,
    extra: [AbsoluteConfigKey: ConfigValue] = [:],
    _ test: @escaping @Sendable (any TestClientProtocol, IdentityHarness) async throws -> Void
) async throws {
    let clock = TestClock()
    let settings: [AbsoluteConfigKey: ConfigValue] = ["auth.bcrypt.cost": 4].merging(extra) { $1 }
    try await TestDatabase.withEmptyDatabaseURL(engine, file: true) { url in
        let configuration = try AppConfiguration(reader: testReader(url: url, extra: settings))
        let app = try await buildApplication(configuration: configuration, clock: clock.wallClock)
        try await app.test(.router) { client in
            try await VaxDatabase.withDatabase(configuration.database, logger: TestDatabase.logger) { database in
                let store = IdentityStore(database: database)
                let service = IdentityService(
                    store: store,
                    audit: SQLAuditRepository(database: database),
                    vault: try configuration.nationalIDVault(),
                    gateway: OutboxGateway(store: store),
                    settings: configuration.identity,
                    clock: clock.wallClock
                )
                try await test(
                    client,
                    IdentityHarness(
                        store: store,
                        service: service,
                        clock: clock,
                        audit: SQLAuditRepository(database: database),
                        certificates: certificateService(database, configuration, clock: clock),
                        database: database,
                        vault: try configuration.nationalIDVault(),
                        venues: VenueService(
                            store: TracingStore(database: database),
                            units: SQLAdminUnitRepository(database: database),
                            audit: SQLAuditRepository(database: database),
                            vault: try configuration.nationalIDVault(),
                            settings: configuration.tracing,
                            clock: clock.wallClock
                        )
                    )
                )
            }
        }
    }
}

/// A certificate service like the app's, on a second connection to its database.
func certificateService(
    _ database: VaxDatabase,
    _ configuration: AppConfiguration,
    clock: TestClock
) throws
    -> CertificateService
{
    let vault = try configuration.nationalIDVault()
    let people = SQLPersonRepository(database: database, vault: vault)
    let registry = PersonRegistry(
        people: people,
        units: SQLAdminUnitRepository(database: database),
        audit: SQLAuditRepository(database: database),
        priorityGroups: SQLPriorityGroupRepository(database: database),
        clock: clock.wallClock
    )
    return CertificateService(
        database: database,
        people: people,
        registry: registry,
        vault: vault,
        settings: configuration.certificates,
        clock: clock.wallClock
    )
}

extension TestClientProtocol {
    /// The password step of a staff sign-in.
    func signInStep(_ username: String, password: String = IdentityHarness.password) async throws -> TestResponse {
        try await send(
            .post,
            "/api/v1/auth/sign-in",
            token: nil,
            json: #"{"username": "\#(username)", "password": "\#(password)"}"#
        )
    }

    /// The second step of a staff sign-in, with a TOTP code or a recovery code.
    func verifyTOTP(_ mfaToken: String, code: String? = nil, recoveryCode: String? = nil) async throws -> TestResponse {
        let factor = code.map { #""code": "\#($0)""# } ?? #""recoveryCode": "\#(recoveryCode ?? "")""#
        return try await send(
            .post,
            "/api/v1/auth/totp/verify",
            token: nil,
            json: #"{"mfaToken": "\#(mfaToken)", \#(factor)}"#
        )
    }

    /// Signs a staff account in with password and TOTP (enrolling on first use); returns the session token
    /// and, after enrolment, the secret and recovery codes.
    func signInStaff(
        _ username: String,
        harness: IdentityHarness,
        secret known: String? = nil
    ) async throws -> (token: String, secret: String, recoveryCodes: [String], response: TestResponse) {
        let step1 = try await signInStep(username)
        #expect(step1.status == .ok, "\(step1.text)")
        let mfa = try #require(step1.object["mfaToken"] as? String)
        var secret = known ?? ""
        if step1.object["next"] as? String == "enrol" {
            let enrol = try await send(.post, "/api/v1/auth/totp/enrol", token: nil, json: #"{"mfaToken": "\#(mfa)"}"#)
            #expect(enrol.status == .ok, "\(enrol.text)")
            secret = try #require(enrol.object["secret"] as? String)
            // The QR code served is the one for the otpauth URI, and a real decoder reads the URI back.
            let uri = try #require(enrol.object["otpauthUri"] as? String)
            #expect(uri.hasPrefix("otpauth://totp/Vaxtrace:\(username)?secret=\(secret)&issuer=Vaxtrace"))
            let code = try QRCode.encode(uri)
            #expect(enrol.object["qrSvg"] as? String == code.svg())
            #expect(try ZBar.decode(png: code.png()) == uri)
        }
        let verify = try await verifyTOTP(mfa, code: totpCode(secret: secret, at: harness.clock.now))
        #expect(verify.status == .ok, "\(verify.text)")
        return (
            try #require(verify.object["token"] as? String), secret,
            verify.object["recoveryCodes"] as? [String] ?? [], verify
        )
    }

    /// Asks for a one-time code for `phone` and reads it from the outbox, as an operator would.
    func requestCode(_ phone: String, harness: IdentityHarness) async throws -> (challenge: String, code: String) {
        // A second on, so that this code is the newest message even on the frozen test clock.
        harness.clock.advance(by: 1)
        let request = try await send(.post, "/api/v1/auth/otp/request", token: nil, json: #"{"phone": "\#(phone)"}"#)
        #expect(request.status == .accepted, "\(request.text)")
        let challenge = try #require(request.object["challengeId"] as? String)
        return (challenge, try await harness.lastCode(to: phone))
    }

    /// Sends a one-time code back.
    func verifyCode(_ challenge: String, _ code: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await send(
            .post,
            "/api/v1/auth/otp/verify",
            token: nil,
            json: #"{"challengeId": "\#(challenge)", "code": "\#(code)"}"#,
            headers: headers
        )
    }

    /// Signs a citizen in with a one-time code; returns the session token.
    func signInCitizen(_ phone: String, harness: IdentityHarness) async throws -> String {
        let (challenge, code) = try await requestCode(phone, harness: harness)
        let verify = try await verifyCode(challenge, code)
        #expect(verify.status == .ok, "\(verify.text)")
        return try #require(verify.object["token"] as? String)
    }
}

/// The TOTP code an authenticator app shows for a base32 secret (RFC 6238, SHA-1, 30 s, 6 digits).
func totpCode(secret base32: String, at date: Date, stepOffset: Int = 0) -> String {
    let raw = String(decoding: base32Decode(base32), as: UTF8.self)
    let value = TOTP(secret: raw).compute(date: date.addingTimeInterval(Double(stepOffset) * 30))
    let digits = String(value)
    return String(repeating: "0", count: 6 - digits.count) + digits
}

/// RFC 4648 base32, upper case, no padding.
func base32Decode(_ text: String) -> [UInt8] {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    var bits = 0
    var value = 0
    var output: [UInt8] = []
    for character in text.uppercased() where character != "=" {
        guard let index = alphabet.firstIndex(of: character) else { continue }
        value = (value << 5) | index
        bits += 5
        if bits >= 8 {
            output.append(UInt8((value >> (bits - 8)) & 0xFF))
            bits -= 8
        }
    }
    return output
}
