import Foundation
import OpenAPIRuntime
import QRCode
import VaxAPI
import VaxDomain
import VaxStorage
import VenueCheckIn

extension APIHandler {
    // MARK: Venues

    func registerVenue(_ input: Operations.RegisterVenue.Input) async throws -> Operations.RegisterVenue.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let venue = try await venues.register(.init(body), by: try actor(reason: "venue registration"))
        return .created(.init(body: .json(.init(venue, url: venues.checkInURL(venue)))))
    }

    func listMyVenues(_ input: Operations.ListMyVenues.Input) async throws -> Operations.ListMyVenues.Output {
        let found = try await venues.venues(ownedBy: try actor(reason: "own venues"))
        return .ok(.init(body: .json(.init(items: found.map { .init($0, url: venues.checkInURL($0)) }))))
    }

    func getVenue(_ input: Operations.GetVenue.Input) async throws -> Operations.GetVenue.Output {
        let venue = try await venues.venue(
            try uuid(input.path.venueId, field: "venueId"),
            by: try actor(reason: "venue")
        )
        return .ok(.init(body: .json(.init(venue, url: venues.checkInURL(venue)))))
    }

    func updateVenue(_ input: Operations.UpdateVenue.Input) async throws -> Operations.UpdateVenue.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let venue = try await venues.update(
            try uuid(input.path.venueId, field: "venueId"),
            .init(body),
            by: try actor(reason: "venue update")
        )
        return .ok(.init(body: .json(.init(venue, url: venues.checkInURL(venue)))))
    }

    func reissueVenueToken(
        _ input: Operations.ReissueVenueToken.Input
    ) async throws -> Operations.ReissueVenueToken.Output {
        let venue = try await venues.reissueToken(
            try uuid(input.path.venueId, field: "venueId"),
            by: try actor(reason: "venue token")
        )
        return .ok(.init(body: .json(.init(venue, url: venues.checkInURL(venue)))))
    }

    func getVenuePoster(_ input: Operations.GetVenuePoster.Input) async throws -> Operations.GetVenuePoster.Output {
        let venue = try await venues.venue(
            try uuid(input.path.venueId, field: "venueId"),
            by: try actor(reason: "venue poster")
        )
        let url = venues.checkInURL(venue)
        let code = try QRCode(url, errorCorrection: .medium)
        switch input.query.format ?? .html {
        case .html:
            let poster = VenuePoster.html(venue: venue, qr: code, size: input.query.size == .a5 ? .a5 : .a4)
            return .ok(.init(body: .html(HTTPBody(poster))))
        case .svg:
            return .ok(.init(body: .imageSvgXml(HTTPBody(code.svg(side: "150mm")))))
        case .png:
            return .ok(.init(body: .png(HTTPBody(code.png(scale: 8)))))
        }
    }

    func getVenueKeys(_ input: Operations.GetVenueKeys.Input) async throws -> Operations.GetVenueKeys.Output {
        let keys = try await venues.jwks()
        return .ok(
            .init(
                body: .json(
                    .init(
                        keys: keys.map {
                            .init(
                                kty: $0["kty"] ?? "",
                                crv: $0["crv"] ?? "",
                                x: $0["x"] ?? "",
                                y: $0["y"] ?? "",
                                kid: $0["kid"] ?? "",
                                alg: $0["alg"] ?? "",
                                use: $0["use"] ?? ""
                            )
                        }
                    )
                )
            )
        )
    }

    func verifyVenueToken(_ input: Operations.VerifyVenueToken.Input) async throws -> Operations.VerifyVenueToken.Output
    {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let text = body.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.utf8.count <= CompactJWS.maxLength + 200 else {
            throw AppError.invalidField("text", "Give the venue QR's text (its URL or token).")
        }
        switch try await venues.verify(text) {
        case .success(let venue):
            return .ok(
                .init(
                    body: .json(
                        .init(
                            valid: true,
                            venue: .init(
                                id: venue.id.lower,
                                name: venue.name,
                                unitCode: venue.unitCode,
                                kind: venue.kind
                            )
                        )
                    )
                )
            )
        case .failure(let failure):
            let code: Components.Schemas.VenueTokenVerdict.FailurePayload.CodePayload =
                failure == VenueService.unknownVenue
                ? .unknownVenue : .init(rawValue: failure.code) ?? .format
            return .ok(.init(body: .json(.init(valid: false, failure: .init(code: code, message: failure.message)))))
        }
    }

    // MARK: Check-in

    func checkInAtVenue(_ input: Operations.CheckInAtVenue.Input) async throws -> Operations.CheckInAtVenue.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let receipt = try await checkIns.checkIn(
            token: body.token,
            principal: CallContext.current?.principal,
            name: body.name,
            phone: body.phone,
            declaration: body.declaration.map(DeclarationInput.init)
        )
        return .created(.init(body: .json(.init(receipt))))
    }

    func checkOutOfVenue(_ input: Operations.CheckOutOfVenue.Input) async throws -> Operations.CheckOutOfVenue.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let receipt = try await checkIns.checkOut(
            try uuid(input.path.checkInId, field: "checkInId"),
            code: body.checkoutCode,
            principal: CallContext.current?.principal
        )
        return .ok(.init(body: .json(.init(receipt))))
    }

    func checkInVisitor(_ input: Operations.CheckInVisitor.Input) async throws -> Operations.CheckInVisitor.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let receipt = try await checkIns.checkInVisitor(
            venue: try uuid(input.path.venueId, field: "venueId"),
            code: body.code,
            name: body.name,
            phone: body.phone,
            declaration: body.declaration.map(DeclarationInput.init),
            by: try actor(reason: "venue check-in")
        )
        return .created(.init(body: .json(.init(receipt))))
    }

    func listVenueVisitors(
        _ input: Operations.ListVenueVisitors.Input
    ) async throws -> Operations.ListVenueVisitors.Output {
        let found = try await checkIns.visitors(
            venue: try uuid(input.path.venueId, field: "venueId"),
            limit: try limit(input.query.limit),
            by: try actor(reason: "venue visitors")
        )
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: found.map {
                            .init(
                                id: $0.id.lower,
                                name: $0.name,
                                phone: $0.phone.map { "•••••••" + $0.suffix(3) },
                                method: .init(rawValue: $0.method.rawValue) ?? .venueQr,
                                arrivedAt: $0.arrivedAt,
                                leftAt: $0.leftAt,
                                stayUntil: $0.stayUntil
                            )
                        }
                    )
                )
            )
        )
    }

    func submitDeclaration(
        _ input: Operations.SubmitDeclaration.Input
    ) async throws -> Operations.SubmitDeclaration.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let declaration = try await checkIns.declare(.init(body), by: try actor(reason: "health declaration"))
        return .created(.init(body: .json(.init(declaration))))
    }

    func listMyCheckIns(_ input: Operations.ListMyCheckIns.Input) async throws -> Operations.ListMyCheckIns.Output {
        let found = try await tracing.checkIns(of: try actor(reason: "own check-ins").principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: found.map { checkIn, venueName in
                            .init(
                                id: checkIn.id.lower,
                                venueId: checkIn.venueID.lower,
                                venueName: venueName,
                                arrivedAt: checkIn.arrivedAt,
                                leftAt: checkIn.leftAt,
                                stayUntil: checkIn.stayUntil
                            )
                        }
                    )
                )
            )
        )
    }

    func listMyExposureWarnings(
        _ input: Operations.ListMyExposureWarnings.Input
    ) async throws -> Operations.ListMyExposureWarnings.Output {
        let found = try await tracing.warnings(of: try actor(reason: "own warnings").principal)
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: found.map { contact, venueName in
                            .init(
                                venueId: contact.venueID.lower,
                                venueName: venueName,
                                contactStart: contact.contactStart,
                                contactEnd: contact.contactEnd,
                                status: .init(rawValue: contact.status.rawValue) ?? .candidate
                            )
                        }
                    )
                )
            )
        )
    }

    // MARK: Tracing

    func recordCase(_ input: Operations.RecordCase.Input) async throws -> Operations.RecordCase.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let report = try await tracing.recordCase(
            .init(
                personID: try body.personId.map(personID),
                phone: body.phone,
                name: body.name,
                unitCode: body.unitCode
            ),
            onset: try body.onsetDate.map { try date($0, field: "onsetDate") },
            testDate: try body.testDate.map { try date($0, field: "testDate") },
            by: try actor(reason: "contact tracing")
        )
        return .created(.init(body: .json(.init(report))))
    }

    func getCase(_ input: Operations.GetCase.Input) async throws -> Operations.GetCase.Output {
        let report = try await tracing.report(
            case: try uuid(input.path.caseId, field: "caseId"),
            by: try actor(reason: "contact tracing")
        )
        return .ok(.init(body: .json(.init(report))))
    }

    func markContactF1(_ input: Operations.MarkContactF1.Input) async throws -> Operations.MarkContactF1.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let report = try await tracing.markF1(
            case: try uuid(input.path.caseId, field: "caseId"),
            contact: try uuid(input.path.contactId, field: "contactId"),
            quarantineUntil: try date(body.quarantineUntil, field: "quarantineUntil"),
            by: try actor(reason: "contact tracing")
        )
        return .created(.init(body: .json(.init(report))))
    }

    func getRiskyVenues(_ input: Operations.GetRiskyVenues.Input) async throws -> Operations.GetRiskyVenues.Output {
        .ok(.init(body: .applicationJose(HTTPBody(try await tracing.riskyVenues()))))
    }
}

