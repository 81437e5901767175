import ArgumentParser

/// The `vaxtrace` command: a thin entry point; the work is in the library modules.
@main
struct Vaxtrace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Vaxtrace: vaccination campaign and epidemic response platform.",
        subcommands: [
            Serve.self, Migrate.self, Seed.self, Units.self, Audit.self, Users.self, Facilities.self, Outbox.self,
            Cert.self, Keys.self, EN.self, Rollups.self, Bench.self,
        ],
        defaultSubcommand: Serve.self
    )
}
