import ArgumentParser
import Foundation
import HealthCertificates
import VaxServer
import VaxStorage

/// `vaxtrace keys …`: the certificate signing keys (a country signing CA and document signers).
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Signing keys, private keys sealed at rest: certificates (a country signing CA and its document signers) and Exposure Notification export files.",
        subcommands: [Rotate.self, List.self, TrustList.self, RotateExports.self, ListExports.self]
    )

    static func withService<T: Sendable>(
        _ common: CommonOptions,
        _ body: @Sendable (CertificateService) async throws -> T
    ) async throws -> T {
        try await common.withDatabase { database, configuration in
            let vault = try configuration.nationalIDVault()
            try await vault.checkMatches(database)
            let units = SQLAdminUnitRepository(database: database)
            let audit = SQLAuditRepository(database: database)
            let people = SQLPersonRepository(database: database, vault: vault)
            let registry = PersonRegistry(
                people: people,
                units: units,
                audit: audit,
                priorityGroups: SQLPriorityGroupRepository(database: database)
            )
            return try await body(
                CertificateService(
                    database: database,
                    people: people,
                    registry: registry,
                    vault: vault,
                    settings: configuration.certificates
                )
            )
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create a document signer (and the country signing CA the first time); it signs from now on, earlier ones are retired but stay in the trust list until they expire."
        )
        @OptionGroup var common: CommonOptions
        @Option(help: "ES256 (P-256) or PS256 (RSA-2048, as Vietnam's 2022 certificates).")
        var algorithm: String = "ES256"

        func run() async throws {
            guard let algorithm = COSEAlgorithm.allCases.first(where: { $0.name == self.algorithm.uppercased() }) else {
                throw ValidationError("--algorithm is ES256 or PS256")
            }
            let key = try await Keys.withService(common) { try await $0.rotateKeys(algorithm: algorithm) }
            print(
                "document signer \(key.kid) (\(key.algorithm)) signs from now on, until \(key.notAfter.ISO8601Format())"
            )
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The keys, newest first (no private key is shown).")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let keys = try await Keys.withService(common) { try await $0.keys() }
            for key in keys {
                let state = key.retiredAt.map { "retired \($0.ISO8601Format())" } ?? "active"
                print(
                    "\(key.kid)\t\(key.role.rawValue)\t\(key.algorithm)\t\(state)\tuntil \(key.notAfter.ISO8601Format())"
                )
            }
            if keys.isEmpty { print("no keys yet: run vaxtrace keys rotate") }
        }
    }

    struct TrustList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "trust-list",
            abstract: "Print the trust list (EU gateway JSON shape) of our document signers."
        )
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let data = try await Keys.withService(common) { try await $0.trustListJSON() }
            print(String(decoding: data, as: UTF8.self))
        }
    }

    static func withKeyServer<T: Sendable>(
        _ common: CommonOptions,
        _ body: @Sendable (KeyServer) async throws -> T
    ) async throws -> T {
        try await common.withDatabase { database, configuration in
            let vault = try configuration.nationalIDVault()
            try await vault.checkMatches(database)
            return try await body(KeyServer(database: database, vault: vault, settings: configuration.keyServer))
        }
    }

    struct RotateExports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-exports",
            abstract:
                "Create the next version of the P-256 key that signs Exposure Notification export files; it signs from now on (give phones its public key, from GET /api/v1/en/export-keys, first)."
        )
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let key = try await Keys.withKeyServer(common) { try await $0.rotateSigningKey() }
            print("export signing key \(key.keyID) \(key.version) signs from now on\n\(key.publicKeyPEM)")
        }
    }

    struct ListExports: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list-exports",
            abstract: "The export signing keys, newest first (public keys only)."
        )
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let keys = try await Keys.withKeyServer(common) { try await $0.signingKeys() }
            for key in keys {
                print(
                    "\(key.keyID)\t\(key.version)\t\(key.retiredAt.map { "retired \($0.ISO8601Format())" } ?? "active")"
                )
            }
            if keys.isEmpty { print("no export signing key yet: run vaxtrace keys rotate-exports") }
        }
    }
}
