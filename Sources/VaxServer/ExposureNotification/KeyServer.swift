import Crypto
import ExposureNotification
import Foundation
import Logging
import VaxDomain
import VaxStorage
import VenueCheckIn

/// The key server's settings (`EN_REGION`, `EN_EXPORT_DIR`, `EN_EXPORT_MIN_KEYS`).
public struct KeyServerSettings: Sendable {
    /// The export files' region (ISO 3166 alpha-2).
    public var region = "VN"
    /// Where export zips and the index are written; any static file server may serve this folder.
    public var exportDirectory = "var/en-exports"
    /// A file with fewer real keys is padded with random keys up to this count.
    public var minimumKeysPerFile = 1000
    /// The most keys in one file; a larger batch is split into several files.
    public var maximumKeysPerFile = 750_000
    /// The key id phones know our signing key by (the mobile country code of Viet Nam).
    public var signingKeyID = "452"
    /// As the reference verification server: a short code lives 15 minutes, a long one a day.
    public var shortCodeLifetime: TimeInterval = 15 * 60
    public var longCodeLifetime: TimeInterval = 24 * 3600
    public var tokenLifetime: TimeInterval = 24 * 3600
    public var certificateLifetime: TimeInterval = 15 * 60
    /// Keys older than this are neither accepted nor kept.
    public var maximumKeyAgeDays = 14
    /// A key is exported no sooner than this after it expired, so it cannot be used while still broadcast.
    public var holdBack: TimeInterval = 2 * 3600
    /// The most keys one upload may carry.
    public var maximumKeysPerUpload = 30

    public init() {}
}

/// The Exposure Notification key server: verification codes → tokens → certificates bound to the keys by
/// their HMAC, diagnosis-key uploads (and chaff), and the signing keys of the export files.
public struct KeyServer: Sendable {
    let store: KeyServerStore
    let vault: NationalIDVault
    public let settings: KeyServerSettings
    let clock: WallClock
    let certificateKey: SymmetricKey

    public init(
        database: VaxDatabase,
        vault: NationalIDVault,
        settings: KeyServerSettings = .init(),
        clock: WallClock = .system
    ) {
        store = KeyServerStore(database: database)
        self.vault = vault
        self.settings = settings
        self.clock = clock
        certificateKey = vault.purposeKey("exposure-notification verification certificate v1")
    }

    // MARK: Signing keys

    /// Makes a new P-256 export signing key (the next version of the key id) that signs from now on.
    @discardableResult
    public func rotateSigningKey() async throws -> ExportSigningKey {
        let existing = try await store.signingKeys().filter { $0.keyID == settings.signingKeyID }
        let next = (existing.compactMap { Int($0.version.dropFirst()) }.max() ?? 0) + 1
        let key = P256.Signing.PrivateKey()
        let stored = ExportSigningKey(
            keyID: settings.signingKeyID,
            version: "v\(next)",
            publicKeyPEM: key.publicKey.pemRepresentation,
            sealedPrivateKey: try vault.sealSigningKey(Array(key.pemRepresentation.utf8)),
            createdAt: clock.now()
        )
        try await store.addSigningKey(stored)
        return stored
    }

    public func signingKeys() async throws -> [ExportSigningKey] { try await store.signingKeys() }

    func activeSigningKey() async throws -> (ExportSigningKey, P256.Signing.PrivateKey)? {
        guard let stored = try await store.signingKeys().first(where: { $0.retiredAt == nil }) else { return nil }
        let pem = String(decoding: try vault.openSigningKey(stored.sealedPrivateKey), as: UTF8.self)
        return (stored, try P256.Signing.PrivateKey(pemRepresentation: pem))
    }

    // MARK: Verification

    public struct IssuedCode: Sendable {
        public var id: UUID
        /// 8 digits, for an SMS or to read out over the phone (15 minutes).
        public var code: String
        /// 16 letters and digits, for a link.
        public var longCode: String
        public var expiresAt: Date
        public var longExpiresAt: Date
    }

    /// A one-time code for a confirmed (or clinically likely) case, issued by a tracer.
    public func issueCode(
        testType: String,
        symptomDate: String?,
        testDate: String?,
        by actor: Actor
    ) async throws -> IssuedCode {
        guard testType == "confirmed" || testType == "likely" else {
            throw AppError.invalidField("testType", "testType is confirmed or likely")
        }
        let now = clock.now()
        for (field, value) in [("symptomDate", symptomDate), ("testDate", testDate)] {
            guard let value else { continue }
            guard let day = Self.day(value) else {
                throw AppError.invalidField(field, "\(field) is a date such as 2026-11-20")
            }
            guard day <= now, now.timeIntervalSince(day) <= Double(settings.maximumKeyAgeDays) * 86_400 else {
                throw AppError.invalidField(
                    field,
                    "\(field) must be within the last \(settings.maximumKeyAgeDays) days"
                )
            }
        }
        var generator = SystemRandomNumberGenerator()
        let code = String((0..<8).map { _ in "0123456789".randomElement(using: &generator)! })
        let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789")
        let longCode = String((0..<16).map { _ in alphabet.randomElement(using: &generator)! })
        let issued = IssuedCode(
            id: UUID(),
            code: code,
            longCode: longCode,
            expiresAt: now.addingTimeInterval(settings.shortCodeLifetime),
            longExpiresAt: now.addingTimeInterval(settings.longCodeLifetime)
        )
        try await store.insertCode(
            id: issued.id,
            shortHash: hash("code", code),
            longHash: hash("code", longCode),
            testType: testType,
            symptomDate: symptomDate,
            testDate: testDate,
            issuedBy: actor.principal.subject,
            issuedAt: now,
            shortExpiresAt: issued.expiresAt,
            longExpiresAt: issued.longExpiresAt
        )
        return issued
    }

