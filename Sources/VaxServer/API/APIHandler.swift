import Foundation
import OpenAPIRuntime
import VaxAPI
import VaxDomain
import VaxStorage

/// Implements the operations of `openapi.yaml`. Authorization of each operation has already been
/// decided by `PolicyMiddleware`; handlers ask `Policy` for record-level decisions.
///
/// A class: the OpenAPI runtime copies its handler into every request's work, and copying a struct of
/// services retained each of their references (about 5 % of the server's CPU under check-ins).
final class APIHandler: APIProtocol, Sendable {
    let database: VaxDatabase
    let migrations: MigrationRunner
    let units: any AdminUnitRepository
    let registry: PersonRegistry
    let identity: IdentityService
    let audit: any AuditRepository
    let campaign: CampaignService
    let certificates: CertificateService
    let venues: VenueService
    let checkIns: CheckInService
    let tracing: TracingService
    let keyServer: KeyServer
    let logistics: LogisticsService
    let dashboards: DashboardService

    init(
        database: VaxDatabase,
        migrations: MigrationRunner,
        units: any AdminUnitRepository,
        registry: PersonRegistry,
        identity: IdentityService,
        audit: any AuditRepository,
        campaign: CampaignService,
        certificates: CertificateService,
        venues: VenueService,
        checkIns: CheckInService,
        tracing: TracingService,
        keyServer: KeyServer,
        logistics: LogisticsService,
        dashboards: DashboardService
    ) {
        self.database = database
        self.migrations = migrations
        self.units = units
        self.registry = registry
        self.identity = identity
        self.audit = audit
        self.campaign = campaign
        self.certificates = certificates
        self.venues = venues
        self.checkIns = checkIns
        self.tracing = tracing
        self.keyServer = keyServer
        self.logistics = logistics
        self.dashboards = dashboards
    }

    // MARK: Health

    func healthz(_ input: Operations.Healthz.Input) async throws -> Operations.Healthz.Output {
        .ok(.init(body: .json(.init(status: "alive"))))
    }

    func readyz(_ input: Operations.Readyz.Input) async throws -> Operations.Readyz.Output {
        do {
            let pending = try await migrations.pending(on: database)
            guard pending.isEmpty else {
                return .serviceUnavailable(
                    .init(
                        body: .json(
                            .init(
                                status: "migrations pending",
                                database: database.engine.rawValue,
                                pendingMigrations: pending.map(\.name)
                            )
                        )
                    )
                )
            }
            return .ok(.init(body: .json(.init(status: "ready", database: database.engine.rawValue))))
        } catch {
            CallContext.current?.logger.warning("readiness check failed", metadata: ["error": "\(type(of: error))"])
            return .serviceUnavailable(
                .init(body: .json(.init(status: "database unavailable", database: database.engine.rawValue)))
            )
        }
    }

    // MARK: Units

    func listProvinces(_ input: Operations.ListProvinces.Input) async throws -> Operations.ListProvinces.Output {
        let scheme = UnitScheme(api: input.query.scheme ?? ._2025)
        return .ok(
            .init(
                body: .json(.init(items: try await units.provinces(scheme: scheme).map(Components.Schemas.Unit.init)))
            )
        )
    }

    func searchUnits(_ input: Operations.SearchUnits.Input) async throws -> Operations.SearchUnits.Output {
        let query = input.query.q.trimmingCharacters(in: .whitespaces)
        guard !query.hasControlCharacters else {
            throw AppError.invalidField("q", "Control characters are not allowed.")
        }
        guard (1...100).contains(query.count) else {
            throw AppError.invalidField("q", "Give 1 to 100 characters to search for.")
        }
        let found = try await units.search(
            query,
            scheme: input.query.scheme.map(UnitScheme.init(api:)),
            level: input.query.level.flatMap { UnitLevel(rawValue: $0.rawValue) },
            limit: try limit(input.query.limit)
        )
        return .ok(.init(body: .json(.init(items: found.map(Components.Schemas.Unit.init)))))
    }

    func getUnit(_ input: Operations.GetUnit.Input) async throws -> Operations.GetUnit.Output {
        let scheme = UnitScheme(api: input.path.scheme)
        guard let unit = try await units.unit(scheme: scheme, code: try unitCode(input.path.code)) else {
            throw AppError(
                .notFound,
                code: "not_found",
                message: "No unit \(input.path.code) in the \(scheme.rawValue) scheme."
            )
        }
        return .ok(.init(body: .json(.init(unit))))
    }

