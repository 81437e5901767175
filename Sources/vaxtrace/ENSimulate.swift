import ArgumentParser
import Configuration
import Crypto
import ExposureNotification
import ExposureNotificationArchive
import Foundation
import Logging
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import VaxDomain
import VaxServer
import VaxStorage

/// `vaxtrace en simulate`: virtual phones living in households and visiting venues, exchanging rolling
/// identifiers through a distance/attenuation model; some become cases and upload through the real HTTP
/// API of a server in this process; the others download the signed exports, match and compute their risk.
/// It reports how many true contacts were warned, how many warnings were false, and the time from a
/// case's confirmation to the warning — how a province chooses its risk parameters before launch.
struct ENSimulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract:
            "Simulate phones, households and venues over days; report warned true contacts, false warnings and time to warning."
    )

    @Option(help: "Virtual phones.") var phones = 300
    @Option(help: "Venues (shops, offices, eateries).") var venues = 10
    @Option(help: "Days simulated (at most 13).") var days = 10
    @Option(help: "Phones that become confirmed cases.") var cases = 8
    @Option(help: "Risk calculation parameters, JSON (CWA shape); the built-in Corona-Warn-App values by default.")
    var parameters: String?
    @Option(help: "Hours between two downloads of the exports by a phone.") var pollHours = 4.0
    @Option(help: "Real keys below which an export file is padded.") var padding = 100
    @Option(help: "Random seed, for a run that can be repeated.") var seed: UInt64 = 1

    func run() async throws {
        guard phones >= 2, venues >= 1, (2...13).contains(days), (1..<phones).contains(cases), pollHours > 0 else {
            throw ValidationError("need --phones ≥ 2, --venues ≥ 1, --days 2…13, --cases 1…phones−1, --poll-hours > 0")
        }
        var risk = RiskCalculationParameters.coronaWarnApp
        if let parameters {
            risk = try JSONDecoder().decode(
                RiskCalculationParameters.self,
                from: try readFile(parameters, what: "parameters")
            )
        }
        var built = World(seed: seed, phones: phones, venues: venues, days: days, cases: cases)
        built.live()
        let world = built
        let riskParameters = risk
        say(
            "world: \(phones) phones in \(world.households) households, \(venues) venues, \(days) days; "
                + "\(world.sightingCount) sightings; \(cases) cases; \(world.trueContacts.count) phones were true contacts "
                + "(≥ 15 min within 2 m of a case while infectious)"
        )

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "vaxtrace-en-sim-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let clock = SimulatedClock(world.start)
        let port = 20_000 + Int(getpid() % 20_000)
        let tracerToken = "sim-tracer-" + UUID().uuidString
        let values: [AbsoluteConfigKey: ConfigValue] = [
            "database.url": .init(.string("sqlite://\(folder.path)/sim.sqlite"), isSecret: true),
            "http.hostname": "127.0.0.1",
            "http.port": .init(.int(port), isSecret: false),
            "person.id.key": .init(.string(NationalIDVault.generateBase64Key()), isSecret: true),
            "auth.dev.tokens": .init(.string("\(tracerToken):tracer:unit/19"), isSecret: true),
            "units.provinces": "19",
            "demo.seed": false,
            "log.level": "error",
            "rate.caller.per.minute": 10_000_000,
            "rate.public.per.minute": 10_000_000,
            "en.export.dir": .init(.string(folder.appendingPathComponent("exports").path), isSecret: false),
            "en.export.min.keys": .init(.int(padding), isSecret: false),
        ]
        let configuration = try AppConfiguration(
            reader: ConfigReader(provider: InMemoryProvider(name: "simulate", values: values))
        )
        let app = try await buildApplication(configuration: configuration, clock: clock.wallClock)
        try await whileServing(app) {
            let client = BenchClient(base: "http://127.0.0.1:\(port)", token: tracerToken)
            do {
                try await client.waitUntilReady()
                try await VaxDatabase.withDatabase(configuration.database, logger: Logger(label: "vaxtrace.simulate")) {
                    database in
                    let keyServer = KeyServer(
                        database: database,
                        vault: try configuration.nationalIDVault(),
                        settings: configuration.keyServer,
                        clock: clock.wallClock
                    )
                    try await keyServer.rotateSigningKey()
                    try await simulate(world, client: client, keyServer: keyServer, clock: clock, risk: riskParameters)
                }
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
        }
    }

    func simulate(
        _ world: World,
        client: BenchClient,
        keyServer: KeyServer,
        clock: SimulatedClock,
        risk: RiskCalculationParameters
    ) async throws {
        // Each case, at its confirmation: a tracer's code, then the app's three calls.
        for patient in world.patients.sorted(by: { $0.confirmedAt < $1.confirmedAt }) {
            clock.set(patient.confirmedAt)
            let onset = ISO8601DateFormatter.string(from: patient.onset, timeZone: .gmt, formatOptions: [.withFullDate])
            let code = try await client.json(
                .POST,
                "/api/v1/en/codes",
                body: Self.body(["testType": "confirmed", "symptomDate": onset])
            )
            let token = try await client.json(
                .POST,
                "/api/v1/en/verify",
                body: Self.body(["code": code["code"] as? String ?? ""])
            )
            let keys = world.uploadKeys(of: patient)
            let secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
            let certificate = try await client.json(
                .POST,
                "/api/v1/en/certificate",
                body: Self.body([
                    "token": token["token"] as? String ?? "", "ekeyhmac": TEKMAC.compute(keys, secret: secret),
                ])
            )
            let published = try await client.json(
                .POST,
                "/api/v1/en/publish",
                body: Self.body([
                    "temporaryExposureKeys": keys.map {
                        [
                            "key": Data($0.keyData).base64EncodedString(),
                            "rollingStartNumber": Int($0.rollingStartIntervalNumber),
                            "rollingPeriod": Int($0.rollingPeriod), "transmissionRisk": 0,
                        ] as [String: Any]
                    },
                    "hmacKey": Data(secret).base64EncodedString(),
                    "verificationPayload": certificate["certificate"] as? String ?? "",
                ])
            )
            guard published["insertedExposures"] as? Int == keys.count else {
                throw ValidationError("publish: \(published)")
            }
        }
        // The export service's passes, then every phone's download and matching at the end.
        let end = world.start.addingTimeInterval(Double(world.days) * 86_400 + 3 * 3600)
        clock.set(end)
        let files = try await keyServer.exportDue()
        let keysJSON = try await client.json(.GET, "/api/v1/en/export-keys")
        let pem = ((keysJSON["items"] as? [[String: Any]])?.first?["publicKey"] as? String) ?? ""
        let publicKey = try P256.Signing.PublicKey(pemRepresentation: pem)
        let index = String(
            decoding: try await client.bytes("/en/exports/\(keyServer.settings.region)/index.txt"),
            as: UTF8.self
        )
        var downloaded: [TemporaryExposureKey] = []
        var seen = Set<[UInt8]>()
        var paddingKeys = 0
        // As an app does: every daily file, and the hourly files after the newest daily one.
        let names = index.split(separator: "\n").map(String.init)
        let dailyEnds = names.filter { $0.contains("/daily/") }.compactMap(Self.fileEnd)
        let newestDaily = dailyEnds.max() ?? 0
        let wanted = names.filter { $0.contains("/daily/") || (Self.fileStart($0) ?? 0) >= newestDaily }
        for name in wanted {
            let export = try ExportArchive.read(try await client.bytes("/en/exports/\(name)"))
            guard export.verify(with: publicKey, keyID: keyServer.settings.signingKeyID) == .valid else {
                throw ValidationError("\(name) does not verify with the published key")
            }
            for key in try export.export().keys where seen.insert(key.keyData).inserted { downloaded.append(key) }
        }
        paddingKeys = files.map(\.paddingCount).reduce(0, +)
        say(
            "server: \(world.patients.count) uploads; \(files.count) export files (\(paddingKeys) padding keys); "
                + "a phone downloads \(wanted.count) files, \(downloaded.count) distinct keys"
        )

        // Each phone matches and computes its risk.
        let calculation = RiskCalculation(parameters: risk)
        let builder = ExposureWindowBuilder()
        var warned = Set<Int>()
        let matchStart = ContinuousClock.now
        for phone in 0..<world.phoneCount where !world.isPatient(phone) {
            let index = SightingIndex(world.sightings[phone])
            let matches = index.matches(for: downloaded)
            guard !matches.isEmpty else { continue }
            let result = try calculation.calculate(
                builder.windows(from: matches, today: Int64(end.timeIntervalSince1970))
            )
            if result.totalRiskLevel == RiskCalculationParameters.highRisk { warned.insert(phone) }
        }
        let matchSeconds = (ContinuousClock.now - matchStart).seconds
        let contacts = world.trueContacts
        let caught = warned.intersection(contacts)
        let falseWarnings = warned.subtracting(contacts)
        // Time to warning: the key's file appears at the end of the hourly batch it became exportable in
        // (plus 5 minutes of settling and up to 5 to the export service's next pass); the phone sees it at its
        // next download.
        var delays: [Double] = []
        for phone in caught {
            let patient = world.patients.first { world.contactOf(phone, patient: $0) }!
            let exportable = max(
                patient.confirmedAt,
                world.lastUploadedDayEnd(of: patient).addingTimeInterval(2 * 3600)
            )
            let fileTime = (exportable.timeIntervalSince1970 / 3600).rounded(.down) * 3600 + 3600 + 600
            let phase = world.pollPhase(phone) * pollHours * 3600
            let polls = ((fileTime - phase) / (pollHours * 3600)).rounded(.up)
            delays.append((phase + polls * pollHours * 3600 - patient.confirmedAt.timeIntervalSince1970) / 60)
        }
        delays.sort()
        func percent(_ part: Int, _ whole: Int) -> String {
            whole == 0 ? "–" : String(format: "%.0f %%", 100 * Double(part) / Double(whole))
        }
        say("matching: \(world.phoneCount - world.patients.count) phones in \(String(format: "%.1f", matchSeconds)) s")
        say(
            "result: \(caught.count) of \(contacts.count) true contacts warned (\(percent(caught.count, contacts.count))); "
                + "\(falseWarnings.count) false warnings (\(percent(falseWarnings.count, warned.count)) of \(warned.count) warnings)"
        )
        if !delays.isEmpty {
            say(
                String(
                    format:
                        "time from confirmation to warning: median %.0f min, 95th percentile %.0f min, longest %.0f min (downloads every %.1f h)",
                    delays[delays.count / 2],
                    delays[min(delays.count - 1, Int(Double(delays.count) * 0.95))],
                    delays.last!,
                    pollHours
                )
            )
        }
    }

    /// START and END of a file name `REGION/PERIOD/START-END-BATCH.zip`.
    static func fileStart(_ name: String) -> Int? {
        name.split(separator: "/").last?.split(separator: "-").first.flatMap { Int($0) }
    }
    static func fileEnd(_ name: String) -> Int? {
        let parts = name.split(separator: "/").last?.split(separator: "-") ?? []
        return parts.count == 3 ? Int(parts[1]) : nil
    }

    static func body(_ object: [String: Any]) -> Data { try! JSONSerialization.data(withJSONObject: object) }
}

