import Crypto
import Foundation
import VaxDomain
import VaxStorage
import VenueCheckIn

/// A health declaration as typed (Decision 2666).
public struct DeclarationInput: Sendable, Codable, Equatable {
    public struct Movement: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
        public var date: String
        public var vehicle: String?
    }

    public struct Entry: Sendable, Codable, Equatable {
        public var gate: String
        public var departureCountry: String
        public var date: String
        public var testResult: String?
        public var quarantineAddress: String?
    }

    public var unitCode: String?
    public var symptoms: [String]
    public var contactWithConfirmedCase: Bool
    public var contactWithSuspectedCase: Bool
    public var outbreakAreasVisited: [String]
    public var domesticMovement: [Movement]?
    public var entry: Entry?

    public init(
        unitCode: String? = nil,
        symptoms: [String] = [],
        contactWithConfirmedCase: Bool = false,
        contactWithSuspectedCase: Bool = false,
        outbreakAreasVisited: [String] = [],
        domesticMovement: [Movement]? = nil,
        entry: Entry? = nil
    ) {
        self.unitCode = unitCode
        self.symptoms = symptoms
        self.contactWithConfirmedCase = contactWithConfirmedCase
        self.contactWithSuspectedCase = contactWithSuspectedCase
        self.outbreakAreasVisited = outbreakAreasVisited
        self.domesticMovement = domesticMovement
        self.entry = entry
    }

    /// Whether the commune's health officials must be told.
    public var isFlagged: Bool { !symptoms.isEmpty || contactWithConfirmedCase }
}

/// Check-in three ways, check-out, the owner's visitor list and health declarations.
public struct CheckInService: Sendable {
    let store: TracingStore
    let venues: VenueService
    let campaign: CampaignService
    let people: any PersonRepository
    let settings: TracingSettings
    let clock: WallClock
    let ids: IdentifierGenerator
    let limiter = RateLimiter()
    let batcher: CheckInBatcher

    public init(
        store: TracingStore,
        venues: VenueService,
        campaign: CampaignService,
        people: any PersonRepository,
        settings: TracingSettings,
        clock: WallClock,
        ids: IdentifierGenerator = .uuidV7
    ) {
        self.store = store
        self.venues = venues
        self.campaign = campaign
        self.people = people
        self.settings = settings
        self.clock = clock
        self.ids = ids
        self.batcher = CheckInBatcher(store: store)
    }

    /// What a check-in answers.
    public struct Receipt: Sendable {
        public var checkIn: CheckIn
        public var venue: Venue
        public var merged: Bool
        /// For a visitor without an account: the code that checks them out.
        public var checkoutCode: String?
        public var declaration: HealthDeclaration?
    }

    /// (a) The visitor scanned the venue QR: a signed-in citizen in one tap, anyone else with a name
    /// and phone (and optionally a declaration).
    public func checkIn(
        token: String,
        principal: Principal?,
        name: String?,
        phone: String?,
        declaration: DeclarationInput?
    ) async throws -> Receipt {
        let venue: Venue
        switch try await venues.verify(token) {
        case .failure(let failure):
            throw AppError(
                failure == VenueService.unknownVenue ? .notFound : .badRequest,
                code: "venue_token_\(failure.code)",
                message: "This is not a genuine venue QR: \(failure.message) / Mã QR địa điểm không hợp lệ."
            )
        case .success(let found):
            venue = found
        }
        var visitor: Visitor
        if let principal, principal.role == .citizen {
            visitor = try await citizen(principal)
        } else {
            guard let name, let phone else {
                throw AppError.invalidField(
                    name == nil ? "name" : "phone",
                    "Give your name and mobile number, or sign in. / Nhập họ tên và số điện thoại, hoặc đăng nhập."
                )
            }
            visitor = Visitor(
                personID: nil,
                phone: try VenueService.phone(phone, field: "phone"),
                name: try VenueService.text(name, field: "name", max: 100),
                unitCode: nil,
                declaredBy: "visitor"
            )
        }
        let code = visitor.personID == nil ? Self.checkoutCode() : nil
        visitor.declaredBy = principal?.subject ?? "visitor"
        return try await record(
            visitor,
            at: venue,
            method: .venueQR,
            checkoutCode: code,
            declaration: declaration
        )
    }

