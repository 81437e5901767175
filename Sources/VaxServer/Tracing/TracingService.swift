import Foundation
import Logging
import Synchronization
import VaxDomain
import VaxStorage
import VenueCheckIn

/// The last signed risky venue list and until when it stands (shared by copies of the service).
final class SignedListCache: Sendable {
    let state = Mutex<(text: String, until: Date)?>(nil)
}

/// Confirmed cases and their contacts: the F0's check-ins in the infectious window, everyone whose
/// stay overlapped one of them widened by the margin (F1 candidates, ranked by overlap), warned by SMS
/// and in the health book before the answer; F1s found in turn give F2 candidates.
public struct TracingService: Sendable {
    let store: TracingStore
    let venues: VenueService
    let people: any PersonRepository
    let settings: TracingSettings
    let clock: WallClock
    let ids: IdentifierGenerator
    let logger: Logger
    /// The last signed risky venue list and until when it stands.
    let riskyList = SignedListCache()

    public init(
        store: TracingStore,
        venues: VenueService,
        people: any PersonRepository,
        settings: TracingSettings,
        clock: WallClock,
        ids: IdentifierGenerator = .uuidV7,
        logger: Logger = Logger(label: "vaxtrace.tracing")
    ) {
        self.store = store
        self.venues = venues
        self.people = people
        self.settings = settings
        self.clock = clock
        self.ids = ids
        self.logger = logger
    }

    /// Who the case is.
    public struct Subject: Sendable {
        public var personID: Person.ID?
        public var phone: String?
        public var name: String?
        public var unitCode: String?

        public init(personID: Person.ID?, phone: String?, name: String?, unitCode: String?) {
            self.personID = personID
            self.phone = phone
            self.name = name
            self.unitCode = unitCode
        }
    }

    /// A case with its contacts, and how long the warnings took to be queued.
    public struct Report: Sendable {
        public var tracingCase: TracingCase
        public var contacts: [TracingContact]
        public var venueNames: [UUID: String]
        public var warningsQueuedMilliseconds: Double
    }

    /// Records a confirmed case (F0) and warns its F1 candidates.
    public func recordCase(
        _ subject: Subject,
        onset: LocalDate?,
        testDate: LocalDate?,
        by actor: Actor
    ) async throws -> Report {
        let started = ContinuousClock.now
        let now = clock.now()
        guard let day = onset ?? testDate else {
            throw AppError.invalidField(
                "onsetDate",
                "Give the symptom onset date, or the test date for a case without symptoms."
            )
        }
        guard day <= LocalDate(at: now), day >= LocalDate(at: now).adding(days: -settings.retentionDays) else {
            throw AppError.invalidField(
                onset != nil ? "onsetDate" : "testDate",
                "The date is in the future or older than the \(settings.retentionDays) days check-ins are kept."
            )
        }
        let who = try await resolve(subject, by: actor)
        let window = InfectiousWindow.window(
            onsetDay: Self.start(of: day),
            leadDays: settings.leadDays,
            recordedAt: now
        )
        let tracingCase = TracingCase(
            id: ids.next(at: now),
            level: "F0",
            personID: who.personID,
            phone: who.phone,
            name: who.name,
            unitCode: who.unitCode,
            windowStart: window.start,
            windowEnd: window.end,
            quarantineUntil: nil,
            sourceContactID: nil,
            recordedBy: actor.principal.subject,
            recordedAt: now,
            warningsQueuedMicros: 0
        )
        return try await trace(tracingCase, started: started, by: actor)
    }

