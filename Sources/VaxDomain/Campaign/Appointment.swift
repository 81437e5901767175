import Foundation

/// Where a person's appointment at a vaccination session stands.
///
/// Transitions (state, action -> state):
/// - invited: confirm -> confirmed, decline -> declined, check_in -> checked_in, no_show -> no_show
/// - confirmed: check_in -> checked_in, decline -> declined, no_show -> no_show
/// - checked_in: screen -> screened, defer -> deferred, refer -> referred, decline -> declined
/// - screened: vaccinate -> vaccinated, screen -> screened (re-screen), defer -> deferred, refer -> referred,
///   decline -> declined
/// - vaccinated: observe -> observed
/// - observed, deferred, referred, declined, no_show: close -> closed
///
/// `deferred`, `referred`, `declined` and `no_show` are closed with `close`; `closed` is final.
public enum AppointmentState: String, Codable, Sendable, CaseIterable {
    /// Invited to a session.
    case invited
    /// The person confirmed they will come.
    case confirmed
    /// The person arrived and was identified.
    case checkedIn = "checked_in"
    /// Screened and found fit to vaccinate (possibly with caution).
    case screened
    /// The dose was given.
    case vaccinated
    /// The observation period at the site is over.
    case observed
    /// Done; nothing more happens.
    case closed
    /// The person declined.
    case declined
    /// The person did not come.
    case noShow = "no_show"
    /// Screening deferred the dose to a later date, or found a contraindication for this vaccine.
    case deferred
    /// Screening referred the person to a hospital able to treat anaphylaxis.
    case referred
}

/// What staff or the person do to an appointment.
public enum AppointmentAction: String, Codable, Sendable, CaseIterable {
    /// The person confirms the invitation.
    case confirm
    /// The person declines.
    case decline
    /// The person arrives and is identified.
    case checkIn = "check_in"
    /// Screening finds the person fit (eligible or caution); also a re-screen.
    case screen
    /// The dose is given.
    case vaccinate
    /// The observation period ends.
    case observe
    /// The appointment is closed.
    case close
    /// The person did not come.
    case markNoShow = "no_show"
    /// Screening defers the dose (or finds a contraindication).
    case `defer`
    /// Screening refers the person to a hospital.
    case refer

    /// The action that records a screening outcome: ``AppointmentState/outcomeAction(_:)``.
    public static func outcomeAction(_ outcome: ScreeningOutcome) -> AppointmentAction {
        AppointmentState.outcomeAction(outcome)
    }
}

extension AppointmentState {
    /// The state after `action`, or `nil` when the action is not allowed in this state.
    public func applying(_ action: AppointmentAction) -> AppointmentState? {
        switch (self, action) {
        case (.invited, .confirm): .confirmed
        case (.invited, .checkIn), (.confirmed, .checkIn): .checkedIn
        case (.invited, .decline), (.confirmed, .decline), (.checkedIn, .decline), (.screened, .decline): .declined
        case (.invited, .markNoShow), (.confirmed, .markNoShow): .noShow
        case (.checkedIn, .screen), (.screened, .screen): .screened
        case (.checkedIn, .defer), (.screened, .defer): .deferred
        case (.checkedIn, .refer), (.screened, .refer): .referred
        case (.screened, .vaccinate): .vaccinated
        case (.vaccinated, .observe): .observed
        case (.observed, .close), (.deferred, .close), (.referred, .close), (.declined, .close), (.noShow, .close):
            .closed
        default: nil
        }
    }

    /// The actions allowed in this state, in the order of ``AppointmentAction/allCases``.
    public var allowedActions: [AppointmentAction] {
        AppointmentAction.allCases.filter { applying($0) != nil }
    }

    /// Whether no action is allowed any more (only `closed`).
    public var isFinal: Bool {
        allowedActions.isEmpty
    }

    /// The action that records a screening outcome: eligible and caution -> `screen`, defer and
    /// contraindicated -> `defer`, refer to hospital -> `refer`.
    public static func outcomeAction(_ outcome: ScreeningOutcome) -> AppointmentAction {
        switch outcome {
        case .eligible, .caution: .screen
        case .deferred, .contraindicated: .defer
        case .referToHospital: .refer
        }
    }
}
