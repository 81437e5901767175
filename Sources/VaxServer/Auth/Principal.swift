import Foundation
import VaxDomain

/// The roles of ARCHITECTURE.md; each staff and official role is bound to a scope.
public enum Role: String, CaseIterable, Sendable {
    case citizen
    case vaccinator
    case facilityAdmin = "facility_admin"
    case communeOfficial = "commune_official"
    case districtOfficial = "district_official"
    case provinceOfficial = "province_official"
    case venueOwner = "venue_owner"
    case venueStaff = "venue_staff"
    case tracer
    case systemAdmin = "system_admin"
    /// The province's data-protection officer: reads the audit log, nothing else.
    case dataProtectionOfficer = "data_protection_officer"

    /// Staff roles that see the people of their scope.
    public var seesPeopleInScope: Bool { self == .vaccinator || self == .facilityAdmin }
    /// Roles that see people only by breaking the glass (a reasoned, audited look-up).
    public var breaksTheGlass: Bool {
        [.communeOfficial, .districtOfficial, .provinceOfficial, .tracer, .systemAdmin].contains(self)
    }
}

/// What a role is bound to.
public enum Scope: Sendable, Equatable, CustomStringConvertible {
    /// Everything (system administrators).
    case all
    /// An administrative unit and everything under it.
    case unit(String)
    /// A facility.
    case facility(String)
    /// A venue.
    case venue(String)
    /// A person's own record (development tokens for citizens).
    case person(Person.ID)
    /// The records whose phone is the citizen's verified phone, and their dependants (citizen accounts).
    case ownPhone

    /// Parses `*`, `unit/19`, `facility/…`, `venue/…`, `person/<uuid>`.
    public init?(_ text: String) {
        if text == "*" {
            self = .all
            return
        }
        if text == "phone" {
            self = .ownPhone
            return
        }
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else { return nil }
        switch parts[0] {
        case "unit": self = .unit(parts[1])
        case "facility": self = .facility(parts[1])
        case "venue": self = .venue(parts[1])
        case "person":
            guard let id = Person.ID(parts[1]) else { return nil }
            self = .person(id)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .all: "*"
        case .unit(let code): "unit/\(code)"
        case .facility(let id): "facility/\(id)"
        case .venue(let id): "venue/\(id)"
        case .person(let id): "person/\(id)"
        case .ownPhone: "phone"
        }
    }
}

/// How a caller proved who they are.
public enum Credential: Sendable, Equatable {
    /// A development token from configuration.
    case developmentToken
    /// A session, by the digest of its token; `viaCookie` when it came in the cookie (then CSRF applies).
    case session(hash: String, viaCookie: Bool)
    /// An API token, by id.
    case apiToken(UUID)
}

/// Who is calling: established by the authentication middleware, read by the policy.
public struct Principal: Sendable, Equatable {
    /// The account or token subject (never a name or a phone number).
    public var subject: String
    /// The role.
    public var role: Role
    /// The scope of the role.
    public var scope: Scope
    /// The units the scope covers, resolved from the scope (`nil`: none, or everything for `*`).
    public var area: ScopeArea?
    /// A citizen's verified phone.
    public var phone: String?
    /// How the caller signed in.
    public var credential: Credential
    /// The account behind a session or API token.
    public var accountID: UUID?

    /// A principal.
    public init(
        subject: String,
        role: Role,
        scope: Scope,
        area: ScopeArea? = nil,
        phone: String? = nil,
        credential: Credential = .developmentToken,
        accountID: UUID? = nil
    ) {
        self.subject = subject
        self.role = role
        self.scope = scope
        self.area = area
        self.phone = phone
        self.credential = credential
        self.accountID = accountID
    }

    /// Whether an address is inside the caller's scope.
    public func reaches(_ address: Person.Address) -> Bool {
        if scope == .all { return true }
        return area?.contains(address) ?? false
    }
}