/// A clock the simulation sets.
final class SimulatedClock: Sendable {
    private let now: Mutex<Date>
    init(_ start: Date) { now = Mutex(start) }
    func set(_ date: Date) { now.withLock { $0 = date } }
    var wallClock: WallClock { WallClock { self.now.withLock { $0 } } }
}

/// The simulated population: households, venue visits, scans and the ground truth.
struct World {
    struct Patient {
        var phone: Int
        var onset: Date
        var confirmedAt: Date
    }

    var rng: SplitMix
    let phoneCount: Int
    let venueCount: Int
    let days: Int
    let caseCount: Int
    /// Midnight UTC, `days` days before today.
    let start: Date
    var households = 0
    var household: [Int] = []
    /// One key per phone per day.
    var keys: [[TemporaryExposureKey]] = []
    var rpis: [[[RollingProximityIdentifier]]] = []
    var sightings: [[Sighting]] = []
    var patients: [Patient] = []
    /// Seconds within 2 m, per (phone, other phone, day).
    var closeSeconds: [Int: [Int: [Int: Int]]] = [:]
    var trueContacts = Set<Int>()
    var contactPairs = Set<[Int]>()

    init(seed: UInt64, phones: Int, venues: Int, days: Int, cases: Int) {
        rng = SplitMix(state: seed)
        phoneCount = phones
        venueCount = venues
        self.days = days
        caseCount = cases
        let today = (Date().timeIntervalSince1970 / 86_400).rounded(.down) * 86_400
        start = Date(timeIntervalSince1970: today - Double(days) * 86_400)
    }

