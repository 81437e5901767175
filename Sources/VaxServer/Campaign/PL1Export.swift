import Foundation
import VaxDomain
import VaxSheets
import VaxStorage

extension CampaignService {
    /// The national PL1 template of the doses a facility gave over days: one row per person, their
    /// first two doses in the dose columns and later ones in the notes, in the columns the list
    /// import reads (so the file goes back in unchanged). Person-level data: every person in it is an
    /// audited read. At most 31 days and 20,000 people per file.
    public func exportPL1(
        facility id: String,
        from: LocalDate,
        through: LocalDate,
        by actor: Actor
    ) async throws
        -> [[String]]
    {
        let facility = try await requireFacility(id)
        try await authorizeFacilityUnit(facility.unitCode, by: actor.principal, facilityID: facility.id)
        let today = LocalDate(at: clock.now())
        guard through <= today else { throw AppError.invalidField("through", "\(through) is in the future.") }
        guard from <= through else { throw AppError.invalidField("from", "from is after through.") }
        guard through.daysSinceEpoch - from.daysSinceEpoch < 31 else {
            throw AppError.invalidField("from", "A PL1 file covers at most 31 days.")
        }
        let limit = 20_000
        let ids = try await store.peopleVaccinated(at: facility.id, from: from, through: through, limit: limit + 1)
        guard ids.count <= limit else {
            throw AppError.invalidField("from", "More than \(limit) people in this range; export fewer days at a time.")
        }
        try await registry.auditReads(ids, action: "pl1.export", by: actor)
        var names: [String: String] = [:]
        func name(_ scheme: UnitScheme, _ code: String?) async throws -> String {
            guard let code else { return "" }
            let key = scheme.rawValue + code
            if let known = names[key] { return known }
            let found = try await units.unit(scheme: scheme, code: code)?.name ?? ""
            names[key] = found
            return found
        }
        func dayMonthYear(_ date: LocalDate) -> String {
            (date.day < 10 ? "0" : "") + "\(date.day)/" + (date.month < 10 ? "0" : "") + "\(date.month)/\(date.year)"
        }
        var rows: [[String]] = [["DANH SÁCH ĐỐI TƯỢNG ĐÃ TIÊM VẮC XIN PHÒNG COVID-19 (PL1)"], PL1.header]
        for (index, personID) in ids.enumerated() {
            guard let person = try await people.find(personID) else { continue }
            let doses = try await store.doses(of: personID).sorted { $0.doseNumber < $1.doseNumber }
            func doseCells(_ number: Int) -> [String] {
                guard let dose = doses.first(where: { $0.doseNumber == number }) else { return ["", "", "", ""] }
                return [
                    catalogue.product(dose.productCode)?.shortName ?? dose.productCode,
                    dayMonthYear(dose.administeredOn), dose.lotNumber, dose.facilityID ?? "",
                ]
            }
            let later = doses.filter { $0.doseNumber > 2 }.map {
                "Mũi \($0.doseNumber): \(catalogue.product($0.productCode)?.shortName ?? $0.productCode) "
                    + "\(dayMonthYear($0.administeredOn)), lô \($0.lotNumber)"
            }
            let address = person.address
            var row: [String] = [
                String(index + 1), person.fullName, dayMonthYear(person.dateOfBirth), person.sex == .male ? "0" : "1",
                String(person.primaryPriorityGroup), person.workplace ?? "",
                person.phone.map { "0" + $0.dropFirst(3) } ?? "", person.nationalID?.number ?? "",
                person.healthInsuranceNumber ?? "",
            ]
            row += [
                try await name(address.scheme, address.provinceCode), address.provinceCode,
                try await name(address.scheme, address.districtCode), address.districtCode ?? "",
                try await name(address.scheme, address.communeCode), address.communeCode, "", address.street ?? "",
            ]
            row += doseCells(1) + doseCells(2) + [later.joined(separator: "; "), ""]
            rows.append(row)
        }
        return rows
    }
}
