import Foundation
import VaxDomain

/// A place in the registration queue: one open registration per person.
public struct Registration: Sendable, Equatable {
    /// Its id (UUIDv7).
    public var id: UUID
    /// Who is to be vaccinated.
    public var personID: Person.ID
    /// The priority group that orders the queue.
    public var priorityGroup: Int
    /// `citizen`, `organisation`, `staff` or `walk_in`.
    public var source: String
    /// The uploading organisation, for lists.
    public var organisation: String?
    /// The upload it came from.
    public var importID: UUID?
    /// The date the person would like.
    public var preferredDate: LocalDate?
    /// The person's address scheme and commune, for choosing by catchment.
    public var unitScheme: String
    /// The commune code.
    public var communeCode: String
    /// `waiting`, `invited` or `closed`.
    public var status: String
    /// When it joined the queue.
    public var registeredAt: Date

    /// A registration.
    public init(
        id: UUID,
        personID: Person.ID,
        priorityGroup: Int,
        source: String,
        organisation: String?,
        importID: UUID?,
        preferredDate: LocalDate?,
        unitScheme: String,
        communeCode: String,
        status: String,
        registeredAt: Date
    ) {
        self.id = id
        self.personID = personID
        self.priorityGroup = priorityGroup
        self.source = source
        self.organisation = organisation
        self.importID = importID
        self.preferredDate = preferredDate
        self.unitScheme = unitScheme
        self.communeCode = communeCode
        self.status = status
        self.registeredAt = registeredAt
    }
}

/// A facility with what the campaign needs: its kind and the units it serves.
public struct CampaignFacility: Sendable, Equatable {
    /// The KCB code.
    public var id: String
    /// The name.
    public var name: String
    /// The unit it belongs to.
    public var unitCode: String
    /// `fixed`, `mobile` or `hospital` (able to treat anaphylaxis).
    public var kind: String
    /// The units whose residents it invites, as (scheme, code).
    public var catchment: [CatchmentUnit]

    /// A facility.
    public init(id: String, name: String, unitCode: String, kind: String, catchment: [CatchmentUnit]) {
        self.id = id
        self.name = name
        self.unitCode = unitCode
        self.kind = kind
        self.catchment = catchment
    }
}

/// One unit of a facility's catchment.
public struct CatchmentUnit: Sendable, Hashable {
    /// The scheme (`2025` or `2021`).
    public var scheme: String
    /// The unit code (province, district or commune).
    public var code: String

    /// A catchment unit.
    public init(scheme: String, code: String) {
        self.scheme = scheme
        self.code = code
    }
}

/// A planned vaccination session at a facility.
public struct VaccinationSession: Sendable, Equatable {
    /// One time slot.
    public struct Slot: Sendable, Equatable {
        /// Its position in the day.
        public var index: Int
        /// `HH:MM`.
        public var startsAt: String
        /// `HH:MM`.
        public var endsAt: String
        /// How many people it takes.
        public var capacity: Int
        /// How many are booked.
        public var booked: Int

        /// A slot.
        public init(index: Int, startsAt: String, endsAt: String, capacity: Int, booked: Int) {
            self.index = index
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.capacity = capacity
            self.booked = booked
        }
    }

    /// Its id.
    public var id: UUID
    /// The facility.
    public var facilityID: String
    /// The day.
    public var date: LocalDate
    /// The vaccine product code.
    public var productCode: String
    /// The dose kinds given.
    public var doseKinds: [DoseKind]
    /// The slots.
    public var slots: [Slot]
    /// Who planned it.
    public var createdBy: String
    /// When.
    public var createdAt: Date

    /// A session.
    public init(
        id: UUID,
        facilityID: String,
        date: LocalDate,
        productCode: String,
        doseKinds: [DoseKind],
        slots: [Slot],
        createdBy: String,
        createdAt: Date
    ) {
        self.id = id
        self.facilityID = facilityID
        self.date = date
        self.productCode = productCode
        self.doseKinds = doseKinds
        self.slots = slots
        self.createdBy = createdBy
        self.createdAt = createdAt
    }
}

