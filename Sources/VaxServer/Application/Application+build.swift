import Configuration
import Foundation
import Hummingbird
import Logging
import OpenAPIHummingbird
import OpenAPIRuntime
import VaxAPI
import VaxDomain
import VaxStorage

/// Builds the Vaxtrace application from configuration. `main` and the tests both call it.
public func buildApplication(reader: ConfigReader) async throws -> some ApplicationProtocol {
    try await buildApplication(configuration: AppConfiguration(reader: reader))
}

/// Builds the Vaxtrace application from parsed configuration.
public func buildApplication(
    configuration: AppConfiguration,
    clock: WallClock = .system
) async throws -> some ApplicationProtocol {
    // Metrics first: counters made before the bootstrap would go nowhere.
    let metrics = PrometheusMetrics.shared
    var baseLogger = Logger(label: "vaxtrace")
    baseLogger.logLevel = configuration.logLevel
    let logger = baseLogger
    let tokens = try DevelopmentTokens(configuration.devTokens)
    let vault = try configuration.nationalIDVault()
    let database = try await VaxDatabase.open(configuration.database, logger: logger)
    let migrations = MigrationRunner()
    let units = SQLAdminUnitRepository(database: database)
    let audit = SQLAuditRepository(database: database)
    let people = SQLPersonRepository(database: database, vault: vault)
    let registry = PersonRegistry(
        people: people,
        units: units,
        audit: audit,
        priorityGroups: SQLPriorityGroupRepository(database: database),
        clock: clock
    )

    let identityStore = IdentityStore(database: database)
    let gateway: any MessageGateway =
        if let url = configuration.smsGatewayURL {
            HTTPSMSGateway(
                url: url,
                username: configuration.smsGatewayUsername,
                password: configuration.smsGatewayPassword
            )
        } else {
            OutboxGateway(store: identityStore, clock: clock)
        }
    let identity = IdentityService(
        store: identityStore,
        audit: audit,
        vault: vault,
        gateway: gateway,
        settings: configuration.identity,
        clock: clock
    )

    let router = Router(context: VaxRequestContext.self)
    router.add(middleware: MetricsMiddleware())
    router.add(
        middleware: RequestMiddleware(logger: logger, strictTransportSecurity: configuration.servedOverHTTPS)
    )
    router.add(
        middleware: BodyLimitMiddleware(
            defaultLimit: configuration.bodyLimit,
            uploadLimit: configuration.uploadLimit,
            uploadPaths: ["/api/v1/registrations/imports"]
        )
    )
    router.add(
        middleware: AuthenticationMiddleware(tokens: tokens, identity: identity, trustProxy: configuration.trustProxy)
    )
    router.add(middleware: RateLimitMiddleware(limiter: RateLimiter(), limits: configuration.rateLimits))
    router.get("/metrics") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: metrics.exposition()))
        )
    }
    router.get("/openapi.yaml") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: APIDocument.yaml))
        )
    }
    router.get("/docs") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: APIDocumentPage.html))
        )
    }
    let certificates = CertificateService(
        database: database,
        people: people,
        registry: registry,
        vault: vault,
        settings: configuration.certificates,
        clock: clock,
        logger: logger
    )
    router.get("/verify") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: VerificationPage.html))
        )
    }
    router.get("/verify.js") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/javascript; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: VerificationPage.script))
        )
    }
    let tracingStore = TracingStore(database: database)
    let campaign = CampaignService(
        store: CampaignStore(database: database, people: people),
        registry: registry,
        people: people,
        units: units,
        vault: vault,
        clock: clock
    )
    let venues = VenueService(
        store: tracingStore,
        units: units,
        audit: audit,
        vault: vault,
        settings: configuration.tracing,
        clock: clock
    )
    router.get("/checkin") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: CheckInPage.html))
        )
    }
    router.get("/checkin.js") { _, _ in
        Response(
            status: .ok,
            headers: [.contentType: "text/javascript; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: CheckInPage.script))
        )
    }
    let keyServer = KeyServer(database: database, vault: vault, settings: configuration.keyServer, clock: clock)
    // The export files, for a deployment without a separate static file server or CDN in front.
    router.get("/en/exports/:region/index.txt") { _, context in
        try exportFileResponse(keyServer, "\(context.parameters.require("region"))/index.txt")
    }
    router.get("/en/exports/:region/:period/:name") { _, context in
        try exportFileResponse(
            keyServer,
            "\(context.parameters.require("region"))/\(context.parameters.require("period"))/\(context.parameters.require("name"))"
        )
    }
    let rollups = RollupStore(database: database)
    let logistics = LogisticsService(
        store: StockStore(database: database),
        rollups: rollups,
        campaign: campaign,
        clock: clock
    )
    let handler = APIHandler(
        database: database,
        migrations: migrations,
        units: units,
        registry: registry,
        identity: identity,
        audit: audit,
        campaign: campaign,
        certificates: certificates,
        venues: venues,
        checkIns: CheckInService(
            store: tracingStore,
            venues: venues,
            campaign: campaign,
            people: people,
            settings: configuration.tracing,
            clock: clock
        ),
        tracing: TracingService(
            store: tracingStore,
            venues: venues,
            people: people,
            settings: configuration.tracing,
            clock: clock,
            logger: logger
        ),
        keyServer: keyServer,
        logistics: logistics,
        dashboards: DashboardService(
            rollups: rollups,
            logistics: logistics,
            units: units,
            identity: identityStore,
            clock: clock
        )
    )
    // Venue QR check-ins skip the OpenAPI layer (the routes below, added after it, pass through it first).
    router.add(middleware: CheckInRoute(checkIns: handler.checkIns))
    try handler.registerHandlers(on: router, middlewares: [PolicyMiddleware(identity: identity)])
    // The web pages call the same operations in process, through the same policy.
    let apiRouter = Router(context: VaxRequestContext.self)
    try handler.registerHandlers(on: apiRouter, middlewares: [PolicyMiddleware(identity: identity)])
    WebPages(
        api: WebAPI(responder: apiRouter.buildResponder(), logger: logger),
        library: try await WebPages.templates(),
        priorityGroups: SQLPriorityGroupRepository(database: database),
        secureCookies: configuration.identity.secureCookies,
        clock: clock
    ).register(on: router)
    router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/app"]) }

    var app = Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.hostname, port: configuration.port),
            serverName: "vaxtrace"
        ),
        services: database.services + [
            IdentityPurger(store: identityStore, clock: clock, logger: logger),
            AuditChainer(database: database, migrations: migrations, logger: logger),
            CertificateIssuer(service: certificates, database: database, migrations: migrations),
            TracingRetention(
                store: tracingStore,
                database: database,
                migrations: migrations,
                settings: configuration.tracing,
                clock: clock,
                logger: logger
            ),
            ExportBatcher(keyServer: keyServer, database: database, migrations: migrations, logger: logger),
            RollupMaintainer(
                rollups: rollups,
                database: database,
                migrations: migrations,
                interval: configuration.rollupInterval,
                clock: clock,
                logger: logger
            ),
        ],
        logger: logger
    )
    let seedDemoData = configuration.seedDemoData
    let vaultToCheck = vault
    let provinces = configuration.unitProvinces
    app.beforeServerStarts {
        try await prepareDatabase(
            database,
            vault: vaultToCheck,
            migrations: migrations,
            provinces: provinces,
            seedDemoData: seedDemoData,
            people: people,
            units: units,
            logger: logger
        )
        // A development or demo database signs certificates with keys made on the spot; production
        // makes its keys with `vaxtrace keys rotate`.
        if seedDemoData, try await certificates.keys().isEmpty {
            try await certificates.rotateKeys(algorithm: .es256)
            logger.info("created development certificate signing keys (ES256)")
        }
        if seedDemoData, try await keyServer.signingKeys().isEmpty {
            try await keyServer.rotateSigningKey()
            logger.info("created a development export signing key")
        }
    }
    return app
}