extension VenueService.Input {
    init(_ body: Components.Schemas.VenueInput) {
        self.init(
            name: body.name,
            kind: body.kind.rawValue,
            unitCode: body.unitCode,
            address: body.address,
            ownerName: body.ownerName,
            ownerPhone: body.ownerPhone,
            staffPhones: body.staffPhones ?? []
        )
    }
}

extension DeclarationInput {
    init(_ body: Components.Schemas.DeclarationInput) {
        self.init(
            unitCode: body.unitCode,
            symptoms: (body.symptoms ?? []).map(\.rawValue),
            contactWithConfirmedCase: body.contactWithConfirmedCase ?? false,
            contactWithSuspectedCase: body.contactWithSuspectedCase ?? false,
            outbreakAreasVisited: body.outbreakAreasVisited ?? [],
            domesticMovement: body.domesticMovement?.map {
                .init(from: $0.from, to: $0.to, date: $0.date, vehicle: $0.vehicle)
            },
            entry: body.entry.map {
                .init(
                    gate: $0.gate,
                    departureCountry: $0.departureCountry,
                    date: $0.date,
                    testResult: $0.testResult?.rawValue,
                    quarantineAddress: $0.quarantineAddress
                )
            }
        )
    }
}

extension Components.Schemas.Venue {
    init(_ venue: Venue, url: String) {
        self.init(
            id: venue.id.lower,
            name: venue.name,
            kind: venue.kind,
            unitCode: venue.unitCode,
            address: venue.address,
            ownerName: venue.ownerName,
            ownerPhone: venue.ownerPhone,
            staffPhones: venue.staffPhones,
            token: venue.token,
            checkInUrl: url,
            createdAt: venue.createdAt
        )
    }
}

