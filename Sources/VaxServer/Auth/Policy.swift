import VaxDomain

/// The one place that decides who may do what. Handlers ask it; they never re-implement checks.
public enum Policy {
    static let staffWithPeople: Set<Role> = [.vaccinator, .facilityAdmin, .systemAdmin]
    static let officials: Set<Role> = [.communeOfficial, .districtOfficial, .provinceOfficial]
    static let signedIn = Set(Role.allCases)
    static let stockKeepers: Set<Role> = [.facilityAdmin, .districtOfficial, .provinceOfficial, .systemAdmin]

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
        "requestOTP": nil,
        "verifyOTP": nil,
        "signIn": nil,
        "enrolTOTP": nil,
        "verifyTOTP": nil,
        "getSession": signedIn,
        "signOut": signedIn,
        "signOutEverywhere": signedIn,
        "createAPIToken": [.facilityAdmin, .systemAdmin],
        "listAPITokens": [.facilityAdmin, .systemAdmin],
        "revokeAPIToken": [.facilityAdmin, .systemAdmin],
        "createPerson": staffWithPeople,
        "searchPeople": staffWithPeople,
        "getPerson": staffWithPeople.union([.citizen]),
        "listDependants": staffWithPeople.union([.citizen]),
        "createDependant": staffWithPeople.union([.citizen]),
        "mergePeople": [.facilityAdmin, .systemAdmin],
        "listDuplicateReviews": [.facilityAdmin, .systemAdmin],
        "breakGlass": officials.union([.tracer, .systemAdmin]),
        "listAuditEntries": [.dataProtectionOfficer],
        "verifyAuditChain": [.dataProtectionOfficer, .systemAdmin],
        "listVaccines": nil,
        "listScreeningChecklists": nil,
        "registerForVaccination": staffWithPeople.union([.citizen]),
        "importRegistrations": officials.union([.facilityAdmin, .systemAdmin]),
        "saveFacility": [.districtOfficial, .provinceOfficial, .systemAdmin],
        "planSession": [.facilityAdmin, .districtOfficial, .systemAdmin],
        "getVaccinationSession": [.vaccinator, .facilityAdmin, .districtOfficial, .systemAdmin],
        "listSessions": [.vaccinator, .facilityAdmin, .districtOfficial, .systemAdmin],
        "inviteToSession": [.facilityAdmin, .districtOfficial, .systemAdmin],
        "listSessionAppointments": staffWithPeople,
        "checkIn": staffWithPeople,
        "listMyAppointments": [.citizen],
        "listMyPeople": [.citizen],
        "actOnAppointment": staffWithPeople.union([.citizen]),
        "screenAppointment": staffWithPeople,
        "recordDose": staffWithPeople,
        "recordObservation": staffWithPeople,
        "syncSiteBatch": staffWithPeople,
        "getVaccinationRecord": staffWithPeople.union([.citizen]),
        "getPersonalCode": staffWithPeople.union([.citizen]),
        "correctPerson": staffWithPeople,
        "listDoseCorrections": staffWithPeople.union([.citizen]),
        "correctDose": staffWithPeople,
        "reportAdverseEvent": staffWithPeople.union([.citizen]),
        "getAdverseEvent": staffWithPeople.union(officials).union([.citizen]),
        "decideAdverseEventInvestigation": [.districtOfficial, .provinceOfficial, .systemAdmin],
        "reviewAdverseEventCausality": [.provinceOfficial, .systemAdmin],
        "listNotifications": officials,
        "createStockStore": stockKeepers,
        "getStockOnHand": stockKeepers.union([.vaccinator]),
        "closeStockPeriod": stockKeepers,
        "recordTemperature": stockKeepers.union([.vaccinator]),
        "saveStockLot": stockKeepers,
        "recordStockTransaction": stockKeepers.union([.vaccinator]),
        "sendStockTransfer": stockKeepers,
        "receiveStockTransfer": stockKeepers,
        "listStockAlerts": stockKeepers,
        "getSessionStock": [.vaccinator, .facilityAdmin, .districtOfficial, .systemAdmin],
        "reportSiteTally": [.vaccinator, .facilityAdmin, .systemAdmin],
        "setPopulationTargets": [.provinceOfficial, .systemAdmin],
        "getDashboard": officials.union([.facilityAdmin, .systemAdmin]),
        "exportDosesPL1": [.facilityAdmin, .systemAdmin],
        "getCertificateTrustList": nil,
        "getCertificateRevocations": nil,
        "verifyCertificate": nil,
        "listCertificates": staffWithPeople.union([.citizen]),
        "getCertificateQR": staffWithPeople.union([.citizen]),
        "registerVenue": [.citizen, .systemAdmin],
        "listMyVenues": [.citizen],
        "getVenue": [.citizen, .venueOwner, .venueStaff, .systemAdmin],
        "updateVenue": [.citizen, .venueOwner, .systemAdmin],
        "reissueVenueToken": [.citizen, .venueOwner, .systemAdmin],
        "getVenuePoster": [.citizen, .venueOwner, .venueStaff, .systemAdmin],
        "getVenueKeys": nil,
        "verifyVenueToken": nil,
        "checkInAtVenue": nil,
        "checkOutOfVenue": nil,
        "checkInVisitor": [.citizen, .venueOwner, .venueStaff, .systemAdmin],
        "listVenueVisitors": [.citizen, .venueOwner, .systemAdmin],
        "submitDeclaration": [.citizen],
        "listMyExposureWarnings": [.citizen],
        "listMyCheckIns": [.citizen],
        "recordCase": [.tracer],
        "getCase": [.tracer],
        "markContactF1": [.tracer],
        "getRiskyVenues": nil,
        "issueVerificationCode": [.tracer],
        "verifyExposureCode": nil,
        "getExposureCertificate": nil,
        "publishExposureKeys": nil,
        "getExportSigningKeys": nil,
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

