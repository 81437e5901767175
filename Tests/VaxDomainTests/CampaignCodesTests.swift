import Foundation
import Testing
import VaxDomain

@Suite struct CampaignCodesTests {
    // MARK: - Appointment state machine

    static let allowed: [AppointmentState: [AppointmentAction: AppointmentState]] = [
        .invited: [.confirm: .confirmed, .decline: .declined, .checkIn: .checkedIn, .markNoShow: .noShow],
        .confirmed: [.checkIn: .checkedIn, .decline: .declined, .markNoShow: .noShow],
        .checkedIn: [.screen: .screened, .defer: .deferred, .refer: .referred, .decline: .declined],
        .screened: [
            .vaccinate: .vaccinated, .defer: .deferred, .refer: .referred, .decline: .declined, .screen: .screened,
        ],
        .vaccinated: [.observe: .observed],
        .observed: [.close: .closed],
        .deferred: [.close: .closed],
        .referred: [.close: .closed],
        .declined: [.close: .closed],
        .noShow: [.close: .closed],
        .closed: [:],
    ]

    @Test func everyTransitionIsInTheTable() {
        for state in AppointmentState.allCases {
            let expected = Self.allowed[state] ?? [:]
            for action in AppointmentAction.allCases {
                #expect(state.applying(action) == expected[action], "\(state.rawValue) + \(action.rawValue)")
            }
            #expect(Set(state.allowedActions) == Set(expected.keys))
            #expect(state.isFinal == (state == .closed))
        }
    }

    @Test func someRefusedTransitions() {
        #expect(AppointmentState.invited.applying(.vaccinate) == nil)
        #expect(AppointmentState.checkedIn.applying(.vaccinate) == nil)
        #expect(AppointmentState.vaccinated.applying(.close) == nil)
        #expect(AppointmentState.vaccinated.applying(.decline) == nil)
        #expect(AppointmentState.closed.applying(.close) == nil)
        #expect(AppointmentState.noShow.applying(.checkIn) == nil)
        #expect(AppointmentState.deferred.applying(.screen) == nil)
        #expect(AppointmentState.confirmed.applying(.confirm) == nil)
    }

    @Test func rawValuesAreTheAPIsWords() {
        #expect(AppointmentState.checkedIn.rawValue == "checked_in")
        #expect(AppointmentState.noShow.rawValue == "no_show")
        #expect(AppointmentAction.checkIn.rawValue == "check_in")
        #expect(AppointmentAction.markNoShow.rawValue == "no_show")
        #expect(AppointmentAction.defer.rawValue == "defer")
    }

    @Test func screeningOutcomesMapToActions() {
        #expect(AppointmentState.outcomeAction(.eligible) == .screen)
        #expect(AppointmentState.outcomeAction(.caution) == .screen)
        #expect(AppointmentState.outcomeAction(.deferred) == .defer)
        #expect(AppointmentState.outcomeAction(.contraindicated) == .defer)
        #expect(AppointmentState.outcomeAction(.referToHospital) == .refer)
        #expect(AppointmentAction.outcomeAction(.referToHospital) == .refer)
    }

    // MARK: - Scanned codes

    func parsed(_ text: String) -> ScannedCode? {
        try? ScannedCode.parse(text).get()
    }

    func failure(_ text: String) -> FieldError? {
        guard case .failure(let error) = ScannedCode.parse(text) else { return nil }
        return error
    }