    /// Marks a candidate F1 with quarantine dates; they become a case in turn, and their contacts
    /// during [contact start, now] are F2 candidates.
    public func markF1(
        case caseID: UUID,
        contact contactID: UUID,
        quarantineUntil: LocalDate,
        by actor: Actor
    )
        async throws -> Report
    {
        let started = ContinuousClock.now
        let now = clock.now()
        guard let source = try await store.tracingCase(id: caseID),
            let contact = try await store.contact(id: contactID), contact.caseID == caseID
        else { throw AppError(.notFound, code: "not_found", message: "No such case or contact.") }
        try await authorize(unit: source.unitCode, by: actor)
        guard contact.status == .candidate else {
            throw AppError(
                .conflict,
                code: "state_conflict",
                message: "The contact is already \(contact.status.rawValue)."
            )
        }
        guard quarantineUntil >= LocalDate(at: now) else {
            throw AppError.invalidField("quarantineUntil", "Quarantine ends today or later.")
        }
        var unit = source.unitCode
        if let person = contact.personID, let record = try await people.find(person) {
            unit = record.address.communeCode
        }
        let f1 = TracingCase(
            id: ids.next(at: now),
            level: "F1",
            personID: contact.personID,
            phone: contact.phone,
            name: contact.name,
            unitCode: unit,
            windowStart: contact.contactStart,
            windowEnd: now,
            quarantineUntil: Self.start(of: quarantineUntil.adding(days: 1)).addingTimeInterval(-1),
            sourceContactID: contact.id,
            recordedBy: actor.principal.subject,
            recordedAt: now,
            warningsQueuedMicros: 0
        )
        // The case they caught it from is not their contact.
        return try await trace(f1, started: started, by: actor, excluding: [source])
    }

    /// A case and its contacts (audited: each person found is a tracer's read).
    public func report(case id: UUID, by actor: Actor) async throws -> Report {
        guard let found = try await store.tracingCase(id: id) else {
            throw AppError(.notFound, code: "not_found", message: "No case \(id.lower).")
        }
        try await authorize(unit: found.unitCode, by: actor)
        let contacts = try await store.contacts(case: id, limit: 5000)
        let now = clock.now()
        let entries =
            [entry("tracing.case.read", about: found.personID, by: actor, at: now)]
            + contacts.compactMap(\.personID).map { entry("tracing.contact.read", about: $0, by: actor, at: now) }
        try await venues.audit.record(entries)
        return Report(
            tracingCase: found,
            contacts: contacts,
            venueNames: try await names(of: contacts),
            warningsQueuedMilliseconds: Double(found.warningsQueuedMicros) / 1000
        )
    }

    /// The citizen's exposure warnings (the health book).
    public func warnings(of principal: Principal) async throws -> [(TracingContact, String?)] {
        var person: Person.ID?
        if case .person(let id) = principal.scope { person = id }
        let since = clock.now().addingTimeInterval(-Double(settings.retentionDays) * 86_400)
        let found = try await store.warnings(person: person, phone: principal.phone, since: since, limit: 100)
        let names = try await names(of: found)
        return found.map { ($0, names[$0.venueID]) }
    }

    /// The caller's own check-ins of the retention period, newest first, with the venues' names.
    public func checkIns(of principal: Principal) async throws -> [(CheckIn, String?)] {
        var person: Person.ID?
        if case .person(let id) = principal.scope { person = id }
        let now = clock.now()
        let since = now.addingTimeInterval(-Double(settings.retentionDays) * 86_400)
        let found = try await store.checkIns(person: person, phone: principal.phone, from: since, to: now)
            .sorted { $0.arrivedAt > $1.arrivedAt }.prefix(200)
        var names: [UUID: String] = [:]
        for id in Set(found.map(\.venueID)) { names[id] = try await store.venue(id: id)?.name }
        return found.map { ($0, names[$0.venueID]) }
    }

    /// The signed list of risky venue windows: each F0's stays in their window, widened by the
    /// margin, as venue id hashes and intervals. Every phone fetches it, so it is made at most once a
    /// minute (and again at once after a case is recorded here).
    public func riskyVenues() async throws -> String {
        let now = clock.now()
        if let cached = riskyList.state.withLock({ $0 }), cached.until > now { return cached.text }
        let text = try await makeRiskyVenues(now: now)
        riskyList.state.withLock { $0 = (text, now.addingTimeInterval(60)) }
        return text
    }

    private func makeRiskyVenues(now: Date) async throws -> String {
        let since = now.addingTimeInterval(-Double(settings.retentionDays) * 86_400)
        var windows: [RiskyVenueList.Window] = []
        let margin = Double(settings.marginMinutes) * 60
        for found in try await store.confirmedCases(since: since, limit: 10_000) {
            let stays = try await store.checkIns(
                person: found.personID,
                phone: found.phone,
                from: found.windowStart,
                to: found.windowEnd
            )
            for stay in stays {
                let risky = Stay(start: stay.arrivedAt, end: stay.stayUntil).widened(by: margin)
                windows.append(
                    .init(
                        venue: RiskyVenueList.hash(venueID: stay.venueID.lower),
                        start: Int64(risky.start.timeIntervalSince1970.rounded(.down)),
                        end: Int64(risky.end.timeIntervalSince1970.rounded(.up))
                    )
                )
            }
        }
        windows.sort { ($0.start, $0.venue) < ($1.start, $1.venue) }
        let signer = try await venues.signer()
        return try RiskyVenueList(generatedAt: Int64(now.timeIntervalSince1970), windows: windows)
            .signed(kid: signer.kid, key: signer.key)
    }