    /// (b) Staff scanned the visitor's personal QR, 1405 QR or CCCD QR, or (c) declared for someone
    /// without a phone by name (and phone when they have one).
    public func checkInVisitor(
        venue id: UUID,
        code: String?,
        name: String?,
        phone: String?,
        declaration: DeclarationInput?,
        by actor: Actor
    ) async throws -> Receipt {
        let venue = try await venues.venue(id, by: actor)
        var visitor: Visitor
        let method: CheckIn.Method
        if let code {
            visitor = try await scanned(code)
            method = .staffScan
            if let phone { visitor.phone = try VenueService.phone(phone, field: "phone") }
        } else if let name {
            visitor = Visitor(
                personID: nil,
                phone: try phone.map { try VenueService.phone($0, field: "phone") },
                name: try VenueService.text(name, field: "name", max: 100),
                unitCode: nil,
                declaredBy: ""
            )
            method = .onBehalf
        } else {
            throw AppError.invalidField("code", "Scan the visitor's QR (code), or give their name to declare for them.")
        }
        visitor.declaredBy = actor.principal.subject
        let receipt = try await record(visitor, at: venue, method: method, checkoutCode: nil, declaration: declaration)
        // Staff found a registered person from their code: a staff read of a person, audited.
        if let person = visitor.personID, !receipt.merged {
            try await venues.audit.record([venues.entry("checkin.scan", by: actor, at: clock.now(), about: person)])
        }
        return receipt
    }

    /// Checks out: the citizen who checked in, or the holder of the check-out code.
    public func checkOut(_ id: UUID, code: String?, principal: Principal?) async throws -> Receipt {
        guard let checkIn = try await store.checkIn(id: id), let venue = try await store.venue(id: checkIn.venueID)
        else {
            throw AppError(.notFound, code: "not_found", message: "No check-in \(id.lower).")
        }
        var allowed = false
        if let code, let hash = checkIn.checkoutHash { allowed = Self.hash(code) == hash }
        if !allowed, let principal, principal.role == .citizen, let mine = try? await citizen(principal) {
            allowed =
                (mine.personID != nil && mine.personID == checkIn.personID)
                || (mine.phone != nil && mine.phone == checkIn.phone)
        }
        guard allowed else {
            throw AppError(
                .forbidden,
                code: "not_permitted",
                message: "Give the check-out code you were handed at check-in."
            )
        }
        let out = try await store.checkOut(checkIn, at: clock.now())
        return Receipt(checkIn: out, venue: venue, merged: false, checkoutCode: nil, declaration: nil)
    }

    /// The owner's visitor list: the last retention period (21 days) only.
    public func visitors(venue id: UUID, limit: Int, by actor: Actor) async throws -> [CheckIn] {
        let venue = try await venues.venue(id, by: actor, owner: true)
        let since = clock.now().addingTimeInterval(-Double(settings.retentionDays) * 86_400)
        return try await store.visitors(venue: venue.id, since: since, limit: limit)
    }

    /// A citizen's own declaration.
    public func declare(_ input: DeclarationInput, by actor: Actor) async throws -> HealthDeclaration {
        let visitor = try await citizen(actor.principal)
        let (declaration, notifications) = try await prepare(input, for: visitor, at: clock.now())
        try await store.insert(declaration, notifications: notifications)
        return declaration
    }

    // MARK: Internals

    struct Visitor {
        var personID: Person.ID?
        var phone: String?
        var name: String
        var unitCode: String?
        var declaredBy: String
    }

