import Configuration
import Foundation
import HealthCertificates
import Logging
import VaxStorage

/// Every setting of the server, read once from configuration (command line > environment > `.env` > defaults).
/// The README's configuration table lists the same keys.
public struct AppConfiguration: Sendable {
    /// Address to listen on (`http.hostname`, `HTTP_HOSTNAME`).
    public var hostname: String
    /// Port (`http.port`, `HTTP_PORT`); 0 picks a free one.
    public var port: Int
    /// Where the data lives (`database.url`, `DATABASE_URL`).
    public var database: DatabaseLocation
    /// Base64 32-byte key sealing national ID numbers (`person.id.key`, `PERSON_ID_KEY`).
    public var personIDKey: String?
    /// Development bearer tokens, `TOKEN:ROLE:SCOPE` separated by commas (`auth.dev.tokens`, `AUTH_DEV_TOKENS`).
    public var devTokens: String
    /// Largest request body accepted, bytes (`http.body.limit`, `HTTP_BODY_LIMIT`).
    public var bodyLimit: Int
    /// The largest list upload (CSV or XLSX) in bytes.
    public var uploadLimit: Int
    /// Whether to load demo people into an empty database (`demo.seed`, `DEMO_SEED`); default: on SQLite only.
    public var seedDemoData: Bool
    /// Log level (`log.level`, `LOG_LEVEL`).
    public var logLevel: Logger.Level
    /// Whether clients reach the server over HTTPS through a TLS proxy (`http.https`, `HTTP_HTTPS`): sends HSTS.
    public var servedOverHTTPS: Bool
    /// Whether a reverse proxy we trust sets `X-Forwarded-For` (`http.trusted.proxy`, `HTTP_TRUSTED_PROXY`):
    /// then per-address limits use its last entry.
    public var trustProxy: Bool
    /// Province codes whose units are loaded (`units.provinces`, `UNITS_PROVINCES`); `nil` loads the country.
    public var unitProvinces: Set<String>?

    /// Sign-in timings and limits (`AUTH_BCRYPT_COST`, `SESSION_IDLE_MINUTES`, `SESSION_ABSOLUTE_HOURS`,
    /// `RATE_OTP_IP_HOUR`, `SMS_TEMPLATE`).
    public var identity: IdentitySettings
    /// Request limits per minute.
    public var rateLimits: RateLimits
    /// The SMS provider's URL (`sms.gateway.url`, `SMS_GATEWAY_URL`); without it messages stay in the outbox.
    public var smsGatewayURL: URL?
    /// The SMS provider's user (`sms.gateway.username`, `SMS_GATEWAY_USERNAME`).
    public var smsGatewayUsername: String
    /// The SMS provider's password (`sms.gateway.password`, `SMS_GATEWAY_PASSWORD`).
    public var smsGatewayPassword: String
    /// Certificate issuing (`CERT_VALIDITY_MONTHS`, `CERT_COUNTRY`, `CERT_ISSUER`, `CERT_TRUST_LIST_FILE`).
    public var certificates: CertificateSettings
    /// Check-in and tracing (`TRACING_*`, `CHECKIN_*`, `PUBLIC_BASE_URL`).
    public var tracing: TracingSettings
    /// The Exposure Notification key server (`EN_REGION`, `EN_EXPORT_DIR`, `EN_EXPORT_MIN_KEYS`).
    public var keyServer: KeyServerSettings
    /// How often the dashboards' rollup maintainer looks for new events (`ROLLUP_INTERVAL_SECONDS`).
    public var rollupInterval: Duration

    /// The default database: an SQLite file under `./var/`.
    public static let defaultDatabaseURL = "sqlite://var/vaxtrace.sqlite"