    // MARK: Internals

    func trace(
        _ tracingCase: TracingCase,
        started: ContinuousClock.Instant,
        by actor: Actor,
        excluding known: [TracingCase] = []
    ) async throws -> Report {
        var tracingCase = tracingCase
        let now = tracingCase.recordedAt
        let margin = Double(settings.marginMinutes) * 60
        let own = try await store.checkIns(
            person: tracingCase.personID,
            phone: tracingCase.phone,
            from: tracingCase.windowStart,
            to: tracingCase.windowEnd
        )
        // The best overlap per contact check-in (a visitor may overlap two of the case's stays).
        var best: [UUID: TracingContact] = [:]
        let widenedStays = own.map { Stay(start: $0.arrivedAt, end: $0.stayUntil).widened(by: margin) }
        var atVenue: [UUID: [CheckIn]] = [:]
        for other in try await store.checkIns(
            touching: zip(own, widenedStays).map { ($0.venueID, $1.start, $1.end) }
        ) {
            atVenue[other.venueID, default: []].append(other)
        }
        for (stay, widened) in zip(own, widenedStays) {
            for other in atVenue[stay.venueID] ?? [] {
                if other.id == stay.id || Self.isSame(other, as: tracingCase) { continue }
                if known.contains(where: { Self.isSame(other, as: $0) }) { continue }
                guard let shared = widened.overlap(with: Stay(start: other.arrivedAt, end: other.stayUntil)) else {
                    continue
                }
                let seconds = Int64(shared.duration.rounded())
                if let known = best[other.id], known.overlapSeconds >= seconds { continue }
                best[other.id] = TracingContact(
                    id: ids.next(at: now),
                    caseID: tracingCase.id,
                    checkInID: other.id,
                    caseCheckInID: stay.id,
                    venueID: stay.venueID,
                    personID: other.personID,
                    phone: other.phone,
                    name: other.name,
                    contactStart: shared.start,
                    contactEnd: shared.end,
                    overlapSeconds: seconds,
                    status: .candidate,
                    createdAt: now
                )
            }
        }
        let contacts = best.values.sorted {
            ($0.overlapSeconds, $1.contactStart, $1.id.lower) > ($1.overlapSeconds, $0.contactStart, $0.id.lower)
        }
        let names = try await names(of: contacts)
        var messages: [OutboxMessage] = []
        var events: [OutboxEvent] = []
        var warned = Set<String>()
        for contact in contacts {
            let venue = names[contact.venueID] ?? "a venue"
            let time = Self.vietnamTime(contact.contactStart)
            if let phone = contact.phone, warned.insert(phone).inserted {
                messages.append(
                    OutboxMessage(
                        id: ids.next(at: now),
                        channel: "sms",
                        recipient: phone,
                        purpose: "exposure_warning",
                        body: "Vaxtrace: Ban da o cung dia diem \(Self.ascii(venue)) luc \(time) voi mot ca benh."
                            + " Hay theo doi suc khoe va lien he tram y te. / You were at \(Self.ascii(venue))"
                            + " at \(time) with a confirmed case; watch for symptoms and call your health station.",
                        createdAt: now
                    )
                )
            }
            events.append(
                OutboxEvent(
                    id: ids.next(at: now),
                    kind: "exposure.warning",
                    subjectID: contact.personID?.description ?? contact.id.lower,
                    payload: #"{"contactId":"\#(contact.id.lower)","caseLevel":"\#(tracingCase.level)"}"#,
                    createdAt: now
                )
            )
        }
        let audit =
            [
                entry(
                    tracingCase.level == "F0" ? "tracing.case.record" : "tracing.f1.record",
                    about: tracingCase.personID,
                    by: actor,
                    at: now
                )
            ]
            + contacts.compactMap(\.personID).map { entry("tracing.contact.find", about: $0, by: actor, at: now) }
        try await store.insert(tracingCase, contacts: contacts, messages: messages, events: events, audit: audit)
        riskyList.state.withLock { $0 = nil }
        let elapsed = ContinuousClock.now - started
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        tracingCase.warningsQueuedMicros = micros
        try await store.setWarningsQueued(case: tracingCase.id, micros: micros)
        logger.info(
            "case traced",
            metadata: [
                "case": .string(tracingCase.id.lower), "level": .string(tracingCase.level),
                "venues": .stringConvertible(own.count), "contacts": .stringConvertible(contacts.count),
                "warnings_queued_ms": .stringConvertible(Double(micros) / 1000),
            ]
        )
        return Report(
            tracingCase: tracingCase,
            contacts: contacts,
            venueNames: names,
            warningsQueuedMilliseconds: Double(micros) / 1000
        )
    }