    var sightingCount: Int { sightings.map(\.count).reduce(0, +) }

    func isPatient(_ phone: Int) -> Bool { patients.contains { $0.phone == phone } }

    /// Attenuation in dB at `meters`: log-distance path loss with body and pocket noise.
    mutating func attenuation(_ meters: Double) -> Int {
        let noise = (rng.unit() + rng.unit() + rng.unit() - 1.5) * 8
        return max(20, Int((50 + 25 * log10(max(meters, 0.3)) + noise).rounded()))
    }

    mutating func live() {
        // Households of 1 to 5.
        household = Array(repeating: 0, count: phoneCount)
        var phone = 0
        while phone < phoneCount {
            let size = 1 + Int(rng.next() % 5)
            for member in phone..<min(phoneCount, phone + size) { household[member] = households }
            phone += size
            households += 1
        }
        let startInterval = ExposureNotification.intervalNumber(start)
        keys = (0..<phoneCount).map { _ in
            (0..<days).map { day in
                TemporaryExposureKey(
                    keyData: (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                    rollingStartIntervalNumber: startInterval + Int32(day) * 144
                )
            }
        }
        rpis = keys.map { $0.map { $0.rollingProximityIdentifiers() } }
        sightings = Array(repeating: [], count: phoneCount)
        // Cases: onset on day 2 or later, confirmed the next day at 10:00; infectious from onset − 2 days.
        var chosen = Set<Int>()
        while chosen.count < caseCount { chosen.insert(Int(rng.next() % UInt64(phoneCount))) }
        for phone in chosen.sorted() {
            let onsetDay = 2 + Int(rng.next() % UInt64(max(1, days - 3)))
            patients.append(
                Patient(
                    phone: phone,
                    onset: start.addingTimeInterval(Double(onsetDay) * 86_400),
                    confirmedAt: start.addingTimeInterval(Double(onsetDay + 1) * 86_400 + 10 * 3600)
                )
            )
        }
        for day in 0..<days {
            // Evenings and nights at home: 20:00 to 07:00, 1 to 4 m apart.
            var members: [Int: [Int]] = [:]
            for phone in 0..<phoneCount { members[household[phone], default: []].append(phone) }
            for (_, group) in members.sorted(by: { $0.key < $1.key }) where group.count > 1 {
                var distance: [[Double]] = Array(repeating: Array(repeating: 0, count: group.count), count: group.count)
                for a in 0..<group.count {
                    for b in (a + 1)..<group.count {
                        distance[a][b] = 1 + rng.unit() * 3
                        distance[b][a] = distance[a][b]
                    }
                }
                scan(group, distances: distance, day: day, from: 20 * 3600, to: 31 * 3600)
            }
            // Visits: each phone 0 to 2 a day, 20 to 90 minutes, between 08:00 and 19:00, at a spot in a 15 × 15 m room.
            var visits: [(phone: Int, venue: Int, from: Int, to: Int, x: Double, y: Double)] = []
            for phone in 0..<phoneCount {
                for _ in 0..<Int(rng.next() % 3) {
                    let from = (8 * 12 + Int(rng.next() % (11 * 12))) * 300
                    visits.append(
                        (
                            phone, Int(rng.next() % UInt64(venueCount)), from, from + (4 + Int(rng.next() % 15)) * 300,
                            rng.unit() * 15, rng.unit() * 15
                        )
                    )
                }
            }
            for venue in 0..<venueCount {
                let here = visits.filter { $0.venue == venue }
                for a in 0..<here.count {
                    for b in (a + 1)..<here.count where here[a].phone != here[b].phone {
                        let from = max(here[a].from, here[b].from)
                        let to = min(here[a].to, here[b].to)
                        guard from < to else { continue }
                        let meters =
                            ((here[a].x - here[b].x) * (here[a].x - here[b].x) + (here[a].y - here[b].y)
                                * (here[a].y - here[b].y))
                            .squareRoot()
                        scan(
                            [here[a].phone, here[b].phone],
                            distances: [[0, meters], [meters, 0]],
                            day: day,
                            from: from,
                            to: to
                        )
                    }
                }
            }
        }
        // Ground truth: 15 minutes or more within 2 m of a case on a day it was infectious.
        for patient in patients {
            for (other, byDay) in closeSeconds[patient.phone] ?? [:] where !isPatient(other) {
                for (day, seconds) in byDay where seconds >= 15 * 60 && infectious(patient, day: day) {
                    trueContacts.insert(other)
                    contactPairs.insert([other, patient.phone])
                }
            }
        }
    }

    /// Every 5 minutes from `from` to `to` (seconds after the day's midnight), each phone of `group` hears
    /// the others' identifiers of that moment.
    mutating func scan(_ group: [Int], distances: [[Double]], day: Int, from: Int, to: Int) {
        for second in stride(from: from, to: to, by: 300) {
            let moment = Int64(start.timeIntervalSince1970) + Int64(day) * 86_400 + Int64(second)
            let keyDay = day + second / 86_400
            guard keyDay < days else { continue }
            let interval =
                Int(
                    ExposureNotification.intervalNumber(unixSeconds: moment)
                        - ExposureNotification.intervalNumber(start)
                ) - keyDay * 144
            for a in 0..<group.count {
                for b in 0..<group.count where a != b {
                    let heard = rpis[group[b]][keyDay][interval]
                    sightings[group[a]].append(
                        Sighting(rpi: heard, unixSeconds: moment, attenuation: attenuation(distances[a][b]))
                    )
                    if distances[a][b] <= 2 {
                        closeSeconds[group[b], default: [:]][group[a], default: [:]][keyDay, default: 0] += 300
                    }
                }
            }
        }
    }

    func infectious(_ patient: Patient, day: Int) -> Bool {
        let date = start.addingTimeInterval(Double(day) * 86_400)
        return date >= patient.onset.addingTimeInterval(-2 * 86_400) && date < patient.confirmedAt
    }

    /// The keys a case uploads: the whole days of its infectious window before confirmation.
    func uploadKeys(of patient: Patient) -> [TemporaryExposureKey] {
        (0..<days).filter { day in
            infectious(patient, day: day) && start.addingTimeInterval(Double(day + 1) * 86_400) <= patient.confirmedAt
        }.map { keys[patient.phone][$0] }
    }

    func lastUploadedDayEnd(of patient: Patient) -> Date {
        let last =
            uploadKeys(of: patient).map(\.rollingStartIntervalNumber).max()
            ?? ExposureNotification.intervalNumber(start)
        return Date(timeIntervalSince1970: Double(last + 144) * 600)
    }

    func contactOf(_ phone: Int, patient: Patient) -> Bool { contactPairs.contains([phone, patient.phone]) }

    /// Where in the download cycle a phone is, 0..<1, fixed per phone.
    func pollPhase(_ phone: Int) -> Double {
        var mixer = SplitMix(state: UInt64(phone) &* 0x9E37_79B9_7F4A_7C15)
        return mixer.unit()
    }
}

/// SplitMix64: a small, fast generator, so a seed repeats a run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension BenchClient {
    /// The body of a GET, for export files.
    func bytes(_ path: String) async throws -> Data {
        let response = try await http.execute(request(.GET, path, body: nil, contentType: ""), timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        guard response.status.code == 200 else { throw ValidationError("GET \(path): \(response.status.code)") }
        return data
    }
}