    func record(
        _ visitor: Visitor,
        at venue: Venue,
        method: CheckIn.Method,
        checkoutCode: String?,
        declaration input: DeclarationInput?
    ) async throws -> Receipt {
        let key = visitor.personID?.description ?? visitor.phone ?? "venue:\(venue.id.lower)"
        if visitor.personID != nil || visitor.phone != nil,
            let wait = limiter.hit("checkin:\(key)", limit: settings.checkInsPerHour, per: 3600, now: clock.now())
        {
            throw AppError.tooManyRequests("Too many check-ins from this phone; wait \(wait) seconds.", wait)
        }
        let now = clock.now()
        var declaration: HealthDeclaration?
        var notifications: [OfficialNotification] = []
        if let input {
            var declarant = visitor
            if declarant.unitCode == nil { declarant.unitCode = venue.unitCode }
            (declaration, notifications) = try await prepare(input, for: declarant, at: now)
        }
        let checkIn = CheckIn(
            id: ids.next(at: now),
            venueID: venue.id,
            personID: visitor.personID,
            phone: visitor.phone,
            name: visitor.name,
            method: method,
            arrivedAt: now,
            leftAt: nil,
            stayUntil: now.addingTimeInterval(Double(settings.defaultStayMinutes) * 60),
            checkoutHash: checkoutCode.map(Self.hash)
        )
        let mergeSince = now.addingTimeInterval(-Double(settings.mergeMinutes) * 60)
        // A plain check-in goes through group commit; one with a declaration (and its notifications)
        // in its own transaction, merged against the database.
        let recorded =
            if declaration == nil {
                try await batcher.record(
                    checkIn,
                    key: (visitor.personID?.description ?? visitor.phone).map { venue.id.lower + "|" + $0 },
                    mergeSince: mergeSince
                )
            } else {
                try await store.record(
                    checkIn,
                    mergeSince: mergeSince,
                    declaration: declaration,
                    notifications: notifications
                )
            }
        switch recorded {
        case .created(let c):
            return Receipt(
                checkIn: c,
                venue: venue,
                merged: false,
                checkoutCode: checkoutCode,
                declaration: declaration
            )
        case .merged(let c):
            return Receipt(checkIn: c, venue: venue, merged: true, checkoutCode: nil, declaration: nil)
        }
    }

    /// The signed-in citizen as a visitor: their record when they have one, else their phone.
    func citizen(_ principal: Principal) async throws -> Visitor {
        var person: Person?
        if case .person(let id) = principal.scope {
            person = try await people.find(id)
        } else if let phone = principal.phone {
            person = try await people.search(.phone(phone), within: nil, limit: 5, offset: 0)
                .first { $0.guardianID == nil && $0.mergedInto == nil }
        }
        guard person != nil || principal.phone != nil else {
            throw AppError(.forbidden, code: "not_permitted", message: "Sign in with your phone to check in.")
        }
        return Visitor(
            personID: person?.id,
            phone: principal.phone ?? person?.phone,
            name: person?.fullName ?? "—",
            unitCode: person?.address.communeCode,
            declaredBy: principal.subject
        )
    }

    /// The visitor a scanned personal, 1405 or CCCD QR names: a registered person when the registry
    /// knows exactly one, else the name (and phone) the code carries.
    func scanned(_ code: String) async throws -> Visitor {
        let parsed: ScannedCode
        switch ScannedCode.parse(code) {
        case .failure(let error): throw error
        case .success(let value): parsed = value
        }
        if let person = try? await campaign.findPerson(.scanned(code)) {
            return Visitor(
                personID: person.id,
                phone: person.phone,
                name: person.fullName,
                unitCode: person.address.communeCode,
                declaredBy: ""
            )
        }
        switch parsed {
        case .vaxtrace:
            throw AppError(.notFound, code: "person_not_found", message: "This personal QR names nobody we know.")
        case .unified(let qr):
            let phone = qr.extras.lazy.compactMap { try? VenueService.phone($0, field: "code") }.first
            return Visitor(personID: nil, phone: phone, name: qr.name, unitCode: nil, declaredBy: "")
        case .chipCard(let card):
            return Visitor(personID: nil, phone: nil, name: card.fullName, unitCode: nil, declaredBy: "")
        }
    }

