import ArgumentParser
import AsyncHTTPClient
import Configuration
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import VaxDomain
import VaxServer
import VaxSheets
import VaxStorage

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Through the real HTTP API of a server running in this process: bulk-import registrations (a PL1
/// CSV), then record doses at a fixed arrival rate and report the latency percentiles.
struct CampaignBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Import registrations in bulk and record doses at a fixed rate over HTTP, on each engine."
    )

    @Option(help: "Registrations in the uploaded list.")
    var registrations = 100_000

    @Option(help: "Doses per second to send.")
    var rate = 200

    @Option(help: "Seconds to keep sending doses.")
    var seconds = 60

    @Option(help: "PostgreSQL server to measure too (postgres://…); a throwaway schema is created and dropped.")
    var postgresURL: String?

    @Flag(name: .customLong("skip-sqlite"), help: "Skip SQLite.")
    var skipSQLite = false

    func run() async throws {
        say(
            "machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; registrations \(registrations); doses \(rate)/s for \(seconds) s"
        )
        if !skipSQLite {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent(
                "vaxtrace-campaign-\(getpid()).sqlite"
            ).path
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            try await measure(url: "sqlite://" + path, label: "sqlite")
        }
        if let postgresURL {
            let schema = "bench_campaign_\(getpid())"
            var logger = Logger(label: "vaxtrace.bench")
            logger.logLevel = .warning
            let base = try DatabaseLocation(url: postgresURL)
            try await VaxDatabase.withDatabase(base, logger: logger) { database in
                try await database.write { try await $0.raw("CREATE SCHEMA \(ident: schema)").run() }
            }
            let separator = postgresURL.contains("?") ? "&" : "?"
            var failure: (any Error)?
            do {
                try await measure(url: postgresURL + separator + "schema=" + schema, label: "postgres")
            } catch {
                failure = error
            }
            try await VaxDatabase.withDatabase(base, logger: logger) { database in
                try await database.write { try await $0.raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
            }
            if let failure { throw failure }
        }
    }

    private func measure(url: String, label: String) async throws {
        let port = 20_000 + Int(getpid() % 20_000)
        let token = "bench-admin-" + UUID().uuidString
        let values: [AbsoluteConfigKey: ConfigValue] = [
            "database.url": .init(.string(url), isSecret: true),
            "http.hostname": "127.0.0.1",
            "http.port": .init(.int(port), isSecret: false),
            "person.id.key": .init(.string(NationalIDVault.generateBase64Key()), isSecret: true),
            "auth.dev.tokens": .init(.string("\(token):system_admin:*"), isSecret: true),
            "units.provinces": "19",
            "demo.seed": false,
            "log.level": "error",
            "rate.caller.per.minute": 10_000_000,
            "rate.public.per.minute": 10_000_000,
        ]
        let app = try await buildApplication(
            reader: ConfigReader(provider: InMemoryProvider(name: "bench", values: values))
        )
        try await whileServing(app) {
            let client = BenchClient(base: "http://127.0.0.1:\(port)", token: token)
            do {
                try await client.waitUntilReady()
                try await exercise(client, label: label, settle: { try await Self.settle(url: url, label: label) })
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }

    /// Between the setup and the timed doses: PostgreSQL's autovacuum would otherwise analyse the
    /// tables just filled (100,000 people, 12,000 check-ins) during the measurement, on the same two
    /// cores; a site's day does not follow a bulk load by seconds. SQLite's checkpointer keeps up alone.
    private static func settle(url: String, label: String) async throws {
        guard url.hasPrefix("postgres") else { return }
        let start = ContinuousClock.now
        var logger = Logger(label: "vaxtrace.bench")
        logger.logLevel = .warning
        try await VaxDatabase.withDatabase(try DatabaseLocation(url: url), logger: logger) { database in
            try await database.read { try await $0.raw("VACUUM ANALYZE").run() }
        }
        say(
            "\(label): VACUUM ANALYZE after the setup in \(String(format: "%.1f", (ContinuousClock.now - start).seconds)) s"
        )
    }

    private func exercise(_ client: BenchClient, label: String, settle: () async throws -> Void) async throws {
        let communes = try await client.json(.GET, "/api/v1/units/2025/19/children")
        let codes = ((communes["items"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
        let people = SyntheticPeople(
            communes: codes.map { ("19", $0) },
            start: Date(timeIntervalSince1970: 1_700_000_000)
        )
        var rows: [[String]] = [["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Mã nhóm đối tượng"]]
        rows.reserveCapacity(registrations + 1)
        for index in 0..<registrations {
            let p = people.person(index)
            rows.append(
                [
                    "\(index + 1)", p.fullName, p.dateOfBirth.description, p.sex == .male ? "0" : "1",
                    "\(p.primaryPriorityGroup)", "Công ty \(index % 500)", p.phone ?? "", p.nationalID?.number ?? "",
                    "",
                    "Thái Nguyên", "19", "", "", "", p.address.communeCode, "", "",
                ]
            )
        }
        let csv = Spreadsheet.writeCSV(rows)
        let importStart = ContinuousClock.now
        let result = try await client.json(
            .POST,
            "/api/v1/registrations/imports?organisation=Bench",
            body: csv,
            contentType: "text/csv",
            timeout: 600
        )
        let importSeconds = (ContinuousClock.now - importStart).seconds
        say(
            "\(label): imported \(registrations) registrations (\(csv.count / 1_048_576) MiB CSV) in "
                + "\(String(format: "%.1f", importSeconds)) s: created \(result["created"] ?? "?"), matched \(result["matched"] ?? "?"), "
                + "rejected \(result["rejected"] ?? "?") (target ≤ 30 s)"
        )

        // Doses: imported people checked in (walk-ins by national ID) and screened through the offline
        // batch endpoint, so that the timed part measures the dose request alone.
        let doses = rate * seconds
        let today = LocalDate(at: Date())
        _ = try await client.json(
            .POST,
            "/api/v1/facilities",
            body: Data(#"{"id": "BENCH-1", "name": "Bench site", "unitCode": "19", "kind": "fixed"}"#.utf8)
        )
        let session = try await client.json(
            .POST,
            "/api/v1/sessions",
            body: Data(
                #"{"facilityId": "BENCH-1", "date": "\#(today)", "productCode": "astrazeneca", "doseKinds": ["primary"], "slots": [{"start": "07:00", "end": "17:00", "capacity": 10000}]}"#
                    .utf8
            )
        )
        guard let sessionID = session["id"] as? String else { throw ValidationError("no session: \(session)") }
        let setupStart = ContinuousClock.now
        var ready: [String] = []
        let answers = ["1", "2", "3", "4a", "4b", "5", "6", "7", "8", "9", "10"].map { #""\#($0)": false"# }
            .joined(separator: ", ")
        for batchStart in stride(from: 0, to: min(doses, registrations), by: 500) {
            let range = batchStart..<min(batchStart + 500, min(doses, registrations))
            let checkIns = range.map { index in
                #"{"id": "\#(UUIDv7.make().uuidString.lowercased())", "type": "check_in", "sessionId": "\#(sessionID)", "checkIn": {"nationalId": "\#(people.person(index).nationalID?.number ?? "")"}}"#
            }
            let checked = try await client.json(
                .POST,
                "/api/v1/site/batch",
                body: Data(#"{"records": [\#(checkIns.joined(separator: ", "))]}"#.utf8)
            )
            let appointments = ((checked["results"] as? [[String: Any]]) ?? [])
                .filter { $0["status"] as? String == "applied" }.compactMap { $0["appointmentId"] as? String }
            let screenings = appointments.map { appointment in
                #"{"id": "\#(UUIDv7.make().uuidString.lowercased())", "type": "screening", "appointmentId": "\#(appointment)", "screening": {"checklistVersion": "3588/QĐ-BYT:2021-07-26", "answers": {\#(answers)}, "consent": true}}"#
            }
            let screened = try await client.json(
                .POST,
                "/api/v1/site/batch",
                body: Data(#"{"records": [\#(screenings.joined(separator: ", "))]}"#.utf8)
            )
            ready += ((screened["results"] as? [[String: Any]]) ?? [])
                .filter { $0["status"] as? String == "applied" }.compactMap { $0["appointmentId"] as? String }
        }
        say(
            "\(label): checked in and screened \(ready.count) people through the batch endpoint in "
                + "\(String(format: "%.1f", (ContinuousClock.now - setupStart).seconds)) s"
        )

        try await settle()

        // The timed part: one dose every 1/rate s, each its own request, whatever the previous ones do.
        let interval = 1.0 / Double(rate)
        let start = ContinuousClock.now
        let body = Data(
            #"{"lotNumber": "BENCH-LOT", "lotExpiry": "\#(today.adding(days: 365))", "doseNumber": 1, "kind": "primary"}"#
                .utf8
        )
        let latencies = try await withThrowingTaskGroup(of: (Double, UInt?, String?).self) { group in
            for (index, appointment) in ready.prefix(doses).enumerated() {
                try await Task.sleep(until: start + .seconds(Double(index) * interval), clock: .continuous)
                group.addTask {
                    let sent = ContinuousClock.now
                    let result = await client.status(.POST, "/api/v1/appointments/\(appointment)/dose", body: body)
                    let elapsed = (ContinuousClock.now - sent).milliseconds
                    switch result {
                    case .success(let code): return (elapsed, code, nil)
                    case .failure(let error): return (elapsed, nil, String(describing: error))
                    }
                }
            }
            var all: [(Double, UInt?, String?)] = []
            for try await value in group { all.append(value) }
            return all
        }
        let elapsed = (ContinuousClock.now - start).seconds
        let times = latencies.map(\.0).sorted()
        let ok = latencies.filter { $0.1 == 201 }.count
        if let error = latencies.compactMap(\.2).first {
            say("\(label): \(latencies.filter { $0.2 != nil }.count) requests failed, e.g. \(error)")
        }
        let statuses = Dictionary(grouping: latencies.compactMap(\.1), by: { $0 }).mapValues(\.count)
        if statuses.keys.contains(where: { $0 != 201 }) { say("\(label): statuses \(statuses)") }
        func percentile(_ p: Double) -> Double {
            times.isEmpty ? 0 : times[min(times.count - 1, Int((p / 100 * Double(times.count)).rounded(.up)) - 1)]
        }
        say(
            "\(label): recorded \(ok)/\(latencies.count) doses in \(String(format: "%.1f", elapsed)) s "
                + "(\(String(format: "%.0f", Double(ok) / elapsed))/s): p50 \(String(format: "%.2f", percentile(50))) ms, "
                + "p99 \(String(format: "%.2f", percentile(99))) ms, max \(String(format: "%.2f", times.last ?? 0)) ms (target p99 < 50)"
        )
    }
}

/// A small HTTP client for the benchmark (AsyncHTTPClient: a pool of keep-alive connections).
struct BenchClient: Sendable {
    let base: String
    let token: String
    let http = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(
            connectionPool: .init(idleTimeout: .seconds(120), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        )
    )

    func request(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    func json(
        _ method: HTTPMethod,
        _ path: String,
        body: Data? = nil,
        contentType: String = "application/json",
        timeout: Int64 = 120
    ) async throws -> [String: Any] {
        let response = try await http.execute(
            request(method, path, body: body, contentType: contentType),
            timeout: .seconds(timeout)
        )
        let data = Data(buffer: try await response.body.collect(upTo: 256 << 20))
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status.code) else {
            throw ValidationError("\(method) \(path): \(String(decoding: data.prefix(500), as: UTF8.self))")
        }
        return object
    }

    /// The status of one request, or the error that stopped it.
    func status(_ method: HTTPMethod, _ path: String, body: Data) async -> Result<UInt, any Error> {
        do {
            let response = try await http.execute(
                request(method, path, body: body, contentType: "application/json"),
                timeout: .seconds(60)
            )
            _ = try await response.body.collect(upTo: 1 << 20)
            return .success(response.status.code)
        } catch {
            return .failure(error)
        }
    }

    func waitUntilReady() async throws {
        for _ in 0..<300 {
            if let response = try? await http.execute(
                request(.GET, "/readyz", body: nil, contentType: ""),
                timeout: .seconds(2)
            ),
                response.status.code == 200
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("the server did not become ready")
    }

    func shutdown() async {
        try? await http.shutdown()
    }
}

/// Prints a line at once (standard output to a file is block-buffered, and a long benchmark should
/// show its figures as they come).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Runs the server while `body` talks to it, then stops it as SIGTERM would: a graceful shutdown, the
/// HTTP server first and the database last. (Cancelling it stopped every service at once, the database
/// pool with the background services that use it, and one such run of `bench campaign` never ended.)
func whileServing<T: Sendable>(_ app: some Service, _ body: () async throws -> T) async throws -> T {
    let services = ServiceGroup(
        configuration: .init(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "vaxtrace.bench"))
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        let result: T
        do {
            result = try await body()
        } catch {
            await services.triggerGracefulShutdown()
            try? await group.waitForAll()
            throw error
        }
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        return result
    }
}