    /// Reads the configuration; throws with the key's name when a value is unusable.
    public init(reader: ConfigReader) throws {
        hostname = reader.string(forKey: "http.hostname", default: "127.0.0.1")
        port = reader.int(forKey: "http.port", default: 8080)
        guard (0...65_535).contains(port) else {
            throw ConfigurationError(key: "HTTP_PORT", reason: "not a port number")
        }
        let url = reader.string(forKey: "database.url", isSecret: true, default: Self.defaultDatabaseURL)
        do {
            database = try DatabaseLocation(url: url)
        } catch {
            throw ConfigurationError(key: "DATABASE_URL", reason: error.description)
        }
        personIDKey = reader.string(forKey: "person.id.key", isSecret: true)
        devTokens = reader.string(forKey: "auth.dev.tokens", isSecret: true, default: "")
        bodyLimit = reader.int(forKey: "http.body.limit", default: 1_048_576)
        guard bodyLimit >= 1024 else { throw ConfigurationError(key: "HTTP_BODY_LIMIT", reason: "at least 1024 bytes") }
        uploadLimit = reader.int(forKey: "http.upload.limit", default: 33_554_432)
        guard uploadLimit >= 1024 else {
            throw ConfigurationError(key: "HTTP_UPLOAD_LIMIT", reason: "at least 1024 bytes")
        }
        // Demo people only where nobody real lives: on by default for SQLite (development), off for PostgreSQL.
        let isSQLite = if case .postgres = database { false } else { true }
        seedDemoData = reader.bool(forKey: "demo.seed", default: isSQLite)
        servedOverHTTPS = reader.bool(forKey: "http.https", default: false)
        trustProxy = reader.bool(forKey: "http.trusted.proxy", default: false)
        let level = reader.string(forKey: "log.level", default: "info")
        guard let logLevel = Logger.Level(rawValue: level) else {
            throw ConfigurationError(
                key: "LOG_LEVEL",
                reason: "one of trace, debug, info, notice, warning, error, critical"
            )
        }
        self.logLevel = logLevel
        let provinces = reader.string(forKey: "units.provinces", default: "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard provinces.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isNumber) }) else {
            throw ConfigurationError(key: "UNITS_PROVINCES", reason: "province codes of 2 digits, separated by commas")
        }
        unitProvinces = provinces.isEmpty ? nil : Set(provinces)

        var identity = IdentitySettings()
        let cost = reader.int(forKey: "auth.bcrypt.cost", default: 12)
        guard (4...16).contains(cost) else { throw ConfigurationError(key: "AUTH_BCRYPT_COST", reason: "4 to 16") }
        identity.bcryptCost = UInt8(cost)
        let idle = reader.int(forKey: "session.idle.minutes", default: 30)
        guard (1...1440).contains(idle) else {
            throw ConfigurationError(key: "SESSION_IDLE_MINUTES", reason: "1 to 1440 minutes")
        }
        identity.staffIdle = Double(idle) * 60
        let absolute = reader.int(forKey: "session.absolute.hours", default: 12)
        guard (1...168).contains(absolute) else {
            throw ConfigurationError(key: "SESSION_ABSOLUTE_HOURS", reason: "1 to 168 hours")
        }
        identity.staffAbsolute = Double(absolute) * 3600
        identity.codesPerAddressPerHour = reader.int(forKey: "rate.otp.ip.hour", default: 20)
        guard identity.codesPerAddressPerHour >= 1 else {
            throw ConfigurationError(key: "RATE_OTP_IP_HOUR", reason: "at least 1")
        }
        identity.smsTemplate = reader.string(forKey: "sms.template", default: identity.smsTemplate)
        guard identity.smsTemplate.contains("{code}") else {
            throw ConfigurationError(key: "SMS_TEMPLATE", reason: "must contain {code}")
        }
        identity.secureCookies = servedOverHTTPS
        self.identity = identity

        var limits = RateLimits()
        limits.signInPerMinute = reader.int(forKey: "rate.sign.in.per.minute", default: limits.signInPerMinute)
        limits.publicPerMinute = reader.int(forKey: "rate.public.per.minute", default: limits.publicPerMinute)
        limits.callerPerMinute = reader.int(forKey: "rate.caller.per.minute", default: limits.callerPerMinute)
        guard limits.signInPerMinute >= 1, limits.publicPerMinute >= 1, limits.callerPerMinute >= 1 else {
            throw ConfigurationError(key: "RATE_SIGN_IN_PER_MINUTE", reason: "rate limits are at least 1 per minute")
        }
        rateLimits = limits

        let gateway = reader.string(forKey: "sms.gateway.url", default: "")
        if gateway.isEmpty {
            smsGatewayURL = nil
        } else {
            guard let url = URL(string: gateway), url.scheme == "https" || url.scheme == "http", url.host != nil else {
                throw ConfigurationError(key: "SMS_GATEWAY_URL", reason: "an http(s) URL")
            }
            smsGatewayURL = url
        }
        smsGatewayUsername = reader.string(forKey: "sms.gateway.username", default: "")
        smsGatewayPassword = reader.string(forKey: "sms.gateway.password", isSecret: true, default: "")
        tracing = TracingSettings()
        tracing.retentionDays = reader.int(forKey: "tracing.retention.days", default: tracing.retentionDays)
        guard (1...365).contains(tracing.retentionDays) else {
            throw ConfigurationError(key: "TRACING_RETENTION_DAYS", reason: "1 to 365 days")
        }
        tracing.marginMinutes = reader.int(forKey: "tracing.margin.minutes", default: tracing.marginMinutes)
        guard (0...720).contains(tracing.marginMinutes) else {
            throw ConfigurationError(key: "TRACING_MARGIN_MINUTES", reason: "0 to 720 minutes")
        }
        tracing.leadDays = reader.int(forKey: "tracing.lead.days", default: tracing.leadDays)
        guard (0...14).contains(tracing.leadDays) else {
            throw ConfigurationError(key: "TRACING_LEAD_DAYS", reason: "0 to 14 days")
        }
        tracing.defaultStayMinutes = reader.int(forKey: "checkin.stay.minutes", default: tracing.defaultStayMinutes)
        guard (1...720).contains(tracing.defaultStayMinutes) else {
            throw ConfigurationError(key: "CHECKIN_STAY_MINUTES", reason: "1 to 720 minutes")
        }
        tracing.mergeMinutes = reader.int(forKey: "checkin.merge.minutes", default: tracing.mergeMinutes)
        guard (0...120).contains(tracing.mergeMinutes) else {
            throw ConfigurationError(key: "CHECKIN_MERGE_MINUTES", reason: "0 to 120 minutes")
        }
        tracing.checkInsPerHour = reader.int(forKey: "checkin.per.hour", default: tracing.checkInsPerHour)
        guard tracing.checkInsPerHour >= 1 else {
            throw ConfigurationError(key: "CHECKIN_PER_HOUR", reason: "at least 1")
        }
        tracing.publicBaseURL = reader.string(forKey: "public.base.url", default: tracing.publicBaseURL)
        guard let base = URL(string: tracing.publicBaseURL), base.scheme == "https" || base.scheme == "http",
            base.host != nil, base.query == nil, base.fragment == nil
        else {
            throw ConfigurationError(key: "PUBLIC_BASE_URL", reason: "an http(s) URL without query or fragment")
        }

        keyServer = KeyServerSettings()
        keyServer.region = reader.string(forKey: "en.region", default: keyServer.region)
        guard keyServer.region.count == 2, keyServer.region.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw ConfigurationError(key: "EN_REGION", reason: "two capital letters (ISO 3166), such as VN")
        }
        keyServer.exportDirectory = reader.string(forKey: "en.export.dir", default: keyServer.exportDirectory)
        guard !keyServer.exportDirectory.isEmpty else {
            throw ConfigurationError(key: "EN_EXPORT_DIR", reason: "a folder")
        }
        keyServer.minimumKeysPerFile = reader.int(forKey: "en.export.min.keys", default: keyServer.minimumKeysPerFile)
        guard (0...100_000).contains(keyServer.minimumKeysPerFile) else {
            throw ConfigurationError(key: "EN_EXPORT_MIN_KEYS", reason: "0 to 100000 keys")
        }