    /// Whether `principal` may see a person's record (`guardian`: the account holder of a dependant).
    /// A citizen sees their own records and their dependants'; vaccinators and facility administrators
    /// see the people living in their scope; a system administrator sees everyone; officials and
    /// tracers only through `authorizeBreakGlass`.
    public static func authorizeRead(of person: Person, guardian: Person?, by principal: Principal) throws(AppError) {
        switch principal.role {
        case .citizen:
            guard ownsRecord(person, guardian: guardian, principal: principal) else {
                throw AppError(.forbidden, code: "not_permitted", message: "A citizen may see only their own records.")
            }
        case .systemAdmin:
            return
        case let role where role.seesPeopleInScope:
            guard principal.reaches(person.address) else { throw outOfScope }
        default:
            throw AppError(
                .forbidden,
                code: "not_permitted",
                message: "The role \(principal.role.rawValue) sees people only through a reasoned look-up."
            )
        }
    }

    /// Whether `principal` may add a dependant under `guardian`.
    public static func authorizeManageDependants(of guardian: Person, by principal: Principal) throws(AppError) {
        if principal.role == .citizen {
            guard guardian.guardianID == nil, ownsRecord(guardian, guardian: nil, principal: principal) else {
                throw AppError(
                    .forbidden,
                    code: "not_permitted",
                    message: "A citizen may manage only their own dependants."
                )
            }
        } else {
            try authorizeRead(of: guardian, guardian: nil, by: principal)
        }
    }

    /// Whether an official, tracer or administrator may look a person up by breaking the glass: the
    /// person must live in their scope and a reason of at least 15 characters must be given.
    public static func authorizeBreakGlass(of person: Person, reason: String, by principal: Principal) throws(AppError)
    {
        guard principal.role.breaksTheGlass else {
            throw AppError(.forbidden, code: "not_permitted", message: "This role may not break the glass.")
        }
        guard principal.reaches(person.address) else { throw outOfScope }
    }

    /// Whether a role's reads of people are audited (every role but a citizen reading their own).
    public static func isAuditedReader(_ principal: Principal) -> Bool {
        principal.role != .citizen
    }

    /// Which roles `principal` may hand an API token to, in which scope.
    public static func authorizeTokenGrant(role: Role, scope: Scope, by principal: Principal) throws(AppError) {
        if let problem = problem(role: role, scope: scope) {
            throw AppError.invalidField("scope", problem)
        }
        switch principal.role {
        case .systemAdmin:
            return
        case .facilityAdmin:
            guard role == .vaccinator || role == .facilityAdmin, scope == principal.scope else {
                throw AppError(
                    .forbidden,
                    code: "not_permitted",
                    message:
                        "A facility administrator may issue vaccinator or facility tokens for their own scope only."
                )
            }
        default:
            throw AppError(.forbidden, code: "not_permitted", message: "This role may not issue tokens.")
        }
    }

    /// What is wrong with binding `role` to `scope`, or `nil` when they fit.
    public static func problem(role: Role, scope: Scope) -> String? {
        switch (role, scope) {
        case (.systemAdmin, .all): return nil
        case (.systemAdmin, _): return "system_admin is bound to the scope *"
        case (.citizen, .ownPhone), (.citizen, .person): return nil
        case (.citizen, _): return "a citizen's scope is their own phone"
        case (.vaccinator, .facility), (.vaccinator, .unit), (.facilityAdmin, .facility), (.facilityAdmin, .unit):
            return nil
        case (.communeOfficial, .unit(let code)) where code.count == 5: return nil
        case (.districtOfficial, .unit(let code)) where code.count == 3: return nil
        case (.provinceOfficial, .unit(let code)) where code.count == 2: return nil
        case (.dataProtectionOfficer, .unit(let code)) where code.count == 2: return nil
        case (.tracer, .unit): return nil
        case (.venueOwner, .venue), (.venueStaff, .venue): return nil
        default:
            return "\(role.rawValue) cannot be bound to \(scope); see docs/access.md for the scope of each role"
        }
    }

    private static var outOfScope: AppError {
        AppError(.forbidden, code: "out_of_scope", message: "This person lives outside your scope.")
    }

    private static func ownsRecord(_ person: Person, guardian: Person?, principal: Principal) -> Bool {
        switch principal.scope {
        case .person(let own):
            return person.id == own || person.guardianID == own
        case .ownPhone:
            guard let phone = principal.phone else { return false }
            if guardian == nil, person.guardianID == nil { return person.phone == phone }
            return guardian?.phone == phone && guardian?.id == person.guardianID
        default:
            return false
        }
    }
}