    struct Resolved {
        var personID: Person.ID?
        var phone: String?
        var name: String
        var unitCode: String
    }

    func resolve(_ subject: Subject, by actor: Actor) async throws -> Resolved {
        if let id = subject.personID {
            guard let person = try await people.find(id) else { throw RegistryError.personNotFound(id) }
            guard actor.principal.reaches(person.address) else {
                throw AppError(.forbidden, code: "out_of_scope", message: "This person lives outside your scope.")
            }
            return Resolved(
                personID: person.id,
                phone: try subject.phone.map { try VenueService.phone($0, field: "phone") } ?? person.phone,
                name: person.fullName,
                unitCode: person.address.communeCode
            )
        }
        guard let raw = subject.phone else {
            throw AppError.invalidField(
                "personId",
                "Name the case by person id, or by phone for someone not in the registry."
            )
        }
        let phone = try VenueService.phone(raw, field: "phone")
        guard let unit = subject.unitCode, unit.count == 5, unit.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw AppError.invalidField("unitCode", "Give the 5-digit commune code of a case not in the registry.")
        }
        try await authorize(unit: unit, by: actor)
        return Resolved(
            personID: nil,
            phone: phone,
            name: try VenueService.text(subject.name ?? "", field: "name", max: 100),
            unitCode: unit
        )
    }

    /// A tracer works on cases of communes inside their scope.
    func authorize(unit: String, by actor: Actor) async throws {
        let principal = actor.principal
        if principal.scope == .all { return }
        for scheme in [UnitScheme.tier2of2025, .tier3of2021] {
            guard let found = try await venues.units.unit(scheme: scheme, code: unit), found.level == .commune else {
                continue
            }
            let address = Person.Address(
                scheme: scheme,
                provinceCode: found.provinceCode,
                districtCode: scheme == .tier3of2021 ? found.parentCode : nil,
                communeCode: unit,
                street: nil
            )
            if principal.reaches(address) { return }
        }
        throw AppError(.forbidden, code: "out_of_scope", message: "This case is outside your scope.")
    }

    static func isSame(_ checkIn: CheckIn, as c: TracingCase) -> Bool {
        (c.personID != nil && checkIn.personID == c.personID) || (c.phone != nil && checkIn.phone == c.phone)
    }

    func names(of contacts: [TracingContact]) async throws -> [UUID: String] {
        var names: [UUID: String] = [:]
        for id in Set(contacts.map(\.venueID)) { names[id] = try await store.venue(id: id)?.name }
        return names
    }

    func entry(_ action: String, about person: Person.ID?, by actor: Actor, at date: Date) -> AuditEntry {
        actor.auditEntry(action, about: person, at: date, id: ids.next(at: date))
    }

    /// The first instant of a day in Vietnam (UTC+7).
    static func start(of day: LocalDate) -> Date {
        Date(timeIntervalSince1970: Double(day.daysSinceEpoch * 86_400 - 7 * 3600))
    }

    static func vietnamTime(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970) + 7 * 3600
        let minutes = (seconds / 60) % 60
        let hours = (seconds / 3600) % 24
        return String(format: "%02d:%02d ", hours, minutes) + LocalDate(at: date).description
    }

    /// SMS text without diacritics (one GSM segment holds more).
    static func ascii(_ text: String) -> String {
        TextFolding.fold(text)
    }
}