        let rollupSeconds = reader.int(forKey: "rollup.interval.seconds", default: 5)
        guard (1...86_400).contains(rollupSeconds) else {
            throw ConfigurationError(key: "ROLLUP_INTERVAL_SECONDS", reason: "1 to 86400 seconds")
        }
        rollupInterval = .seconds(rollupSeconds)

        certificates = CertificateSettings()
        certificates.validityMonths = reader.int(forKey: "cert.validity.months", default: 12)
        guard (1...60).contains(certificates.validityMonths) else {
            throw ConfigurationError(key: "CERT_VALIDITY_MONTHS", reason: "1 to 60 months")
        }
        certificates.country = reader.string(forKey: "cert.country", default: "VN")
        guard certificates.country.count == 2, certificates.country.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw ConfigurationError(key: "CERT_COUNTRY", reason: "an ISO 3166 alpha-2 code such as VN")
        }
        certificates.issuer = reader.string(forKey: "cert.issuer", default: "Ministry of Health of Viet Nam")
        guard (1...80).contains(certificates.issuer.count) else {
            throw ConfigurationError(key: "CERT_ISSUER", reason: "1 to 80 characters")
        }
        if let path = reader.string(forKey: "cert.trust.list.file") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(key: "CERT_TRUST_LIST_FILE", reason: "cannot read \(path)")
            }
            do {
                certificates.foreignTrust = try TrustListDocument.decode(data).trust
            } catch {
                throw ConfigurationError(key: "CERT_TRUST_LIST_FILE", reason: error.description)
            }
        }
    }

    /// The vault for national IDs. Without a configured key, an SQLite database under `./var/` gets a
    /// development key generated beside it; any other database refuses to start.
    public func nationalIDVault() throws -> NationalIDVault {
        if let personIDKey {
            do {
                return try NationalIDVault(base64Key: personIDKey)
            } catch {
                throw ConfigurationError(key: "PERSON_ID_KEY", reason: error.description)
            }
        }
        guard case .sqliteFile(let path) = database else {
            if case .sqliteMemory = database {
                return try NationalIDVault(base64Key: NationalIDVault.generateBase64Key())
            }
            throw ConfigurationError(
                key: "PERSON_ID_KEY",
                reason: "required with PostgreSQL (base64 of 32 random bytes)"
            )
        }
        let keyURL = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("dev-person-id.key")
        if let existing = try? String(contentsOf: keyURL, encoding: .utf8) {
            return try NationalIDVault(base64Key: existing)
        }
        let key = NationalIDVault.generateBase64Key()
        try FileManager.default.createDirectory(
            at: keyURL.deletingLastPathComponent(),
            withIntermediateDirectories: true
        )
        try Data(key.utf8).write(to: keyURL, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyURL.path)
        return try NationalIDVault(base64Key: key)
    }
}

/// A configuration value that cannot be used; names the environment variable.
public struct ConfigurationError: Error, CustomStringConvertible {
    /// The environment variable name.
    public let key: String
    /// What is wrong.
    public let reason: String

    /// An error.
    public init(key: String, reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(key): \(reason)" }
}
