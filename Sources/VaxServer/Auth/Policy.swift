import VaxDomain

/// The one place that decides who may do what. Handlers ask it; they never re-implement checks.
public enum Policy {
    /// Who may call each API operation (by OpenAPI operationId); `nil` means public.
    /// An operation missing here is refused (deny by default); a test checks this table against the
    /// `x-required-roles` of `openapi.yaml`.
    public static let operations: [String: Set<Role>?] = [
        "healthz": nil,
        "readyz": nil,
        "listProvinces": nil,
        "searchUnits": nil,
        "getUnit": nil,
        "listUnitChildren": nil,
        "convertCommune": nil,
        "createPerson": [.vaccinator, .facilityAdmin, .systemAdmin],
        "searchPeople": [.vaccinator, .facilityAdmin, .systemAdmin],
        "getPerson": [.citizen, .vaccinator, .facilityAdmin, .systemAdmin],
        "listDependants": [.citizen, .vaccinator, .facilityAdmin, .systemAdmin],
        "createDependant": [.citizen, .vaccinator, .facilityAdmin, .systemAdmin],
        "mergePeople": [.facilityAdmin, .systemAdmin],
        "listDuplicateReviews": [.facilityAdmin, .systemAdmin],
    ]

    /// Decides whether `principal` may call `operationID`.
    public static func authorize(operationID: String, principal: Principal?) throws(AppError) {
        guard let entry = operations[operationID] else {
            throw AppError(.forbidden, code: "not_permitted", message: "This operation is not open to any role.")
        }
        guard let roles = entry else { return }
        guard let principal else {
            throw AppError(.unauthorized, code: "unauthenticated", message: "Sign in: a bearer token is required.")
        }
        guard roles.contains(principal.role) else {
            throw AppError(
                .forbidden,
                code: "not_permitted",
                message: "The role \(principal.role.rawValue) may not do this."
            )
        }
    }

    /// Whether `principal` may see a person's record. A citizen sees their own record and their
    /// dependants'; staff roles allowed by the operation table see people (scope checks land with #3).
    public static func authorizeRead(of person: Person, by principal: Principal) throws(AppError) {
        if principal.role == .citizen {
            guard case .person(let own) = principal.scope, person.id == own || person.guardianID == own else {
                throw AppError(.forbidden, code: "not_permitted", message: "A citizen may see only their own records.")
            }
        }
    }

    /// Whether `principal` may add a dependant under `guardian`.
    public static func authorizeManageDependants(of guardian: Person.ID, by principal: Principal) throws(AppError) {
        if principal.role == .citizen {
            guard case .person(let own) = principal.scope, own == guardian else {
                throw AppError(
                    .forbidden,
                    code: "not_permitted",
                    message: "A citizen may manage only their own dependants."
                )
            }
        }
    }

    /// Whether a role's reads of other people are audited (every staff and official role).
    public static func isAuditedReader(_ principal: Principal, reading person: Person.ID) -> Bool {
        if case .person(let own) = principal.scope, principal.role == .citizen, own == person { return false }
        return principal.role != .citizen
    }
}