    static let symptoms: Set<String> = ["fever", "cough", "breathlessness", "fatigue", "loss_of_taste_or_smell"]

    /// Checks a declaration: the first in the retention period must be full (travel or entry fields,
    /// possibly empty lists); later ones update symptoms and contacts.
    func prepare(
        _ input: DeclarationInput,
        for visitor: Visitor,
        at now: Date
    ) async throws -> (HealthDeclaration, [OfficialNotification]) {
        for (index, symptom) in input.symptoms.enumerated() where !Self.symptoms.contains(symptom) {
            throw AppError.invalidField(
                "symptoms[\(index)]",
                "A symptom is one of \(Self.symptoms.sorted().joined(separator: ", "))."
            )
        }
        for (index, area) in input.outbreakAreasVisited.enumerated() where area.hasControlCharacters || area.count > 100
        {
            throw AppError.invalidField(
                "outbreakAreasVisited[\(index)]",
                "At most 100 characters, no control characters."
            )
        }
        for (index, movement) in (input.domesticMovement ?? []).enumerated() {
            guard let day = LocalDate(iso: movement.date), day <= LocalDate(at: now) else {
                throw AppError.invalidField("domesticMovement[\(index)].date", "A past date in the form yyyy-mm-dd.")
            }
        }
        if let entry = input.entry, LocalDate(iso: entry.date) == nil {
            throw AppError.invalidField("entry.date", "A date in the form yyyy-mm-dd.")
        }
        let since = now.addingTimeInterval(-Double(settings.retentionDays) * 86_400)
        let hadFull = try await store.hasFullDeclaration(person: visitor.personID, phone: visitor.phone, since: since)
        let full = input.domesticMovement != nil || input.entry != nil
        guard hadFull || full else {
            throw AppError.invalidField(
                "domesticMovement",
                "The first declaration is a full one: give your domestic movement (an empty list when none) or your entry."
            )
        }
        guard let unit = input.unitCode ?? visitor.unitCode else {
            throw AppError.invalidField("unitCode", "Give the commune or ward you live in.")
        }
        guard unit.count == 5, unit.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw AppError.invalidField("unitCode", "A commune or ward code has 5 digits.")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let details = try encoder.encode(input)
        let declaration = HealthDeclaration(
            id: ids.next(at: now),
            personID: visitor.personID,
            phone: visitor.phone,
            name: visitor.name,
            unitCode: unit,
            kind: full ? .full : .update,
            symptoms: input.symptoms,
            f0Contact: input.contactWithConfirmedCase,
            flagged: input.isFlagged,
            details: String(decoding: details, as: UTF8.self),
            declaredBy: visitor.declaredBy,
            createdAt: now
        )
        var notifications: [OfficialNotification] = []
        if declaration.flagged {
            let reasons =
                (input.symptoms.isEmpty ? [] : ["symptoms: " + input.symptoms.joined(separator: ", ")])
                + (input.contactWithConfirmedCase ? ["contact with a confirmed case"] : [])
            notifications.append(
                OfficialNotification(
                    id: ids.next(at: now),
                    role: Role.communeOfficial.rawValue,
                    unitCode: unit,
                    kind: "declaration.flagged",
                    subjectID: declaration.id.lower,
                    message: "A health declaration needs follow-up (\(reasons.joined(separator: "; ")))."
                        + " / Tờ khai y tế cần theo dõi.",
                    createdAt: now
                )
            )
        }
        return (declaration, notifications)
    }

    static func checkoutCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next(), generator.next()] as [UInt64]
        return Hex.encode(words.flatMap { word in (0..<8).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) } })
    }

    static func hash(_ code: String) -> String {
        Hex.encode(SHA256.hash(data: Array(code.utf8)))
    }
}
