import Crypto
import Foundation
import VaxDomain
import VaxSheets
import VaxStorage

/// The result of one row of a list upload.
public struct ImportRowResult: Codable, Sendable, Equatable {
    /// The row number in the sheet (1-based, as the spreadsheet shows it).
    public var row: Int
    /// `created`, `matched` or `rejected`.
    public var status: String
    /// The person created or matched.
    public var personId: String?
    /// Doses back-entered from the row.
    public var doses: Int
    /// Why the row was rejected.
    public var errors: [Issue]

    /// One problem.
    public struct Issue: Codable, Sendable, Equatable {
        /// The column (`fullName`, `dose1.date`, …).
        public var field: String
        /// A stable code.
        public var code: String
        /// A sentence.
        public var message: String
    }
}

/// A finished upload.
public struct ImportSummary: Sendable {
    /// The stored import.
    public var upload: RegistrationImport
    /// The rows.
    public var rows: [ImportRowResult]
    /// Whether this file was uploaded before (nothing new was created).
    public var replayed: Bool
}

/// The columns of the national template "PL1 – Danh sách đối tượng tiêm" (DOMAIN.md §2), by position.
enum PL1 {
    static let number = 0, fullName = 1, dateOfBirth = 2, sex = 3, priorityGroup = 4, workplace = 5, phone = 6
    static let nationalID = 7, insurance = 8, provinceCode = 10, districtCode = 12, communeCode = 14
    static let neighbourhood = 15, street = 16, dose1 = 17, dose2 = 21, notes = 25

    /// The header row a generated template carries (used by tests, benchmarks and exports).
    static let header = [
        "STT", "Họ và tên", "Ngày sinh", "Giới tính (0 nam, 1 nữ)", "Mã nhóm đối tượng", "Đơn vị công tác",
        "Số điện thoại", "CMND/CCCD", "Số thẻ BHYT", "Tỉnh/TP", "Mã tỉnh", "Quận/huyện", "Mã huyện", "Xã/phường",
        "Mã xã", "Thôn/tổ", "Địa chỉ", "Mũi 1: vắc xin", "Mũi 1: ngày tiêm", "Mũi 1: số lô", "Mũi 1: cơ sở tiêm",
        "Mũi 2: vắc xin", "Mũi 2: ngày tiêm", "Mũi 2: số lô", "Mũi 2: cơ sở tiêm", "Ghi chú", "Kết quả",
    ]
}

extension CampaignService {
    /// Imports a list (PL1 template as XLSX, or CSV in the same columns) from an organisation. Each
    /// row creates a person, matches one already registered (by national ID, else name + date of birth
    /// + phone), or is rejected with the reasons; a bad row never blocks the others and never leaves a
    /// partial person. Doses given on paper are back-entered, flagged retrospective. Uploading the same
    /// file again returns the first result and creates nothing.
    public func importList(_ data: Data, organisation: String, by actor: Actor) async throws -> ImportSummary {
        let organisation = organisation.precomposedStringWithCanonicalMapping.trimmingCharacters(
            in: .whitespacesAndNewlines
        )
        guard (1...200).contains(organisation.unicodeScalars.count), !organisation.hasControlCharacters else {
            throw AppError.invalidField("organisation", "Name the organisation sending the list (1 to 200 characters).")
        }
        let hash = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        if let previous = try await store.registrationImport(fileHash: hash) {
            return ImportSummary(upload: previous, rows: try Self.decodeRows(previous.results), replayed: true)
        }
        let sheet: [[String]]
        do {
            sheet = try Spreadsheet.read(data)
        } catch {
            throw AppError(.badRequest, code: "bad_file_\(error.code)", message: error.message, field: "file")
        }
        let now = clock.now()
        let format = data.starts(with: [0x50, 0x4B, 0x03, 0x04]) ? "xlsx" : "csv"
        let upload = RegistrationImport(
            id: ids.next(at: now),
            fileHash: hash,
            organisation: organisation,
            format: format,
            uploadedBy: actor.principal.subject,
            total: 0,
            created: 0,
            matched: 0,
            rejected: 0,
            results: "[]",
            createdAt: now
        )
        guard try await store.begin(upload) else {
            guard let previous = try await store.registrationImport(fileHash: hash) else {
                throw AppError(.conflict, code: "import_running", message: "This file is being imported right now.")
            }
            return ImportSummary(upload: previous, rows: try Self.decodeRows(previous.results), replayed: true)
        }
        do {
            return try await importRows(sheet, upload: upload, organisation: organisation, by: actor, at: now)
        } catch {
            // Rows already written stay (and are matched when the file is sent again); the upload is
            // marked failed so that it may be retried.
            try? await store.fail(upload)
            throw error
        }
    }