    public struct Token: Sendable {
        public var token: String
        public var testType: String
        public var symptomDate: String?
        public var expiresAt: Date
    }

    /// The app's first step: a code for a token.
    public func verify(code: String) async throws -> Token {
        let trimmed = code.filter { !$0.isWhitespace && $0 != "-" }
        guard (8...16).contains(trimmed.count), trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
        else {
            throw AppError.invalidField(
                "code",
                "code is the 8-digit code from the SMS or the 16-character code from the link"
            )
        }
        let now = clock.now()
        let token = Self.randomToken()
        let expires = now.addingTimeInterval(settings.tokenLifetime)
        switch try await store.claimCode(
            hash: hash("code", trimmed.lowercased()),
            tokenHash: hash("token", token),
            tokenExpiresAt: expires,
            at: now
        ) {
        case .success(let claim):
            return Token(token: token, testType: claim.testType, symptomDate: claim.symptomDate, expiresAt: expires)
        case .failure(let refusal):
            throw Self.refused(refusal, what: "code")
        }
    }

    public struct Certificate: Sendable {
        public var certificate: String
        public var expiresAt: Date
    }

    /// The app's second step: the token and the HMAC of its keys (tekmac) for a signed certificate.
    public func certificate(token: String, ekeyhmac: String) async throws -> Certificate {
        guard let mac = Data(base64Encoded: ekeyhmac), mac.count == 32 else {
            throw AppError.invalidField("ekeyhmac", "ekeyhmac is the base64 HMAC-SHA256 of the keys to publish")
        }
        let now = clock.now()
        let id = UUID().uuidString.lowercased()
        let expires = now.addingTimeInterval(settings.certificateLifetime)
        let claim: VerificationClaim
        switch try await store.claimToken(
            hash: hash("token", token),
            certificateID: id,
            certificateExpiresAt: expires,
            at: now
        ) {
        case .success(let found): claim = found
        case .failure(let refusal): throw Self.refused(refusal, what: "token")
        }
        let claims = CertificateClaims(
            jti: id,
            tekmac: ekeyhmac,
            reportType: claim.testType,
            symptomDate: claim.symptomDate,
            exp: Int64(expires.timeIntervalSince1970),
            iss: "vaxtrace"
        )
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(Array(try JSONEncoder().encode(claims)))
        let signature = HMAC<SHA256>.authenticationCode(for: Array("\(header).\(payload)".utf8), using: certificateKey)
        return Certificate(
            certificate: "\(header).\(payload).\(Base64URL.encode(Array(signature)))",
            expiresAt: expires
        )
    }

    struct CertificateClaims: Codable {
        var jti: String
        var tekmac: String
        var reportType: String
        var symptomDate: String?
        var exp: Int64
        var iss: String
    }

    func openCertificate(_ text: String) throws -> CertificateClaims {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let invalid = AppError.invalidField(
            "verificationPayload",
            "verificationPayload is not a certificate from this server"
        )
        guard parts.count == 3, let signature = Base64URL.decode(parts[2]), let payload = Base64URL.decode(parts[1])
        else { throw invalid }
        guard
            HMAC<SHA256>.isValidAuthenticationCode(
                signature,
                authenticating: Array("\(parts[0]).\(parts[1])".utf8),
                using: certificateKey
            )
        else { throw invalid }
        guard let claims = try? JSONDecoder().decode(CertificateClaims.self, from: Data(payload)) else { throw invalid }
        return claims
    }

    // MARK: Publish

    public struct Upload: Sendable {
        public var keys: [TemporaryExposureKey]
        public var hmacKey: String
        public var verificationPayload: String
    }

