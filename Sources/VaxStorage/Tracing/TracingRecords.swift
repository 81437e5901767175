import Foundation
import VaxDomain

/// A venue's signing key for poster tokens: the public key in the clear, the private key sealed.
public struct VenueKey: Sendable, Equatable {
    public var kid: String
    /// Base64 of the uncompressed P-256 point (X9.63).
    public var publicKey: String
    public var sealedPrivateKey: String
    public var createdAt: Date
    /// A retired key signs nothing and verifies nothing: no poster still carries it.
    public var retiredAt: Date?

    public init(kid: String, publicKey: String, sealedPrivateKey: String, createdAt: Date, retiredAt: Date? = nil) {
        self.kid = kid
        self.publicKey = publicKey
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
        self.retiredAt = retiredAt
    }
}

/// A registered venue (qr.tokhaiyte.vn's form) with its current poster token.
public struct Venue: Sendable, Equatable {
    public var id: UUID
    public var name: String
    /// restaurant, market, shop, office, school, …
    public var kind: String
    /// The commune (ward) code.
    public var unitCode: String
    public var address: String
    public var ownerName: String
    /// The owner's phone, verified by OTP.
    public var ownerPhone: String
    /// Phones of staff who may scan visitors.
    public var staffPhones: [String]
    /// The signed token printed on the poster.
    public var token: String
    public var tokenKid: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID,
        name: String,
        kind: String,
        unitCode: String,
        address: String,
        ownerName: String,
        ownerPhone: String,
        staffPhones: [String],
        token: String,
        tokenKid: String,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.kind = kind
        self.unitCode = unitCode
        self.address = address
        self.ownerName = ownerName
        self.ownerPhone = ownerPhone
        self.staffPhones = staffPhones
        self.token = token
        self.tokenKid = tokenKid
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One visit to a venue.
public struct CheckIn: Sendable, Equatable {
    /// How the visit was recorded.
    public enum Method: String, Sendable {
        /// The visitor scanned the venue's QR.
        case venueQR = "venue_qr"
        /// Venue staff scanned the visitor's personal, 1405 or CCCD QR.
        case staffScan = "staff_scan"
        /// Staff declared for someone without a phone.
        case onBehalf = "on_behalf"
    }

    public var id: UUID
    public var venueID: UUID
    public var personID: Person.ID?
    public var phone: String?
    public var name: String
    public var method: Method
    public var arrivedAt: Date
    public var leftAt: Date?
    /// The departure, or the arrival plus the default stay when nobody checked out.
    public var stayUntil: Date
    /// SHA-256 (hex) of the check-out code handed to a visitor without an account.
    public var checkoutHash: String?

    public init(
        id: UUID,
        venueID: UUID,
        personID: Person.ID?,
        phone: String?,
        name: String,
        method: Method,
        arrivedAt: Date,
        leftAt: Date?,
        stayUntil: Date,
        checkoutHash: String?
    ) {
        self.id = id
        self.venueID = venueID
        self.personID = personID
        self.phone = phone
        self.name = name
        self.method = method
        self.arrivedAt = arrivedAt
        self.leftAt = leftAt
        self.stayUntil = stayUntil
        self.checkoutHash = checkoutHash
    }

    /// Days since 1970 in Vietnam's time (UTC+7): the partition a check-in lives in.
    public static func day(of date: Date) -> Int {
        Int(((date.timeIntervalSince1970 + 7 * 3600) / 86_400).rounded(.down))
    }
}

/// A health declaration (Decision 2666): symptoms, contacts, and for a full one the travel history.
public struct HealthDeclaration: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case full
        case update
    }

    public var id: UUID
    public var personID: Person.ID?
    public var phone: String?
    public var name: String
    /// The commune whose health officials are told when it is flagged.
    public var unitCode: String
    public var kind: Kind
    /// fever, cough, breathlessness, fatigue (none: empty).
    public var symptoms: [String]
    /// Contact with a confirmed case (F0) in the last 21 days.
    public var f0Contact: Bool
    /// Symptoms or a recent F0 contact.
    public var flagged: Bool
    /// The rest as JSON: suspected contact, outbreak areas, domestic movement, entry.
    public var details: String
    /// Who made it: the citizen's subject, or the staff member declaring for someone.
    public var declaredBy: String
    public var createdAt: Date

    public init(
        id: UUID,
        personID: Person.ID?,
        phone: String?,
        name: String,
        unitCode: String,
        kind: Kind,
        symptoms: [String],
        f0Contact: Bool,
        flagged: Bool,
        details: String,
        declaredBy: String,
        createdAt: Date
    ) {
        self.id = id
        self.personID = personID
        self.phone = phone
        self.name = name
        self.unitCode = unitCode
        self.kind = kind
        self.symptoms = symptoms
        self.f0Contact = f0Contact
        self.flagged = flagged
        self.details = details
        self.declaredBy = declaredBy
        self.createdAt = createdAt
    }
}

/// A confirmed case (F0) or a close contact marked F1, with the window searched for contacts.
public struct TracingCase: Sendable, Equatable {
    public var id: UUID
    /// F0 or F1.
    public var level: String
    public var personID: Person.ID?
    public var phone: String?
    public var name: String
    public var unitCode: String
    public var windowStart: Date
    public var windowEnd: Date
    public var quarantineUntil: Date?
    /// For an F1: the contact it was promoted from.
    public var sourceContactID: UUID?
    public var recordedBy: String
    public var recordedAt: Date
    /// Microseconds from receiving the case to its warnings being queued.
    public var warningsQueuedMicros: Int64

    public init(
        id: UUID,
        level: String,
        personID: Person.ID?,
        phone: String?,
        name: String,
        unitCode: String,
        windowStart: Date,
        windowEnd: Date,
        quarantineUntil: Date?,
        sourceContactID: UUID?,
        recordedBy: String,
        recordedAt: Date,
        warningsQueuedMicros: Int64
    ) {
        self.id = id
        self.level = level
        self.personID = personID
        self.phone = phone
        self.name = name
        self.unitCode = unitCode
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.quarantineUntil = quarantineUntil
        self.sourceContactID = sourceContactID
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
        self.warningsQueuedMicros = warningsQueuedMicros
    }
}

/// Someone whose stay overlapped a case's (widened) stay at the same venue.
public struct TracingContact: Sendable, Equatable {
    public enum Status: String, Sendable {
        case candidate
        case f1
        case cleared
    }

    public var id: UUID
    public var caseID: UUID
    /// The contact's check-in.
    public var checkInID: UUID
    /// The case's check-in they overlapped.
    public var caseCheckInID: UUID
    public var venueID: UUID
    public var personID: Person.ID?
    public var phone: String?
    public var name: String
    public var contactStart: Date
    public var contactEnd: Date
    public var overlapSeconds: Int64
    public var status: Status
    public var createdAt: Date

    public init(
        id: UUID,
        caseID: UUID,
        checkInID: UUID,
        caseCheckInID: UUID,
        venueID: UUID,
        personID: Person.ID?,
        phone: String?,
        name: String,
        contactStart: Date,
        contactEnd: Date,
        overlapSeconds: Int64,
        status: Status,
        createdAt: Date
    ) {
        self.id = id
        self.caseID = caseID
        self.checkInID = checkInID
        self.caseCheckInID = caseCheckInID
        self.venueID = venueID
        self.personID = personID
        self.phone = phone
        self.name = name
        self.contactStart = contactStart
        self.contactEnd = contactEnd
        self.overlapSeconds = overlapSeconds
        self.status = status
        self.createdAt = createdAt
    }
}