    private func importRows(
        _ sheet: [[String]],
        upload: RegistrationImport,
        organisation: String,
        by actor: Actor,
        at now: Date
    ) async throws -> ImportSummary {
        var upload = upload
        var parser = try await RowParser(
            service: self,
            organisation: organisation,
            importID: upload.id,
            now: now,
            actor: actor
        )
        // Column A tells data rows from headings; a non-blank row without a number after the data began
        // is an error. The data rows are parsed a chunk ahead of the writes, so that one core validates
        // while the other writes.
        var results: [ImportRowResult] = []
        var dataRows: [(row: Int, cells: [String])] = []
        for (index, cells) in sheet.enumerated() {
            let first = cells.first?.trimmingCharacters(in: .whitespaces) ?? ""
            if !first.isEmpty && first.allSatisfy({ $0.isASCII && $0.isNumber }) {
                dataRows.append((index + 1, cells))
            } else if !dataRows.isEmpty, !cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                results.append(
                    Self.rejected(
                        index + 1,
                        [.init(field: "number", code: "not_a_row", message: "Column A (STT) must hold the row number.")]
                    )
                )
            }
        }
        let chunks = stride(from: 0, to: dataRows.count, by: Self.importChunkSize).map {
            Array(dataRows[$0..<min($0 + Self.importChunkSize, dataRows.count)])
        }
        @Sendable func parse(
            _ chunk: [(row: Int, cells: [String])],
            with parser: RowParser
        ) async -> (
            RowParser, [(Int, RowParser.ParseOutcome)]
        ) {
            var parser = parser
            var outcomes: [(Int, RowParser.ParseOutcome)] = []
            for (row, cells) in chunk { outcomes.append((row, await parser.parse(cells, row: row))) }
            return (parser, outcomes)
        }
        var seen: [String: Int] = [:]
        var writing: Task<[ImportRowResult], any Error>?
        var next = chunks.first.map { chunk in Task { [parser] in await parse(chunk, with: parser) } }
        for index in chunks.indices {
            guard let parsing = next else { break }
            let (used, outcomes) = await parsing.value
            next = index + 1 < chunks.count ? Task { await parse(chunks[index + 1], with: used) } : nil
            parser = used
            var pending: [RowParser.Parsed] = []
            for (rowNumber, outcome) in outcomes {
                switch outcome {
                case .failure(let issues):
                    results.append(Self.rejected(rowNumber, issues))
                case .success(let parsed):
                    if !actor.principal.reaches(parsed.person.address) {
                        results.append(
                            Self.rejected(
                                rowNumber,
                                [
                                    .init(
                                        field: "address",
                                        code: "out_of_scope",
                                        message: "This address is outside your scope."
                                    )
                                ]
                            )
                        )
                    } else if let earlier = seen[parsed.key]
                        ?? (parsed.person.nationalID == nil ? seen[parsed.nameKey] : nil)
                    {
                        results.append(
                            Self.rejected(
                                rowNumber,
                                [
                                    .init(
                                        field: "row",
                                        code: "duplicate_row",
                                        message: "The same person as row \(earlier) of this file."
                                    )
                                ]
                            )
                        )
                    } else {
                        seen[parsed.key] = rowNumber
                        // A row without an ID is matched by name, birth date and phone: within the file
                        // too, since the chunk before may not be committed when this one matches.
                        if seen[parsed.nameKey] == nil { seen[parsed.nameKey] = rowNumber }
                        pending.append(parsed)
                    }
                }
            }
            // This chunk is written while the one before finishes (PostgreSQL takes both at once; on
            // SQLite it matches and builds its rows while the other holds the writer).
            let previous = writing
            writing = Task { [pending, parser] in
                try await self.writeChunk(pending, parser: parser, actor: actor, now: now)
            }
            do {
                if let previous { results += try await previous.value }
            } catch {
                _ = try? await writing?.value
                next?.cancel()
                throw error
            }
        }
        if let writing { results += try await writing.value }
        results.sort { $0.row < $1.row }
        upload.total = results.count
        upload.created = results.count { $0.status == "created" }
        upload.matched = results.count { $0.status == "matched" }
        upload.rejected = results.count { $0.status == "rejected" }
        upload.results = String(decoding: try JSONEncoder.sortedKeys.encode(results), as: UTF8.self)
        try await store.finish(upload, audit: [registry.entry("registration.import", about: nil, by: actor, at: now)])
        return ImportSummary(upload: upload, rows: results, replayed: false)
    }

    /// Rows written per transaction.
    static let importChunkSize = 5000

    static func rejected(_ row: Int, _ issues: [ImportRowResult.Issue]) -> ImportRowResult {
        ImportRowResult(row: row, status: "rejected", personId: nil, doses: 0, errors: issues)
    }

    static func decodeRows(_ text: String) throws -> [ImportRowResult] {
        try JSONDecoder().decode([ImportRowResult].self, from: Data(text.utf8))
    }

    /// Writes one chunk in one transaction: matches, new people, registrations and paper doses.
    private func writeChunk(
        _ rows: [RowParser.Parsed],
        parser: RowParser,
        actor: Actor,
        now: Date
    ) async throws -> [ImportRowResult] {
        guard !rows.isEmpty else { return [] }
        let catalogue = self.catalogue
        let registry = self.registry
        let ids = self.ids
        return try await store.importChunk { tx in
            let byID = try await tx.people(withNationalIDs: rows.compactMap(\.nationalID))
            var matches: [Int: Person.ID] = [:]
            var refused: [Int: ImportRowResult.Issue] = [:]
            for (index, row) in rows.enumerated() {
                if let number = row.person.nationalID?.number {
                    guard let match = byID[number] else { continue }
                    let address = Person.Address(
                        scheme: UnitScheme(rawValue: match.scheme) ?? .tier2of2025,
                        provinceCode: match.provinceCode,
                        districtCode: match.districtCode,
                        communeCode: match.communeCode,
                        street: nil
                    )
                    if match.foldedName != row.person.foldedName
                        || match.dateOfBirth != row.person.dateOfBirth.description
                    {
                        refused[index] = .init(
                            field: "nationalId",
                            code: "id_mismatch",
                            message:
                                "This ID number is registered to someone with another name or date of birth; check the row."
                        )
                    } else if !actor.principal.reaches(address) {
                        refused[index] = .init(
                            field: "nationalId",
                            code: "out_of_scope",
                            message: "This person is registered outside your scope; their own commune registers them."
                        )
                    } else {
                        matches[index] = match.id
                    }
                } else if let phone = row.person.phone,
                    let id = try await tx.person(
                        foldedName: row.person.foldedName,
                        dateOfBirth: row.person.dateOfBirth,
                        phone: phone
                    )
                {
                    matches[index] = id
                }
            }
            let matchedIDs = Array(Set(matches.values))
            var history = try await tx.doses(of: matchedIDs).mapValues { $0.map(\.given) }
            var open = try await tx.openRegistrations(of: matchedIDs)
            var newPeople: [(person: Person, nationalID: SealedNationalID?)] = []
            var registrations: [Registration] = []
            var doses: [DoseRecord] = []
            var events: [OutboxEvent] = []
            var audit: [AuditEntry] = []
            var results: [ImportRowResult] = []
            for (index, row) in rows.enumerated() {
                if let issue = refused[index] {
                    results.append(Self.rejected(row.row, [issue]))
                    continue
                }
                let personID = matches[index] ?? row.person.id
                var given = history[personID] ?? []
                var rowDoses: [DoseRecord] = []
                var issues: [ImportRowResult.Issue] = []
                for paper in row.doses {
                    if given.contains(where: { $0.doseNumber == paper.doseNumber && $0.date == paper.date }) {
                        continue
                    }
                    let plan = DosePlan(
                        productCode: paper.productCode,
                        doseNumber: paper.doseNumber,
                        kind: .primary,
                        date: paper.date
                    )
                    if case .failure(let failure) = DoseRules.check(
                        plan,
                        history: given,
                        dateOfBirth: row.person.dateOfBirth,
                        catalogue: catalogue
                    ) {
                        // A paper record is a fact: given early is recorded as given; anything else is refused.
                        for error in failure.errors where error.code != "too_early" {
                            issues.append(
                                .init(field: "\(paper.column).\(error.field)", code: error.code, message: error.message)
                            )
                        }
                    }
                    given.append(
                        GivenDose(
                            productCode: paper.productCode,
                            doseNumber: paper.doseNumber,
                            kind: .primary,
                            date: paper.date
                        )
                    )
                    rowDoses.append(
                        DoseRecord(
                            id: ids.next(at: now),
                            personID: personID,
                            appointmentID: nil,
                            productCode: paper.productCode,
                            lotNumber: paper.lot,
                            lotExpiry: nil,
                            doseNumber: paper.doseNumber,
                            kind: .primary,
                            administeredAt: paper.date.noonInVietnam,
                            administeredOn: paper.date,
                            facilityID: paper.facilityID,
                            injectionSite: nil,
                            vaccinator: nil,
                            retrospective: true,
                            nextDueOn: nil,
                            observationEndsAt: nil,
                            observedAt: nil,
                            immediateReactions: nil,
                            recordedBy: actor.principal.subject,
                            recordedAt: now
                        )
                    )
                }
                guard issues.isEmpty else {
                    results.append(Self.rejected(row.row, issues))
                    continue
                }
                let matched = matches[index] != nil
                history[personID] = given
                audit.append(
                    registry.entry(
                        matched ? "registration.import" : "person.create",
                        about: personID,
                        by: actor,
                        at: now
                    )
                )
                // The queue is for people who still need their primary series.
                let level = DoseRules.status(history: given, catalogue: catalogue).level
                if !open.contains(personID), level == .notVaccinated || level == .partiallyVaccinated {
                    var registration = row.registration
                    registration.personID = personID
                    registrations.append(registration)
                    events.append(
                        event(
                            "registration.created",
                            subject: registration.id.lower,
                            ["personId": personID.description, "priorityGroup": "\(registration.priorityGroup)"]
                        )
                    )
                    open.insert(personID)
                }
                if !matched { newPeople.append((row.person, row.nationalID)) }
                for dose in rowDoses {
                    doses.append(dose)
                    events.append(doseEvent("dose.recorded", dose))
                    audit.append(registry.entry("dose.record", about: personID, by: actor, at: now))
                }
                results.append(
                    ImportRowResult(
                        row: row.row,
                        status: matched ? "matched" : "created",
                        personId: personID.description,
                        doses: rowDoses.count,
                        errors: []
                    )
                )
            }
            try await tx.write(
                people: newPeople,
                registrations: registrations,
                doses: doses,
                events: events,
                audit: audit
            )
            return results
        }
    }
}

