import Foundation

/// A person in the registry: the record every other feature hangs off.
public struct Person: Sendable, Hashable, Identifiable {
    /// A person's identifier (UUIDv7), typed so it cannot be mixed up with other identifiers.
    public struct ID: Hashable, Sendable, CustomStringConvertible {
        /// The UUID.
        public let uuid: UUID
        /// Wraps a UUID.
        public init(_ uuid: UUID) { self.uuid = uuid }
        /// The canonical lower-case form.
        public var description: String { uuid.uuidString.lowercased() }
        /// Parses the canonical form; `nil` for anything that is not a UUID.
        public init?(_ text: String) {
            guard let uuid = UUID(uuidString: text) else { return nil }
            self.uuid = uuid
        }
    }

    /// Where a person lives, in the administrative scheme valid when the address was given.
    public struct Address: Sendable, Hashable {
        /// The scheme the codes belong to.
        public var scheme: UnitScheme
        /// Province code (2 digits).
        public var provinceCode: String
        /// District code (3 digits); only in the 2021 scheme.
        public var districtCode: String?
        /// Commune code (5 digits).
        public var communeCode: String
        /// Street, house number, hamlet (thôn, tổ dân phố).
        public var street: String?

        /// An address.
        public init(
            scheme: UnitScheme,
            provinceCode: String,
            districtCode: String?,
            communeCode: String,
            street: String?
        ) {
            self.scheme = scheme
            self.provinceCode = provinceCode
            self.districtCode = districtCode
            self.communeCode = communeCode
            self.street = street
        }
    }

    /// The identifier.
    public var id: ID
    /// Full name as on the ID card, with diacritics.
    public var fullName: String
    /// Date of birth.
    public var dateOfBirth: LocalDate
    /// Sex.
    public var sex: Sex
    /// Mobile number in E.164, if any.
    public var phone: String?
    /// The national ID, if any (dependants may have none).
    public var nationalID: NationalID?
    /// Health-insurance number.
    public var healthInsuranceNumber: String?
    /// Occupation.
    public var occupation: String?
    /// Workplace or school.
    public var workplace: String?
    /// Ethnicity (dân tộc), e.g. "Kinh", "Tày".
    public var ethnicity: String?
    /// Nationality, ISO 3166-1 alpha-2.
    public var nationality: String
    /// Address.
    public var address: Address
    /// Every priority group the person belongs to (Decision 3355/QĐ-BYT codes).
    public var priorityGroups: [Int]
    /// The one group used in reports.
    public var primaryPriorityGroup: Int
    /// The account holder who manages this person (a parent for a child), if any.
    public var guardianID: ID?
    /// How the guardian is related, e.g. `child`.
    public var relationship: Relationship?
    /// The record this one was merged into; merged records are kept for the audit trail only.
    public var mergedInto: ID?
    /// When the record was created.
    public var createdAt: Date

    /// A person.
    public init(
        id: ID,
        fullName: String,
        dateOfBirth: LocalDate,
        sex: Sex,
        phone: String?,
        nationalID: NationalID?,
        healthInsuranceNumber: String?,
        occupation: String?,
        workplace: String?,
        ethnicity: String?,
        nationality: String,
        address: Address,
        priorityGroups: [Int],
        primaryPriorityGroup: Int,
        guardianID: ID?,
        relationship: Relationship?,
        mergedInto: ID?,
        createdAt: Date
    ) {
        self.id = id
        self.fullName = fullName
        self.dateOfBirth = dateOfBirth
        self.sex = sex
        self.phone = phone
        self.nationalID = nationalID
        self.healthInsuranceNumber = healthInsuranceNumber
        self.occupation = occupation
        self.workplace = workplace
        self.ethnicity = ethnicity
        self.nationality = nationality
        self.address = address
        self.priorityGroups = priorityGroups
        self.primaryPriorityGroup = primaryPriorityGroup
        self.guardianID = guardianID
        self.relationship = relationship
        self.mergedInto = mergedInto
        self.createdAt = createdAt
    }

    /// The name folded for search.
    public var foldedName: String { TextFolding.fold(fullName) }
}

/// How a dependant is related to the account holder who manages them.
public enum Relationship: String, CaseIterable, Sendable {
    /// A son or daughter.
    case child
    /// A father or mother.
    case parent
    /// A husband or wife.
    case spouse
    /// A grandparent.
    case grandparent
    /// Anyone else in the household.
    case other
}
