import Foundation
import OpenAPIRuntime
import VaxAPI
import VaxDomain
import VaxSheets
import VaxStorage

extension APIHandler {
    // MARK: Stock

    func createStockStore(_ input: Operations.CreateStockStore.Input) async throws -> Operations.CreateStockStore.Output
    {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let made = try await logistics.createStore(
            .init(
                id: body.id,
                name: body.name,
                level: body.level.rawValue,
                unitCode: body.unitCode,
                parentID: body.parentId,
                facilityID: body.facilityId,
                minCelsius: body.minCelsius,
                maxCelsius: body.maxCelsius
            ),
            by: try actor(reason: "stock")
        )
        return .created(.init(body: .json(.init(made))))
    }

    func getStockOnHand(_ input: Operations.GetStockOnHand.Input) async throws -> Operations.GetStockOnHand.Output {
        let day = try input.query.date.map { try date($0, field: "date") }
        let (store, lots, transit) = try await logistics.onHand(
            store: input.path.storeId,
            at: day,
            by: try actor(reason: "stock")
        )
        return .ok(
            .init(
                body: .json(
                    .init(
                        store: .init(store),
                        lots: lots.map {
                            .init(
                                productCode: $0.productCode,
                                lotNumber: $0.lotNumber,
                                expiry: $0.expiry.description,
                                dosesPerVial: $0.dosesPerVial,
                                vvmStage: $0.vvmStage,
                                vials: $0.vials,
                                doses: $0.vials * $0.dosesPerVial
                            )
                        },
                        inTransit: transit.map(Components.Schemas.StockTransfer.init)
                    )
                )
            )
        )
    }

    func closeStockPeriod(_ input: Operations.CloseStockPeriod.Input) async throws -> Operations.CloseStockPeriod.Output
    {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let store = try await logistics.closePeriod(
            store: input.path.storeId,
            through: try date(body.through, field: "through"),
            by: try actor(reason: "stock")
        )
        return .ok(.init(body: .json(.init(store))))
    }