    func listUnitChildren(_ input: Operations.ListUnitChildren.Input) async throws -> Operations.ListUnitChildren.Output
    {
        let scheme = UnitScheme(api: input.path.scheme)
        let code = try unitCode(input.path.code)
        guard try await units.unit(scheme: scheme, code: code) != nil else {
            throw AppError(.notFound, code: "not_found", message: "No unit \(code) in the \(scheme.rawValue) scheme.")
        }
        let children = try await units.children(scheme: scheme, code: code)
        return .ok(.init(body: .json(.init(items: children.map(Components.Schemas.Unit.init)))))
    }

    func convertCommune(_ input: Operations.ConvertCommune.Input) async throws -> Operations.ConvertCommune.Output {
        let code = input.path.oldCommuneCode
        guard code.count == 5, code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw AppError.invalidField("oldCommuneCode", "A commune code has 5 digits.")
        }
        let rows = try await units.conversions(oldCommuneCode: code)
        guard !rows.isEmpty else {
            throw AppError(.notFound, code: "not_found", message: "The conversion table has no old commune \(code).")
        }
        let partial = rows.count > 1 || rows.contains { $0.kind == .partial }
        return .ok(
            .init(
                body: .json(
                    .init(
                        oldCommuneCode: code,
                        partial: partial,
                        conversions: rows.map { row in
                            .init(
                                oldCommuneName: row.oldCommuneName.isEmpty ? nil : row.oldCommuneName,
                                newCommuneCode: row.newCommuneCode,
                                newCommuneName: row.newCommuneName,
                                newProvinceCode: row.newProvinceCode,
                                kind: .init(rawValue: row.kind.rawValue) ?? .other,
                                note: row.note
                            )
                        }
                    )
                )
            )
        )
    }

    // MARK: People

    func createPerson(_ input: Operations.CreatePerson.Input) async throws -> Operations.CreatePerson.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "registration")
        let (person, duplicates) = try await registry.register(PersonDraft(api: body), guardian: nil, by: actor)
        return .created(.init(body: .json(.init(person, possibleDuplicates: duplicates))))
    }

    func searchPeople(_ input: Operations.SearchPeople.Input) async throws -> Operations.SearchPeople.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let actor = try actor(reason: "registry search", accessReason: input.headers.xAccessReason)
        let query = try PersonQuery(api: body)
        let limit = try limit(body.limit)
        let offset = body.offset ?? 0
        guard offset >= 0, offset <= 100_000 else {
            throw AppError.invalidField("offset", "The offset is 0 to 100000.")
        }
        let found = try await registry.search(query, limit: limit, offset: offset, by: actor)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: found.people.map { Components.Schemas.Person($0) },
                        // Pages end at the offset cap; narrow the search to see further.
                        nextOffset: found.hasMore && offset + limit <= 100_000 ? offset + limit : nil
                    )
                )
            )
        )
    }

    func getPerson(_ input: Operations.GetPerson.Input) async throws -> Operations.GetPerson.Output {
        let actor = try actor(reason: "record view", accessReason: input.headers.xAccessReason)
        let person = try await registry.read(try personID(input.path.personId), by: actor)
        return .ok(.init(body: .json(.init(person))))
    }

    func listDependants(_ input: Operations.ListDependants.Input) async throws -> Operations.ListDependants.Output {
        let actor = try actor(reason: "dependants view", accessReason: input.headers.xAccessReason)
        let found = try await registry.dependants(of: try personID(input.path.personId), by: actor)
        return .ok(.init(body: .json(.init(items: found.map { Components.Schemas.Person($0) }))))
    }

    func createDependant(_ input: Operations.CreateDependant.Input) async throws -> Operations.CreateDependant.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let guardian = try personID(input.path.personId)
        let actor = try actor(reason: "dependant registration")
        let relationship = Relationship(rawValue: body.relationship.rawValue) ?? .other
        let registered: (person: Person, likelyDuplicates: [Person.ID])
        do {
            registered = try await registry.registerDependant(
                PersonDraft(api: body.person),
                guardian: guardian,
                relationship: relationship,
                by: actor
            )
        } catch let failure as ValidationFailure {
            // The dependant's fields sit under `person` in this body.
            throw ValidationFailure(
                failure.errors.map { FieldError(field: "person." + $0.field, code: $0.code, message: $0.message) }
            )
        } catch RegistryError.duplicateNationalID where actor.principal.role == .citizen {
            // A citizen is not told whose record holds the number (staff are, with an audited look-up).
            throw AppError(
                .conflict,
                code: "duplicate",
                message: "This national ID number is already registered; ask the vaccination site to check it.",
                field: "person.nationalId.number"
            )
        }
        let (person, duplicates) = registered
        // Flagged look-alikes are for staff to review; a citizen is not shown other people's ids.
        let shown = actor.principal.role == .citizen ? [] : duplicates
        return .created(.init(body: .json(.init(person, possibleDuplicates: shown))))
    }

    func mergePeople(_ input: Operations.MergePeople.Input) async throws -> Operations.MergePeople.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let survivor = try personID(input.path.personId)
        guard let duplicate = Person.ID(body.duplicateId) else {
            throw AppError.invalidField("duplicateId", "The duplicate id is not a UUID.")
        }
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.hasControlCharacters else {
            throw AppError.invalidField("reason", "Control characters are not allowed.")
        }
        guard (3...500).contains(reason.unicodeScalars.count) else {
            throw AppError.invalidField("reason", "Say why the records are the same person (3 to 500 characters).")
        }
        let person = try await registry.merge(
            duplicate: duplicate,
            into: survivor,
            reason: reason,
            by: try actor(reason: reason)
        )
        return .ok(.init(body: .json(.init(person))))
    }

    func listDuplicateReviews(
        _ input: Operations.ListDuplicateReviews.Input
    ) async throws
        -> Operations.ListDuplicateReviews.Output
    {
        let reviews = try await registry.duplicateReviews(limit: try limit(input.query.limit))
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: reviews.map {
                            .init(
                                id: $0.id.uuidString.lowercased(),
                                personId: $0.personID.description,
                                candidateId: $0.candidateID.description,
                                reason: $0.reason,
                                createdAt: $0.createdAt
                            )
                        }
                    )
                )
            )
        )
    }

    func breakGlass(_ input: Operations.BreakGlass.Input) async throws -> Operations.BreakGlass.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let reason = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.hasControlCharacters, (15...500).contains(reason.unicodeScalars.count) else {
            throw AppError.invalidField(
                "reason",
                "Say why this look-up is necessary, 15 to 500 characters; the data-protection officer reads it."
            )
        }
        guard (body.personId == nil) != (body.nationalId == nil) else {
            throw AppError.invalidField("personId", "Give exactly one of personId and nationalId.")
        }
        let id = try body.personId.map { try personID($0) }
        if let number = body.nationalId, number.isEmpty || number.count > 30 || number.hasControlCharacters {
            throw AppError.invalidField("nationalId", "Give the ID number as printed (up to 30 characters).")
        }
        guard let call = CallContext.current, let principal = call.principal else {
            throw AppError(.unauthorized, code: "unauthenticated", message: "Sign in.")
        }
        let found = try await registry.breakGlass(
            personID: id,
            nationalID: body.nationalId.map { $0.filter { !$0.isWhitespace } },
            by: Actor(principal: principal, requestID: call.requestID, reason: "break the glass: \(reason)")
        )
        return .ok(.init(body: .json(.init(items: found.map { Components.Schemas.Person($0) }))))
    }

    // MARK: - Input helpers

    /// The caller, acting for `reason` (the operation's purpose when no `X-Access-Reason` was given).
    func actor(reason: String, accessReason: String? = nil) throws -> Actor {
        guard let call = CallContext.current, let principal = call.principal else {
            throw AppError(.unauthorized, code: "unauthenticated", message: "Sign in: a bearer token is required.")
        }
        let given = accessReason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard given.count <= 200 else { throw AppError.invalidField("X-Access-Reason", "At most 200 characters.") }
        return Actor(principal: principal, requestID: call.requestID, reason: given.isEmpty ? reason : given)
    }

    func limit(_ value: Int?) throws -> Int {
        let value = value ?? 50
        guard (1...200).contains(value) else { throw AppError.invalidField("limit", "The limit is 1 to 200.") }
        return value
    }

    private func unitCode(_ code: String) throws -> String {
        guard [2, 3, 5].contains(code.count), code.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw AppError.invalidField("code", "A unit code has 2 (province), 3 (district) or 5 (commune) digits.")
        }
        return code
    }

    func personID(_ text: String) throws -> Person.ID {
        guard let id = Person.ID(text) else { throw AppError.invalidField("personId", "The person id is not a UUID.") }
        return id
    }
}

extension AppError {
    static let unsupportedMediaType = AppError(
        .unsupportedMediaType,
        code: "unsupported_media_type",
        message: "Send the body as application/json."
    )
}