/// An export zip or index from the export folder; 404 for anything else.
func exportFileResponse(_ keyServer: KeyServer, _ path: String) throws -> Response {
    guard let data = keyServer.exportFile(path) else {
        throw AppError(.notFound, code: "not_found", message: "No such export file.")
    }
    return Response(
        status: .ok,
        headers: [
            .contentType: path.hasSuffix(".txt") ? "text/plain; charset=utf-8" : "application/zip",
            .cacheControl: path.hasSuffix(".txt") ? "public, max-age=300" : "public, max-age=86400, immutable",
        ],
        body: .init(byteBuffer: ByteBuffer(bytes: data))
    )
}

/// Migrates, loads the reference data into an empty database, and the demo people when asked.
public func prepareDatabase(
    _ database: VaxDatabase,
    vault: NationalIDVault,
    migrations: MigrationRunner = MigrationRunner(),
    provinces: Set<String>? = nil,
    seedDemoData: Bool,
    people: any PersonRepository,
    units: any AdminUnitRepository,
    logger: Logger
) async throws {
    try await migrations.migrate(database, logger: logger)
    do {
        try await vault.checkMatches(database)
    } catch let error as NationalIDVaultError {
        throw ConfigurationError(key: "PERSON_ID_KEY", reason: error.description)
    }
    if try await ReferenceDataImporter.isEmpty(database) {
        let summary = try await ReferenceDataImporter(provinces: provinces).importAll(into: database)
        logger.info("loaded reference data", metadata: ["summary": .string(summary.description)])
        if seedDemoData {
            let count = try await DemoData.seed(into: people, units: units)
            logger.info("loaded demo data", metadata: ["people": .stringConvertible(count)])
        }
    }
}