/// Turns PL1 rows into validated people, registrations and paper doses; caches units and facilities.
struct RowParser: Sendable {
    struct PaperDose: Sendable {
        var column: String
        var doseNumber: Int
        var productCode: String
        var date: LocalDate
        var lot: String
        var facilityID: String
    }

    enum ParseOutcome: Sendable {
        case success(Parsed)
        case failure([ImportRowResult.Issue])
    }

    struct Parsed: Sendable {
        var row: Int
        var key: String
        /// Name, birth date and phone: how a row without an ID is matched.
        var nameKey: String
        var person: Person
        var registration: Registration
        var doses: [PaperDose]
        /// The national ID sealed and hashed, if the row has one.
        var nationalID: SealedNationalID?
    }

    let service: CampaignService
    let organisation: String
    let importID: UUID
    let now: Date
    let today: LocalDate
    let groups: Set<Int>
    var addresses: [String: Result<Person.Address, ValidationFailure>] = [:]
    var facilities: [String: Bool] = [:]
    let aliases: [(token: String, code: String)]

    init(service: CampaignService, organisation: String, importID: UUID, now: Date, actor: Actor) async throws {
        self.service = service
        self.organisation = organisation
        self.importID = importID
        self.now = now
        self.today = LocalDate(at: now)
        self.groups = try await service.registry.priorityGroups.codes(validOn: LocalDate(at: now))
        var aliases: [(String, String)] = []
        for product in service.catalogue.products {
            aliases.append((TextFolding.fold(product.code), product.code))
            for token in Self.tokens(product.name + " " + product.medicinalProduct) where token.count >= 4 {
                aliases.append((token, product.code))
            }
        }
        self.aliases = aliases
    }