    /// Stores the diagnosis keys of a verified case. A chaff request is checked the same way up to the
    /// certificate and then stores nothing, so the two look alike on the wire.
    public func publish(_ upload: Upload, chaff: Bool) async throws -> Int {
        let now = clock.now()
        let keys = try validate(upload.keys, now: now)
        if chaff { return keys.count }
        guard let secret = Data(base64Encoded: upload.hmacKey), secret.count >= 16 else {
            throw AppError.invalidField(
                "hmacKey",
                "hmacKey is the base64 secret (at least 16 bytes) the tekmac was made with"
            )
        }
        let claims = try openCertificate(upload.verificationPayload)
        guard Int64(now.timeIntervalSince1970) < claims.exp else {
            throw AppError(
                .gone,
                code: "certificate_expired",
                message: "The verification certificate has expired; ask for a new code."
            )
        }
        guard TEKMAC.matches(claims.tekmac, keys: keys, secret: [UInt8](secret)) else {
            throw AppError(
                .badRequest,
                code: "tekmac_mismatch",
                message: "The keys are not the ones the certificate was issued for."
            )
        }
        let reportType: ReportType = claims.reportType == "confirmed" ? .confirmedTest : .confirmedClinicalDiagnosis
        let onsetDay = claims.symptomDate.flatMap(Self.day).map { Int32(ExposureNotification.intervalNumber($0) / 144) }
        let stored = keys.map { key in
            let expires = Double(key.rollingStartIntervalNumber + key.rollingPeriod) * 600
            return PublishedKey(
                keyData: key.keyData,
                rollingStart: key.rollingStartIntervalNumber,
                rollingPeriod: key.rollingPeriod,
                transmissionRisk: key.transmissionRiskLevel ?? 0,
                reportType: reportType.rawValue,
                // Outside ±14 days the value means nothing to a phone; leave it out, as the reference server does.
                daysSinceOnset: onsetDay.map { key.rollingStartIntervalNumber / 144 - $0 }.flatMap {
                    (-14...14).contains($0) ? $0 : nil
                },
                publishedAt: now,
                exportableAt: max(now, Date(timeIntervalSince1970: expires + settings.holdBack))
            )
        }
        switch try await store.publish(stored, certificateID: claims.jti, at: now) {
        case .success(let inserted): return inserted
        case .failure(.used):
            throw AppError(
                .conflict,
                code: "certificate_used",
                message: "These keys were already published with this certificate."
            )
        case .failure(.expired):
            throw AppError(
                .gone,
                code: "certificate_expired",
                message: "The verification certificate has expired; ask for a new code."
            )
        case .failure(.unknown):
            throw AppError.invalidField(
                "verificationPayload",
                "verificationPayload is not a certificate from this server"
            )
        }
    }

    /// Length 16, rolling period 1–144, start neither in the future nor older than 14 days, transmission
    /// risk 0–8, no key twice, at most 30 keys.
    func validate(_ keys: [TemporaryExposureKey], now: Date) throws -> [TemporaryExposureKey] {
        guard !keys.isEmpty else {
            throw AppError.invalidField("temporaryExposureKeys", "temporaryExposureKeys is empty")
        }
        guard keys.count <= settings.maximumKeysPerUpload else {
            throw AppError.invalidField(
                "temporaryExposureKeys",
                "at most \(settings.maximumKeysPerUpload) keys per upload"
            )
        }
        let current = ExposureNotification.intervalNumber(now)
        let oldest = ExposureNotification.rollingStart(of: current) - Int32(settings.maximumKeyAgeDays) * 144
        var seen = Set<[UInt8]>()
        for (index, key) in keys.enumerated() {
            let field = "temporaryExposureKeys[\(index)]"
            guard key.keyData.count == 16 else {
                throw AppError.invalidField("\(field).key", "\(field).key must be 16 bytes, base64")
            }
            guard (1...144).contains(key.rollingPeriod) else {
                throw AppError.invalidField("\(field).rollingPeriod", "\(field).rollingPeriod must be 1 to 144")
            }
            guard key.rollingStartIntervalNumber <= current else {
                throw AppError.invalidField(
                    "\(field).rollingStartNumber",
                    "\(field).rollingStartNumber is in the future"
                )
            }
            guard key.rollingStartIntervalNumber >= oldest else {
                throw AppError.invalidField(
                    "\(field).rollingStartNumber",
                    "\(field) is older than \(settings.maximumKeyAgeDays) days"
                )
            }
            guard (0...8).contains(key.transmissionRiskLevel ?? 0) else {
                throw AppError.invalidField("\(field).transmissionRisk", "\(field).transmissionRisk must be 0 to 8")
            }
            if let onset = key.daysSinceOnsetOfSymptoms, !(-14...14).contains(onset) {
                throw AppError.invalidField(
                    "\(field).daysSinceOnsetOfSymptoms",
                    "\(field).daysSinceOnsetOfSymptoms must be -14 to 14"
                )
            }
            guard seen.insert(key.keyData).inserted else {
                throw AppError.invalidField("\(field).key", "\(field).key appears twice")
            }
        }
        return keys
    }

    // MARK: Helpers

    func hash(_ purpose: String, _ value: String) -> String { vault.lookupHash(of: "en-\(purpose):\(value)") }

    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func refused(_ refusal: VerificationRefusal, what: String) -> AppError {
        switch refusal {
        case .unknown: AppError(.badRequest, code: "\(what)_invalid", message: "The \(what) is not known.")
        case .expired: AppError(.gone, code: "\(what)_expired", message: "The \(what) has expired; ask for a new code.")
        case .used: AppError(.conflict, code: "\(what)_used", message: "The \(what) was already used.")
        }
    }

    static func day(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)
    }
}