extension Components.Schemas.DeclarationReceipt {
    init(_ declaration: HealthDeclaration) {
        self.init(
            id: declaration.id.lower,
            kind: declaration.kind == .full ? .full : .update,
            flagged: declaration.flagged
        )
    }
}

extension Components.Schemas.CheckInReceipt {
    init(_ receipt: CheckInService.Receipt) {
        self.init(
            id: receipt.checkIn.id.lower,
            venueId: receipt.venue.id.lower,
            venueName: receipt.venue.name,
            arrivedAt: receipt.checkIn.arrivedAt,
            stayUntil: receipt.checkIn.stayUntil,
            leftAt: receipt.checkIn.leftAt,
            merged: receipt.merged,
            checkoutCode: receipt.checkoutCode,
            declaration: receipt.declaration.map(Components.Schemas.DeclarationReceipt.init)
        )
    }
}

extension Components.Schemas.CaseReport {
    init(_ report: TracingService.Report) {
        let c = report.tracingCase
        self.init(
            _case: .init(
                id: c.id.lower,
                level: c.level == "F1" ? .f1 : .f0,
                personId: c.personID?.description,
                phone: c.phone,
                name: c.name,
                unitCode: c.unitCode,
                windowStart: c.windowStart,
                windowEnd: c.windowEnd,
                quarantineUntil: c.quarantineUntil.map { LocalDate(at: $0).description },
                recordedAt: c.recordedAt
            ),
            contacts: report.contacts.map {
                .init(
                    id: $0.id.lower,
                    venueId: $0.venueID.lower,
                    venueName: report.venueNames[$0.venueID] ?? "",
                    personId: $0.personID?.description,
                    phone: $0.phone,
                    name: $0.name,
                    contactStart: $0.contactStart,
                    contactEnd: $0.contactEnd,
                    overlapMinutes: Double($0.overlapSeconds) / 60,
                    status: .init(rawValue: $0.status.rawValue) ?? .candidate
                )
            },
            warningsQueuedMs: report.warningsQueuedMilliseconds
        )
    }
}
