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
    /// A person's own record (citizens).
    case person(Person.ID)

    /// Parses `*`, `unit/19`, `facility/…`, `venue/…`, `person/<uuid>`.
    public init?(_ text: String) {
        if text == "*" {
            self = .all
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
        }
    }
}

/// Who is calling: established by the authentication middleware, read by the policy.
public struct Principal: Sendable, Equatable {
    /// The account or token subject (never a name or a phone number).
    public var subject: String
    /// The role.
    public var role: Role
    /// The scope of the role.
    public var scope: Scope

    /// A principal.
    public init(subject: String, role: Role, scope: Scope) {
        self.subject = subject
        self.role = role
        self.scope = scope
    }
}