    @Test func readsTheUnifiedPersonalQR() {
        let code = parsed("001093029317|NGUYEN VAN A|1987-01-18|0|162979388586171100|<1<00<0123232422\n")
        #expect(
            code
                == .unified(
                    UnifiedPersonalQR(
                        documentNumber: "001093029317",
                        name: "NGUYEN VAN A",
                        dateOfBirth: LocalDate(iso: "1987-01-18")!,
                        declaredBySomeoneElse: false,
                        qrID: "162979388586171100",
                        extras: ["1", "00", "0123232422"]
                    )
                )
        )
        guard case .unified(let masked) = parsed("001093***317|TRAN THI B|2015-06-01|1|162979388586171101|") else {
            Issue.record("masked code not read")
            return
        }
        #expect(masked.documentNumber == "001093***317")
        #expect(masked.declaredBySomeoneElse)
        #expect(masked.extras.isEmpty)
        #expect(parsed("0010930xxxxx|TRAN THI B|2015-06-01|1|162979388586171101|") != nil)
    }

    @Test(arguments: [
        ("001093029317|NGUYEN VAN A|1987-02-30|0|162979388586171100|", "bad_date"),
        ("001093029317|NGUYEN VAN A|18/01/1987|0|162979388586171100|", "bad_date"),
        ("0010-93029317|NGUYEN VAN A|1987-01-18|0|162979388586171100|", "bad_id"),
        ("001093029317|NGUYEN VAN A|1987-01-18|0||", "bad_id"),
        ("001093029317|NGUYEN VAN A|1987-01-18|2|162979388586171100|", "unknown_format"),
        ("001093029317||1987-01-18|0|162979388586171100|", "unknown_format"),
        ("001093029317|NGUYEN VAN A|1987-01-18|0|162979388586171100", "unknown_format"),
        ("001093029317|NGUYEN VAN A|1987-01-18|0|162979388586171100|x|y|z", "unknown_format"),
    ])
    func refusesBadUnifiedCodes(text: String, code: String) {
        let error = failure(text)
        #expect(error?.field == "code")
        #expect(error?.code == code)
        #expect(error?.message.isEmpty == false)
    }

    @Test func readsTheChipCardQR() {
        let code = parsed("001093029317|012345678|Nguyễn Văn A|18011987|Nam|Số 1 Phố X, Hà Nội|01072021")
        #expect(
            code
                == .chipCard(
                    ChipCardQR(
                        cccd: "001093029317",
                        cmnd: "012345678",
                        fullName: "Nguyễn Văn A",
                        dateOfBirth: LocalDate(iso: "1987-01-18")!,
                        sex: "Nam",
                        address: "Số 1 Phố X, Hà Nội",
                        issuedOn: LocalDate(iso: "2021-07-01")!
                    )
                )
        )
        guard case .chipCard(let card) = parsed("  001093029317||Nguyễn Văn A|18011987|Nam|Hà Nội|\r\n") else {
            Issue.record("card without CMND not read")
            return
        }
        #expect(card.cmnd == nil)
        #expect(card.issuedOn == nil)
    }

    @Test(arguments: [
        ("001093029317|012345678|Nguyễn Văn A|31021987|Nam|Hà Nội|01072021", "bad_date"),
        ("001093029317|012345678|Nguyễn Văn A|1987-01-18|Nam|Hà Nội|01072021", "bad_date"),
        ("001093029317|012345678|Nguyễn Văn A|18011987|Nam|Hà Nội|0107202", "bad_date"),
        ("001093029317|012345678|Nguyễn Văn A|18011987|Nam|Hà Nội|01071980", "bad_date"),
        ("00109302931|012345678|Nguyễn Văn A|18011987|Nam|Hà Nội|01072021", "bad_id"),
        ("001093029317|01234567|Nguyễn Văn A|18011987|Nam|Hà Nội|01072021", "bad_id"),
        ("001093029317|012345678||18011987|Nam|Hà Nội|01072021", "unknown_format"),
        ("001093029317|012345678|Nguyễn Văn A|18011987|Nam|Hà Nội|01072021|extra|more", "unknown_format"),
    ])
    func refusesBadChipCardCodes(text: String, code: String) {
        let error = failure(text)
        #expect(error?.field == "code")
        #expect(error?.code == code)
    }

    @Test func readsOurOwnTokens() {
        #expect(parsed("VXP1.eyJwIjoxfQ.c2ln\n") == .vaxtrace(token: "VXP1.eyJwIjoxfQ.c2ln"))
        #expect(failure("VXP1.")?.code == "unknown_format")
        #expect(failure("VXP1.abc def")?.code == "unknown_format")
    }

    @Test func refusesAnythingElse() {
        #expect(failure("")?.code == "unknown_format")
        #expect(failure("https://example.com")?.code == "unknown_format")
        #expect(failure(String(repeating: "1|", count: 600))?.code == "unknown_format")
    }
}
