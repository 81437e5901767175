// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "vaxtrace",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vaxtrace", targets: ["vaxtrace"])
    ],
    dependencies: [
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
    ],
    targets: [
        // Pure value types and rules: no I/O, no server imports.
        .target(
            name: "VaxDomain",
            resources: [.copy("Resources/campaign")],
            swiftSettings: swiftSettings
        ),
        // Repository protocols, their SQLKit implementation and the migrations, for SQLite and PostgreSQL.
        .target(
            name: "VaxStorage",
            dependencies: [
                "VaxDomain",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources/admin-units"), .copy("Resources/priority-groups")],
            swiftSettings: swiftSettings
        ),
        // The HTTP contract: openapi.yaml, from which the generator makes the types and the server protocol.
        .target(
            name: "VaxAPI",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // Spreadsheets in and out: XLSX (a zip of XML) and CSV, bounded against hostile files.
        .target(
            name: "VaxSheets",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
        // Health certificates: CBOR, COSE_Sign1, Base45, HC1 (EU DCC) and SMART Health Cards, issue and
        // verify. Pure Swift and swift-crypto with no server imports: it also runs in the citizen app.
        .target(
            name: "HealthCertificates",
            dependencies: [
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            resources: [.copy("Resources/schema")],
            swiftSettings: swiftSettings
        ),
        // libqrencode, the only C dependency (Debian: libqrencode-dev).
        .systemLibrary(
            name: "CQRencode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]
        ),
        // QR codes as SVG and PNG, drawn by libqrencode.
        .target(
            name: "QRCode",
            dependencies: [
                "CQRencode",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Venue tokens (compact JWS, ES256), stays and the risky venue list: pure Swift + swift-crypto.
        .target(
            name: "VenueCheckIn",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Exposure Notification (GAEN) cryptography, matching, the Corona-Warn-App risk calculation and
        // the export file format: pure Swift + swift-crypto, no server imports, also for the phone.
        .target(
            name: "ExposureNotification",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The export zip (export.bin + export.sig) around the ExposureNotification module.
        .target(
            name: "ExposureNotificationArchive",
            dependencies: [
                "ExposureNotification", "VaxSheets", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Hummingbird application: middleware, API handlers, background services.
        .target(
            name: "VaxServer",
            dependencies: [
                "HealthCertificates",
                "QRCode",
                "VaxAPI",
                "VaxDomain",
                "VaxSheets",
                "VaxStorage",
                "VenueCheckIn",
                "ExposureNotification",
                "ExposureNotificationArchive",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Web/Templates")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vaxtrace",
            dependencies: [
                "ExposureNotification",
                "ExposureNotificationArchive",
                "HealthCertificates",
                "VaxDomain",
                "VaxServer",
                "VaxStorage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Shared by the test targets: throwaway databases on both engines.
        .target(
            name: "VaxTestSupport",
            dependencies: [
                "VaxStorage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Tests/VaxTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VaxDomainTests",
            dependencies: ["VaxDomain", "VaxTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VaxStorageTests",
            dependencies: [
                "VaxDomain", "VaxStorage", "VaxTestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VaxServerTests",
            dependencies: [
                "VaxServer",
                "VenueCheckIn",
                .product(name: "Crypto", package: "swift-crypto"),
                "VaxSheets",
                "VaxStorage",
                "VaxTestSupport",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VenueCheckInTests",
            dependencies: ["VenueCheckIn", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HealthCertificatesTests",
            dependencies: [
                "HealthCertificates", "QRCode", "VaxTestSupport", .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ExposureNotificationTests",
            dependencies: [
                "ExposureNotification", "ExposureNotificationArchive",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VaxSheetsTests",
            dependencies: ["VaxSheets", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),
    ]
)
