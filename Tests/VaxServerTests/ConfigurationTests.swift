import Configuration
import HummingbirdTesting
import Testing
import VaxServer
import VaxStorage
import VaxTestSupport

@Suite struct ConfigurationTests {
    func configuration(_ values: [AbsoluteConfigKey: ConfigValue]) throws -> AppConfiguration {
        try AppConfiguration(reader: ConfigReader(provider: InMemoryProvider(values: values)))
    }

    @Test func defaultsServeSQLiteOnLoopback() throws {
        let defaults = try configuration([:])
        #expect(defaults.hostname == "127.0.0.1")
        #expect(defaults.port == 8080)
        #expect(defaults.database == .sqliteFile(path: "var/vaxtrace.sqlite"))
        #expect(defaults.bodyLimit == 1_048_576)
        #expect(defaults.unitProvinces == nil)
    }

    @Test func parsesDatabaseURLs() throws {
        let postgres = try configuration([
            "database.url": "postgres://vax:s%40cret@db.internal:5433/vaxtrace?sslmode=require"
        ])
        guard case .postgres(let location) = postgres.database else {
            Issue.record("not postgres")
            return
        }
        #expect(location.host == "db.internal" && location.port == 5433 && location.database == "vaxtrace")
        #expect(location.username == "vax" && location.password == "s@cret" && location.requireTLS)
        #expect(!postgres.database.description.contains("cret"))
        #expect(try configuration(["database.url": "sqlite::memory:"]).database == .sqliteMemory)
    }

    @Test func badValuesNameTheirKey() {
        let cases: [(AbsoluteConfigKey, ConfigValue, String)] = [
            ("database.url", "mysql://x", "DATABASE_URL"),
            ("database.url", "postgres://host/", "DATABASE_URL"),
            ("http.port", 70_000, "HTTP_PORT"),
            ("log.level", "loud", "LOG_LEVEL"),
            ("units.provinces", "19,abc", "UNITS_PROVINCES"),
            ("http.body.limit", 10, "HTTP_BODY_LIMIT"),
            ("cert.validity.months", 0, "CERT_VALIDITY_MONTHS"),
            ("cert.validity.months", 61, "CERT_VALIDITY_MONTHS"),
            ("cert.country", "Viet Nam", "CERT_COUNTRY"),
            ("cert.country", "vn", "CERT_COUNTRY"),
            ("cert.issuer", "", "CERT_ISSUER"),
            ("cert.trust.list.file", "/nonexistent/trust-list.json", "CERT_TRUST_LIST_FILE"),
            ("cert.trust.list.file", "Package.swift", "CERT_TRUST_LIST_FILE"),
            ("tracing.retention.days", 0, "TRACING_RETENTION_DAYS"),
            ("tracing.margin.minutes", -1, "TRACING_MARGIN_MINUTES"),
            ("tracing.lead.days", 15, "TRACING_LEAD_DAYS"),
            ("checkin.stay.minutes", 0, "CHECKIN_STAY_MINUTES"),
            ("checkin.merge.minutes", 121, "CHECKIN_MERGE_MINUTES"),
            ("checkin.per.hour", 0, "CHECKIN_PER_HOUR"),
            ("public.base.url", "ftp://example.vn", "PUBLIC_BASE_URL"),
            ("public.base.url", "https://example.vn/#x", "PUBLIC_BASE_URL"),
            ("en.region", "Vietnam", "EN_REGION"),
            ("en.region", "vn", "EN_REGION"),
            ("en.export.dir", "", "EN_EXPORT_DIR"),
            ("en.export.min.keys", -1, "EN_EXPORT_MIN_KEYS"),
            ("rollup.interval.seconds", 0, "ROLLUP_INTERVAL_SECONDS"),
        ]
        for (key, value, name) in cases {
            #expect(throws: ConfigurationError.self) { try configuration([key: value]) }
            do {
                _ = try configuration([key: value])
            } catch let error as ConfigurationError {
                #expect(error.key == name)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test func postgresNeedsAKey() throws {
        let postgres = try configuration(["database.url": "postgres://vax@localhost/vaxtrace"])
        #expect(throws: ConfigurationError.self) { _ = try postgres.nationalIDVault() }
        let short = try configuration(["database.url": "sqlite::memory:", "person.id.key": "c2hvcnQ="])
        #expect(throws: ConfigurationError.self) { _ = try short.nationalIDVault() }
    }

    @Test func developmentTokens() throws {
        let tokens = try DevelopmentTokens("aaaaaaaaaaaaaaaa:vaccinator:unit/19, bbbbbbbbbbbbbbbb:system_admin:*")
        #expect(tokens.principal(for: "aaaaaaaaaaaaaaaa")?.role == .vaccinator)
        #expect(tokens.principal(for: "aaaaaaaaaaaaaaaa")?.scope == .unit("19"))
        #expect(tokens.principal(for: "bbbbbbbbbbbbbbbb")?.scope == .all)
        #expect(tokens.principal(for: "cccccccccccccccc") == nil)
        #expect(throws: ConfigurationError.self) { try DevelopmentTokens("short:vaccinator:*") }
        #expect(throws: ConfigurationError.self) { try DevelopmentTokens("aaaaaaaaaaaaaaaa:nurse:*") }
        #expect(throws: ConfigurationError.self) { try DevelopmentTokens("aaaaaaaaaaaaaaaa:citizen:person/x") }
    }
}

@Suite struct KeyFingerprintTests {
    @Test(arguments: TestDatabase.engines)
    func aServerRefusesAKeyOtherThanTheDataWasSealedWith(engine: DatabaseEngine) async throws {
        try await TestDatabase.withEmptyDatabaseURL(engine, file: true) { url in
            let first = try await buildApplication(reader: testReader(url: url))
            try await first.test(.router) { client in
                let created = try await client.send(.post, "/api/v1/people", json: personJSON())
                #expect(created.status == .created)
            }
            let otherKey = NationalIDVault.generateBase64Key()
            let second = try await buildApplication(
                reader: testReader(url: url, extra: ["person.id.key": ConfigValue(.string(otherKey), isSecret: true)])
            )
            await #expect(throws: ConfigurationError.self) {
                try await second.test(.router) { _ in }
            }
        }
    }
}