/// A person's appointment at a session, moving through `AppointmentState`.
public struct Appointment: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// The session.
    public var sessionID: UUID
    /// The slot, `nil` for a walk-in.
    public var slotIndex: Int?
    /// The person.
    public var personID: Person.ID
    /// The registration it came from.
    public var registrationID: UUID?
    /// The kind of dose planned.
    public var doseKind: DoseKind
    /// The state.
    public var state: AppointmentState
    /// The 8-character code in the invitation SMS.
    public var checkInCode: String
    /// Registered on the spot.
    public var walkIn: Bool
    /// When it was made.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date

    /// An appointment.
    public init(
        id: UUID,
        sessionID: UUID,
        slotIndex: Int?,
        personID: Person.ID,
        registrationID: UUID?,
        doseKind: DoseKind,
        state: AppointmentState,
        checkInCode: String,
        walkIn: Bool,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.sessionID = sessionID
        self.slotIndex = slotIndex
        self.personID = personID
        self.registrationID = registrationID
        self.doseKind = doseKind
        self.state = state
        self.checkInCode = checkInCode
        self.walkIn = walkIn
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A state change of an appointment, kept as history.
public struct AppointmentTransition: Sendable, Equatable {
    /// The event id (the client's id for offline records).
    public var id: UUID
    /// The action.
    public var action: AppointmentAction
    /// The state expected before.
    public var from: AppointmentState
    /// The state after.
    public var to: AppointmentState
    /// Who.
    public var actor: String
    /// Why, when a reason was given.
    public var reason: String?
    /// When.
    public var at: Date

    /// A transition.
    public init(
        id: UUID,
        action: AppointmentAction,
        from: AppointmentState,
        to: AppointmentState,
        actor: String,
        reason: String?,
        at: Date
    ) {
        self.id = id
        self.action = action
        self.from = from
        self.to = to
        self.actor = actor
        self.reason = reason
        self.at = at
    }
}

/// A screening at the site, with the checklist version it used.
public struct Screening: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// The appointment.
    public var appointmentID: UUID
    /// The person.
    public var personID: Person.ID
    /// The checklist version.
    public var checklistVersion: String
    /// Item code -> yes/no.
    public var answers: [String: Bool]
    /// Vital signs.
    public var vitals: VitalSigns?
    /// What the checklist gave.
    public var computedOutcome: ScreeningOutcome
    /// What was decided (differs only with an override reason).
    public var outcome: ScreeningOutcome
    /// The deciding items.
    public var reasons: [String]
    /// For a deferral, from when.
    public var deferUntil: LocalDate?
    /// Why the screener overrode the computed outcome.
    public var overrideReason: String?
    /// Whether the person consented.
    public var consent: Bool
    /// Who screened.
    public var screenedBy: String
    /// When.
    public var screenedAt: Date

    /// A screening.
    public init(
        id: UUID,
        appointmentID: UUID,
        personID: Person.ID,
        checklistVersion: String,
        answers: [String: Bool],
        vitals: VitalSigns?,
        computedOutcome: ScreeningOutcome,
        outcome: ScreeningOutcome,
        reasons: [String],
        deferUntil: LocalDate?,
        overrideReason: String?,
        consent: Bool,
        screenedBy: String,
        screenedAt: Date
    ) {
        self.id = id
        self.appointmentID = appointmentID
        self.personID = personID
        self.checklistVersion = checklistVersion
        self.answers = answers
        self.vitals = vitals
        self.computedOutcome = computedOutcome
        self.outcome = outcome
        self.reasons = reasons
        self.deferUntil = deferUntil
        self.overrideReason = overrideReason
        self.consent = consent
        self.screenedBy = screenedBy
        self.screenedAt = screenedAt
    }
}

/// A dose given, at a site or back-entered from paper.
public struct DoseRecord: Sendable, Equatable {
    /// Its id (the client's UUIDv7 when recorded offline).
    public var id: UUID
    /// The person.
    public var personID: Person.ID
    /// The appointment, `nil` for a back-entered dose.
    public var appointmentID: UUID?
    /// The product code.
    public var productCode: String
    /// The lot number.
    public var lotNumber: String
    /// The lot's expiry (unknown for some back-entered paper records).
    public var lotExpiry: LocalDate?
    /// The dose number in the person's history.
    public var doseNumber: Int
    /// Primary, additional or booster.
    public var kind: DoseKind
    /// When it was given.
    public var administeredAt: Date
    /// The day it was given (Vietnam).
    public var administeredOn: LocalDate
    /// The facility.
    public var facilityID: String?
    /// Where on the body.
    public var injectionSite: String?
    /// Who gave it.
    public var vaccinator: String?
    /// Back-entered from a paper record.
    public var retrospective: Bool
    /// When the next dose is due.
    public var nextDueOn: LocalDate?
    /// When the 30-minute observation ends.
    public var observationEndsAt: Date?
    /// When the observation was closed.
    public var observedAt: Date?
    /// Immediate reactions seen during observation.
    public var immediateReactions: [String]?
    /// Who recorded it.
    public var recordedBy: String
    /// When.
    public var recordedAt: Date

    /// A dose.
    public init(
        id: UUID,
        personID: Person.ID,
        appointmentID: UUID?,
        productCode: String,
        lotNumber: String,
        lotExpiry: LocalDate?,
        doseNumber: Int,
        kind: DoseKind,
        administeredAt: Date,
        administeredOn: LocalDate,
        facilityID: String?,
        injectionSite: String?,
        vaccinator: String?,
        retrospective: Bool,
        nextDueOn: LocalDate?,
        observationEndsAt: Date?,
        observedAt: Date?,
        immediateReactions: [String]?,
        recordedBy: String,
        recordedAt: Date
    ) {
        self.id = id
        self.personID = personID
        self.appointmentID = appointmentID
        self.productCode = productCode
        self.lotNumber = lotNumber
        self.lotExpiry = lotExpiry
        self.doseNumber = doseNumber
        self.kind = kind
        self.administeredAt = administeredAt
        self.administeredOn = administeredOn
        self.facilityID = facilityID
        self.injectionSite = injectionSite
        self.vaccinator = vaccinator
        self.retrospective = retrospective
        self.nextDueOn = nextDueOn
        self.observationEndsAt = observationEndsAt
        self.observedAt = observedAt
        self.immediateReactions = immediateReactions
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }

    /// The dose as the rules see it.
    public var given: GivenDose {
        GivenDose(productCode: productCode, doseNumber: doseNumber, kind: kind, date: administeredOn)
    }
}

/// An adverse event following immunisation, and the case it opens when serious.
public struct AEFIReport: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// The person.
    public var personID: Person.ID
    /// The suspect dose.
    public var doseID: UUID?
    /// `citizen` or `staff`.
    public var source: String
    /// Where: the person's address (for routing to officials).
    public var address: Person.Address
    /// When the reaction began.
    public var onsetAt: Date
    /// Diagnoses or signs.
    public var events: [String]
    /// recovered, recovering, not_recovered, sequelae, fatal, unknown.
    public var outcome: String
    /// For a fatal outcome, the day of death.
    public var deathOn: LocalDate?
    /// Whether serious.
    public var serious: Bool
    /// Which seriousness criteria: death, life_threatening, disability, hospitalisation, congenital_anomaly.
    public var seriousness: [String]
    /// The other WHO core variables, as JSON text.
    public var details: String
    /// reported, investigation, causality_review, closed.
    public var stage: String
    /// The district's decision.
    public var investigate: Bool?
    /// Its note.
    public var decisionNote: String?
    /// The province's causality classification.
    public var causality: String?
    /// Its note.
    public var causalityNote: String?
    /// Who reported.
    public var reportedBy: String
    /// When the report was received.
    public var receivedAt: Date
    /// When it last changed.
    public var updatedAt: Date

    /// A report.
    public init(
        id: UUID,
        personID: Person.ID,
        doseID: UUID?,
        source: String,
        address: Person.Address,
        onsetAt: Date,
        events: [String],
        outcome: String,
        deathOn: LocalDate?,
        serious: Bool,
        seriousness: [String],
        details: String,
        stage: String,
        investigate: Bool?,
        decisionNote: String?,
        causality: String?,
        causalityNote: String?,
        reportedBy: String,
        receivedAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.personID = personID
        self.doseID = doseID
        self.source = source
        self.address = address
        self.onsetAt = onsetAt
        self.events = events
        self.outcome = outcome
        self.deathOn = deathOn
        self.serious = serious
        self.seriousness = seriousness
        self.details = details
        self.stage = stage
        self.investigate = investigate
        self.decisionNote = decisionNote
        self.causality = causality
        self.causalityNote = causalityNote
        self.reportedBy = reportedBy
        self.receivedAt = receivedAt
        self.updatedAt = updatedAt
    }
}

/// Something officials of a role in a unit must act on.
public struct OfficialNotification: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// The role addressed.
    public var role: String
    /// The unit code addressed.
    public var unitCode: String
    /// What kind (`aefi.reported`, …).
    public var kind: String
    /// The record it is about.
    public var subjectID: String
    /// A sentence.
    public var message: String
    /// When.
    public var createdAt: Date

    /// A notification.
    public init(
        id: UUID,
        role: String,
        unitCode: String,
        kind: String,
        subjectID: String,
        message: String,
        createdAt: Date
    ) {
        self.id = id
        self.role = role
        self.unitCode = unitCode
        self.kind = kind
        self.subjectID = subjectID
        self.message = message
        self.createdAt = createdAt
    }
}

/// A domain event for later consumers (certificates, rollups), written with the change.
public struct OutboxEvent: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// `dose.recorded`, `dose.corrected`, `registration.created`, …
    public var kind: String
    /// The record it is about.
    public var subjectID: String
    /// JSON text.
    public var payload: String
    /// When.
    public var createdAt: Date

    /// An event.
    public init(id: UUID, kind: String, subjectID: String, payload: String, createdAt: Date) {
        self.id = id
        self.kind = kind
        self.subjectID = subjectID
        self.payload = payload
        self.createdAt = createdAt
    }
}

/// A correction's before and after, kept forever.
public struct Correction: Sendable, Equatable {
    /// Its id.
    public var id: UUID
    /// `dose` or `person`.
    public var recordKind: String
    /// The record.
    public var recordID: String
    /// The changed fields' old values (JSON object).
    public var oldValues: String
    /// Their new values (JSON object).
    public var newValues: String
    /// Why.
    public var reason: String
    /// Who.
    public var correctedBy: String
    /// When.
    public var correctedAt: Date

    /// A correction.
    public init(
        id: UUID,
        recordKind: String,
        recordID: String,
        oldValues: String,
        newValues: String,
        reason: String,
        correctedBy: String,
        correctedAt: Date
    ) {
        self.id = id
        self.recordKind = recordKind
        self.recordID = recordID
        self.oldValues = oldValues
        self.newValues = newValues
        self.reason = reason
        self.correctedBy = correctedBy
        self.correctedAt = correctedAt
    }
}
