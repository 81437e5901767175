import ArgumentParser
import Foundation
import VaxDomain
import VaxServer
import VaxStorage

#if canImport(Glibc)
import Glibc
#endif

/// The operator running a command, for the audit log.
private var operatorName: String {
    "cli:\(ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName)"
}

/// Opens the database and runs `body` with an identity service (its messages go to the outbox).
private func withIdentity<T: Sendable>(
    _ common: CommonOptions,
    _ body: @Sendable (IdentityService, IdentityStore) async throws -> T
) async throws -> T {
    try await common.withDatabase { database, configuration in
        let vault = try configuration.nationalIDVault()
        try await vault.checkMatches(database)
        let store = IdentityStore(database: database)
        let service = IdentityService(
            store: store,
            audit: SQLAuditRepository(database: database),
            vault: vault,
            gateway: OutboxGateway(store: store),
            settings: configuration.identity
        )
        do {
            return try await body(service, store)
        } catch let error as AppError {
            throw CommandFailure(description: error.message)
        } catch let error as IdentityStoreError {
            throw CommandFailure(description: error.description)
        }
    }
}

/// A refusal to print as `Error: …` (without the usage text, which is for wrong arguments).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
}

/// Reads a password: twice without echo on a terminal, or the first line of standard input.
private func readPassword() throws -> String {
    if isatty(STDIN_FILENO) == 1 {
        guard let first = getpass("New password: ").map({ String(cString: $0) }),
            let second = getpass("Again: ").map({ String(cString: $0) })
        else { throw ValidationError("no password given") }
        guard first == second else { throw ValidationError("the two passwords differ") }
        return first
    }
    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
        throw ValidationError("give the password on standard input")
    }
    return line
}

private func parseRoleAndScope(role: String, scope: String) throws -> (Role, Scope) {
    guard let parsedRole = Role(rawValue: role) else {
        throw ValidationError("unknown role \(role); one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard let parsedScope = Scope(scope) else {
        throw ValidationError("bad scope \(scope): `*`, `unit/CODE`, `facility/ID` or `venue/ID`")
    }
    return (parsedRole, parsedScope)
}

/// Runs an account change and prints the account as it is now.
private func changeAccount(
    _ common: CommonOptions,
    _ change: @Sendable @escaping (IdentityService) async throws -> Account
) async throws {
    let account = try await withIdentity(common) { service, _ in try await change(service) }
    print(describe(account))
}

private func describe(_ account: Account, locked: Bool = false) -> String {
    var state: [String] = []
    if account.disabledAt != nil { state.append("disabled") }
    if locked { state.append("locked") }
    state.append(account.totpEnabledAt == nil ? "TOTP not enrolled" : "TOTP on")
    return "\(account.username ?? "-")\t\(account.role)\t\(account.scope)\t\(state.joined(separator: ", "))"
}

struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Staff accounts: create the first administrator, grant roles, disable, unlock, reset.",
        subcommands: [Create.self, List.self, Grant.self, Disable.self, Enable.self, Unlock.self, Reset.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a staff account; the password is read without echo (or from standard input)."
        )

        @OptionGroup var common: CommonOptions
        @Argument(help: "The username (letters, digits, dot, dash, underscore).") var username: String
        @Option(help: "The role, e.g. system_admin, vaccinator, province_official.") var role: String
        @Option(help: "The scope: `*`, `unit/19`, `facility/ID`, `venue/ID`.") var scope: String
        @Option(help: "A name to show.") var name: String?

        func run() async throws {
            let (role, scope) = try parseRoleAndScope(role: role, scope: scope)
            let password = try readPassword()
            let account = try await withIdentity(common) { service, _ in
                try await service.createStaff(
                    username: username,
                    password: password,
                    role: role,
                    scope: scope,
                    displayName: name,
                    by: operatorName
                )
            }
            print(
                "created \(account.username ?? "") (\(account.role) in \(account.scope)), id \(account.id.uuidString.lowercased())"
            )
            print("at first sign-in the account enrols a TOTP authenticator (QR code) and gets recovery codes")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List staff accounts.")
        @OptionGroup var common: CommonOptions

        func run() async throws {
            let accounts = try await withIdentity(common) { service, _ in
                var listed: [(Account, Bool)] = []
                for account in try await service.staffAccounts() {
                    listed.append((account, try await service.isLocked(account)))
                }
                return listed
            }
            print("username\trole\tscope\tstate")
            for (account, locked) in accounts { print(describe(account, locked: locked)) }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an account's role and scope (audited); its sessions end."
        )
        @OptionGroup var common: CommonOptions
        @Argument var username: String
        @Option var role: String
        @Option var scope: String

        func run() async throws {
            let (role, scope) = try parseRoleAndScope(role: role, scope: scope)
            try await changeAccount(common) { service in
                try await service.grant(username: username, role: role, scope: scope, by: operatorName)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account; its sessions end.")
        @OptionGroup var common: CommonOptions
        @Argument var username: String

        func run() async throws {
            try await changeAccount(common) { service in
                try await service.setDisabled(true, username: username, by: operatorName)
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")
        @OptionGroup var common: CommonOptions
        @Argument var username: String

        func run() async throws {
            try await changeAccount(common) { service in
                try await service.setDisabled(false, username: username, by: operatorName)
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a lock-out after failed sign-ins.")
        @OptionGroup var common: CommonOptions
        @Argument var username: String

        func run() async throws {
            try await changeAccount(common) { service in try await service.unlock(username: username, by: operatorName)
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a new password and remove TOTP (the person enrols again); sessions end."
        )
        @OptionGroup var common: CommonOptions
        @Argument var username: String

        func run() async throws {
            let password = try readPassword()
            try await changeAccount(common) { service in
                try await service.reset(username: username, password: password, by: operatorName)
            }
        }
    }
}

struct Facilities: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vaccination facilities, as scopes for staff and device tokens.",
        subcommands: [Add.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a facility serving a unit.")
        @OptionGroup var common: CommonOptions
        @Option(help: "The facility code, e.g. TYT-05692.") var id: String
        @Option(help: "Its name.") var name: String
        @Option(help: "The unit it serves: a province (2 digits), district (3) or commune (5) code.") var unit: String

        func run() async throws {
            guard (1...40).contains(id.count), id.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" }) else {
                throw ValidationError("the id is 1 to 40 characters without spaces or slashes")
            }
            guard [2, 3, 5].contains(unit.count), unit.allSatisfy(\.isNumber) else {
                throw ValidationError("the unit is a code of 2, 3 or 5 digits")
            }
            let facility = Facility(id: id, name: name, unitCode: unit)
            try await withIdentity(common) { _, store in try await store.insert(facility, at: Date()) }
            print("added facility \(id) serving unit \(unit); scope: facility/\(id)")
        }
    }
}

struct Outbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Messages held in the outbox (when no SMS gateway is configured), newest first.",
        subcommands: [List.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the newest messages.")
        @OptionGroup var common: CommonOptions
        @Option(help: "Only to this phone (+84…).") var phone: String?
        @Option(help: "How many.") var limit: Int = 20

        func run() async throws {
            let messages = try await withIdentity(common) { _, store in
                try await store.outbox(recipient: phone, limit: max(1, min(limit, 500)))
            }
            for message in messages {
                print("\(message.createdAt.ISO8601Format())\t\(message.recipient)\t\(message.purpose)\t\(message.body)")
            }
        }
    }
}