    func recordTemperature(
        _ input: Operations.RecordTemperature.Input
    ) async throws -> Operations.RecordTemperature.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let reading = try await logistics.recordTemperature(
            store: input.path.storeId,
            celsius: body.celsius,
            at: body.measuredAt,
            by: try actor(reason: "cold chain")
        )
        return .created(
            .init(
                body: .json(
                    .init(
                        id: reading.id.lower,
                        storeId: reading.storeID,
                        measuredAt: reading.measuredAt,
                        celsius: reading.celsius,
                        excursion: reading.excursion
                    )
                )
            )
        )
    }

    func saveStockLot(_ input: Operations.SaveStockLot.Input) async throws -> Operations.SaveStockLot.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let lot = try await logistics.saveLot(
            StockLot(
                productCode: body.productCode,
                lotNumber: body.lotNumber,
                expiry: try date(body.expiry, field: "expiry"),
                dosesPerVial: body.dosesPerVial,
                vvmStage: body.vvmStage ?? 1
            ),
            by: try actor(reason: "stock")
        )
        return .ok(
            .init(
                body: .json(
                    .init(
                        productCode: lot.productCode,
                        lotNumber: lot.lotNumber,
                        expiry: lot.expiry.description,
                        dosesPerVial: lot.dosesPerVial,
                        vvmStage: lot.vvmStage
                    )
                )
            )
        )
    }

    func recordStockTransaction(
        _ input: Operations.RecordStockTransaction.Input
    ) async throws -> Operations.RecordStockTransaction.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        guard let kind = StockTransaction.Kind(rawValue: body.kind.rawValue) else {
            throw AppError.invalidField("kind", "Unknown kind.")
        }
        let line = try await logistics.record(
            .init(
                storeID: body.storeId,
                kind: kind,
                productCode: body.productCode,
                lotNumber: body.lotNumber,
                vials: body.vials,
                date: try date(body.date, field: "date"),
                reason: body.reason,
                sessionID: try body.sessionId.map { try uuid($0, field: "sessionId") }
            ),
            by: try actor(reason: "stock")
        )
        return .created(.init(body: .json(.init(line))))
    }

    func sendStockTransfer(
        _ input: Operations.SendStockTransfer.Input
    ) async throws -> Operations.SendStockTransfer.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let (transfer, line) = try await logistics.send(
            from: body.fromStoreId,
            to: body.toStoreId,
            productCode: body.productCode,
            lotNumber: body.lotNumber,
            vials: body.vials,
            date: try date(body.date, field: "date"),
            by: try actor(reason: "stock")
        )
        return .created(.init(body: .json(.init(transfer: .init(transfer), transaction: .init(line)))))
    }

    func receiveStockTransfer(
        _ input: Operations.ReceiveStockTransfer.Input
    ) async throws -> Operations.ReceiveStockTransfer.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let line = try await logistics.receive(
            transfer: try uuid(input.path.transferId, field: "transferId"),
            date: try date(body.date, field: "date"),
            by: try actor(reason: "stock")
        )
        return .ok(.init(body: .json(.init(line))))
    }

    func listStockAlerts(_ input: Operations.ListStockAlerts.Input) async throws -> Operations.ListStockAlerts.Output {
        let alerts = try await logistics.alerts(
            unit: input.query.unit,
            expiringWithin: input.query.expiringWithinDays,
            coverBelow: input.query.coverBelowDays,
            by: try actor(reason: "stock alerts")
        )
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: alerts.map {
                            .init(
                                kind: .init(rawValue: $0.kind) ?? .expiring,
                                storeId: $0.storeID,
                                productCode: $0.productCode,
                                lotNumber: $0.lotNumber,
                                message: $0.message
                            )
                        }
                    )
                )
            )
        )
    }

    func getSessionStock(_ input: Operations.GetSessionStock.Input) async throws -> Operations.GetSessionStock.Output {
        let lots = try await logistics.sessionStock(
            try uuid(input.path.sessionId, field: "sessionId"),
            by: try actor(reason: "session stock")
        )
        return .ok(
            .init(
                body: .json(
                    .init(
                        items: lots.map {
                            .init(
                                productCode: $0.productCode,
                                lotNumber: $0.lotNumber,
                                dosesPerVial: $0.dosesPerVial,
                                vialsIssued: $0.vialsIssued,
                                vialsReturned: $0.vialsReturned,
                                dosesGiven: $0.dosesGiven,
                                vialsOpened: $0.vialsOpened,
                                openVialWastage: $0.openVialWastage,
                                unopenedVials: $0.unopenedVials
                            )
                        }
                    )
                )
            )
        )
    }

    // MARK: Dashboards

    func reportSiteTally(_ input: Operations.ReportSiteTally.Input) async throws -> Operations.ReportSiteTally.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        try await dashboards.reportTally(
            facility: body.facilityId,
            day: try date(body.day, field: "day"),
            product: body.productCode,
            doses: body.doses,
            by: try actor(reason: "site tally")
        )
        return .noContent(.init())
    }

    func setPopulationTargets(
        _ input: Operations.SetPopulationTargets.Input
    ) async throws -> Operations.SetPopulationTargets.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        try await dashboards.setTargets(
            body.items.map { ($0.unit, $0.priorityGroup, $0.target) },
            by: try actor(reason: "population targets")
        )
        return .noContent(.init())
    }

    func exportDosesPL1(_ input: Operations.ExportDosesPL1.Input) async throws -> Operations.ExportDosesPL1.Output {
        let rows = try await campaign.exportPL1(
            facility: input.query.facilityId,
            from: try date(input.query.from, field: "from"),
            through: try date(input.query.through, field: "through"),
            by: try actor(reason: "PL1 export")
        )
        switch input.query.format ?? .xlsx {
        case .xlsx:
            return .ok(
                .init(
                    body: .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet(
                        HTTPBody(try Spreadsheet.writeXLSX(sheetName: "PL1", rows: rows))
                    )
                )
            )
        case .csv:
            return .ok(.init(body: .csv(HTTPBody(Spreadsheet.writeCSV(Spreadsheet.neutralisingFormulas(rows))))))
        }
    }

    func getDashboard(_ input: Operations.GetDashboard.Input) async throws -> Operations.GetDashboard.Output {
        guard let view = DashboardView(rawValue: input.path.view.rawValue) else {
            throw AppError.invalidField("view", "Unknown view.")
        }
        let table = try await dashboards.table(
            view,
            unit: input.query.unit,
            query: DashboardQuery(
                by: input.query.by?.rawValue ?? "unit",
                scheme: input.query.scheme?.rawValue ?? "2025",
                from: try input.query.from.map { try date($0, field: "from") },
                through: try input.query.through.map { try date($0, field: "through") }
            ),
            by: try actor(reason: "dashboard")
        )
        switch input.query.format ?? .json {
        case .json:
            return .ok(
                .init(
                    body: .json(
                        .init(
                            view: table.view,
                            title: table.title,
                            unit: .init(code: table.unit.code, name: table.unit.name),
                            parent: table.parent.map { .init(code: $0.code, name: $0.name) },
                            columns: table.columns.map {
                                .init(name: $0.name, label: $0.label, _type: .init(rawValue: $0.type) ?? .text)
                            },
                            rows: table.rows
                        )
                    )
                )
            )
        case .csv:
            return .ok(.init(body: .csv(HTTPBody(table.csv()))))
        case .xlsx:
            return .ok(
                .init(
                    body: .applicationVnd_openxmlformatsOfficedocument_spreadsheetml_sheet(HTTPBody(try table.xlsx()))
                )
            )
        }
    }
}

extension Components.Schemas.StockStore {
    init(_ s: StockStoreRecord) {
        self.init(
            id: s.id,
            name: s.name,
            level: s.level,
            unitCode: s.unitCode,
            parentId: s.parentID,
            facilityId: s.facilityID,
            minCelsius: s.minCelsius,
            maxCelsius: s.maxCelsius,
            closedThrough: s.closedThrough?.description
        )
    }
}

extension Components.Schemas.StockTransfer {
    init(_ t: StockTransfer) {
        self.init(
            id: t.id.lower,
            fromStoreId: t.fromStore,
            toStoreId: t.toStore,
            productCode: t.productCode,
            lotNumber: t.lotNumber,
            vials: t.vials,
            sentOn: t.sentOn.description,
            receivedOn: t.receivedOn?.description
        )
    }
}

extension Components.Schemas.StockTransaction {
    init(_ t: VaxStorage.StockTransaction) {
        self.init(
            id: t.id.lower,
            storeId: t.storeID,
            kind: .init(rawValue: t.kind.rawValue) ?? .count,
            productCode: t.productCode,
            lotNumber: t.lotNumber,
            vials: t.vials,
            date: t.occurredOn.description,
            reason: t.reason,
            transferId: t.transferID?.lower,
            sessionId: t.sessionID?.lower,
            countedVials: t.countedVials,
            recordedAt: t.recordedAt
        )
    }
}