    static func tokens(_ text: String) -> [String] {
        TextFolding.fold(text).split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
    }

    /// The catalogue product a PL1 vaccine name means ("AstraZeneca", "Vero Cell", "Comirnaty", …).
    func product(named name: String) -> String? {
        let folded = TextFolding.fold(name)
        if let exact = aliases.first(where: { $0.token == folded }) { return exact.code }
        let words = Set(Self.tokens(name))
        let codes = Set(aliases.filter { words.contains($0.token) }.map(\.code))
        return codes.count == 1 ? codes.first : nil
    }

    mutating func parse(_ cells: [String], row: Int) async -> ParseOutcome {
        func cell(_ index: Int) -> String {
            index < cells.count ? cells[index].trimmingSpaces : ""
        }
        func optional(_ index: Int) -> String? {
            let value = cell(index)
            return value.isEmpty ? nil : value
        }
        var issues: [ImportRowResult.Issue] = []
        let sex: Sex?
        switch TextFolding.fold(cell(PL1.sex)) {
        case "0", "nam", "male": sex = .male
        case "1", "nu", "female": sex = .female
        default:
            sex = nil
            issues.append(.init(field: "sex", code: "invalid", message: "Sex is 0 (male) or 1 (female)."))
        }
        let group = Int(cell(PL1.priorityGroup))
        if group == nil {
            issues.append(
                .init(field: "priorityGroup", code: "invalid", message: "The priority-group code is a number 1 to 16.")
            )
        }
        if cell(PL1.phone).isEmpty {
            issues.append(.init(field: "phone", code: "required", message: "The phone number is required."))
        }
        let idNumber = cell(PL1.nationalID).uppercased()
        let idType: NationalIDType? =
            idNumber.isEmpty
            ? nil
            : idNumber.count == 12
                ? .cccd
                : idNumber.count == 9
                    ? .cmnd : idNumber.first?.isLetter == true && idNumber.count == 8 ? .passport : .foreignPassport
        let district = optional(PL1.districtCode)
        let street = [optional(PL1.neighbourhood), optional(PL1.street)].compactMap { $0 }.joined(separator: ", ")
        let draft = PersonDraft(
            fullName: cell(PL1.fullName),
            dateOfBirth: cell(PL1.dateOfBirth),
            sex: sex ?? .male,
            phone: optional(PL1.phone),
            nationalID: idType.map { PersonDraft.NationalIDInput(type: $0, number: idNumber) },
            healthInsuranceNumber: optional(PL1.insurance),
            occupation: nil,
            workplace: optional(PL1.workplace),
            ethnicity: nil,
            nationality: nil,
            address: .init(
                provinceCode: cell(PL1.provinceCode),
                districtCode: district,
                communeCode: cell(PL1.communeCode),
                street: street.isEmpty ? nil : street,
                validOn: district == nil ? nil : "2021-12-31"
            ),
            priorityGroups: group.map { [$0] } ?? [],
            primaryPriorityGroup: group
        )
        // PL1 does not carry the occupation, and the ID number is optional there: validate as the
        // registry does for a person whose ID and occupation may be missing; the phone is checked above.
        let validated: ValidatedPersonDraft
        switch PersonValidator.validate(draft, today: today, isDependant: true, knownPriorityGroups: groups) {
        case .failure(let failure):
            issues += failure.errors.map { .init(field: $0.field, code: $0.code, message: $0.message) }
            return .failure(issues)
        case .success(let value):
            validated = value
        }
        let addressKey = [draft.address.provinceCode, district ?? "", draft.address.communeCode].joined(separator: "|")
        let address: Person.Address
        let resolved: Result<Person.Address, ValidationFailure>
        if let cached = addresses[addressKey] {
            resolved = cached
        } else {
            do {
                resolved = .success(try await service.registry.resolve(validated.address, on: validated.addressValidOn))
            } catch let failure as ValidationFailure {
                resolved = .failure(failure)
            } catch {
                resolved = .failure(
                    ValidationFailure([
                        FieldError(field: "address", code: "unresolved", message: "The address could not be checked.")
                    ])
                )
            }
            addresses[addressKey] = resolved
        }
        switch resolved {
        case .success(var value):
            value.street = validated.address.street
            address = value
        case .failure(let failure):
            issues += failure.errors.map { .init(field: $0.field, code: $0.code, message: $0.message) }
            return .failure(issues)
        }
        var doses: [PaperDose] = []
        for (number, start) in [(1, PL1.dose1), (2, PL1.dose2)] {
            let column = "dose\(number)"
            let parts = (0..<4).map { cell(start + $0) }
            if parts.allSatisfy(\.isEmpty) { continue }
            guard parts.allSatisfy({ !$0.isEmpty }) else {
                issues.append(
                    .init(
                        field: column,
                        code: "incomplete",
                        message: "Dose \(number) needs the vaccine, date, lot and site."
                    )
                )
                continue
            }
            guard let code = product(named: parts[0]) else {
                issues.append(
                    .init(
                        field: "\(column).vaccine",
                        code: "unknown_product",
                        message: "\(parts[0]) is not a vaccine in the catalogue."
                    )
                )
                continue
            }
            guard let date = LocalDate(iso: parts[1]) ?? LocalDate(vietnamese: parts[1]), date <= today else {
                issues.append(
                    .init(
                        field: "\(column).date",
                        code: "invalid_date",
                        message: "\(parts[1]) is not a past date (dd/mm/yyyy)."
                    )
                )
                continue
            }
            guard parts[2].count <= 40, !parts[2].hasControlCharacters else {
                issues.append(
                    .init(
                        field: "\(column).lot",
                        code: "invalid_format",
                        message: "A lot number is at most 40 characters."
                    )
                )
                continue
            }
            if facilities[parts[3]] == nil {
                facilities[parts[3]] = ((try? await service.store.facility(id: parts[3])) ?? nil) != nil
            }
            guard facilities[parts[3]] == true else {
                issues.append(
                    .init(
                        field: "\(column).site",
                        code: "unknown_facility",
                        message: "No facility has the KCB code \(parts[3])."
                    )
                )
                continue
            }
            doses.append(
                PaperDose(
                    column: column,
                    doseNumber: number,
                    productCode: code,
                    date: date,
                    lot: parts[2],
                    facilityID: parts[3]
                )
            )
        }
        guard issues.isEmpty, let group else { return .failure(issues) }
        let person = Person(
            id: Person.ID(service.ids.next(at: now)),
            fullName: validated.fullName,
            dateOfBirth: validated.dateOfBirth,
            sex: validated.sex,
            phone: validated.phone,
            nationalID: validated.nationalID,
            healthInsuranceNumber: validated.healthInsuranceNumber,
            occupation: nil,
            workplace: validated.workplace,
            ethnicity: validated.ethnicity,
            nationality: validated.nationality,
            address: address,
            priorityGroups: validated.priorityGroups,
            primaryPriorityGroup: validated.primaryPriorityGroup,
            guardianID: nil,
            relationship: nil,
            mergedInto: nil,
            createdAt: now
        )
        let nameKey = "n|\(person.foldedName)|\(person.dateOfBirth)|\(person.phone ?? "")"
        let key = person.nationalID.map { "id|\($0.number)" } ?? nameKey
        let registration = Registration(
            id: service.ids.next(at: now),
            personID: person.id,
            priorityGroup: group,
            source: "organisation",
            organisation: organisation,
            importID: importID,
            preferredDate: nil,
            unitScheme: address.scheme.rawValue,
            communeCode: address.communeCode,
            status: "waiting",
            registeredAt: now
        )
        let sealed: SealedNationalID?
        do {
            sealed = try person.nationalID.map { try service.store.seal(nationalID: $0.number) }
        } catch {
            return .failure([
                .init(field: "nationalId", code: "unsealable", message: "The ID number could not be stored.")
            ])
        }
        return .success(
            Parsed(
                row: row,
                key: key,
                nameKey: nameKey,
                person: person,
                registration: registration,
                doses: doses,
                nationalID: sealed
            )
        )
    }
}

extension LocalDate {
    /// Noon of this day in Vietnam, the time given to a paper record that has only a date.
    var noonInVietnam: Date {
        Date(timeIntervalSince1970: Double(daysSinceEpoch * 86_400 + 5 * 3600))
    }
}
