import Foundation

/// Timings and limits of sign-in, from configuration (README lists the keys).
public struct IdentitySettings: Sendable {
    /// bcrypt cost for staff passwords (`auth.bcrypt.cost`, `AUTH_BCRYPT_COST`).
    public var bcryptCost: UInt8 = 12
    /// Staff session idle timeout (`session.idle.minutes`, `SESSION_IDLE_MINUTES`).
    public var staffIdle: TimeInterval = 30 * 60
    /// Staff session absolute lifetime (`session.absolute.hours`, `SESSION_ABSOLUTE_HOURS`).
    public var staffAbsolute: TimeInterval = 12 * 3600
    /// Citizen session idle timeout: a week (a phone app stays signed in).
    public var citizenIdle: TimeInterval = 7 * 86_400
    /// Citizen session absolute lifetime: 30 days.
    public var citizenAbsolute: TimeInterval = 30 * 86_400
    /// How long a one-time code and a pending second-factor step live.
    public var codeLifetime: TimeInterval = 5 * 60
    /// Wrong codes allowed per one-time code.
    public var codeAttempts = 5
    /// Codes sent to one phone per 15 minutes.
    public var codesPerPhonePerQuarterHour = 3
    /// Codes sent to one phone per day.
    public var codesPerPhonePerDay = 10
    /// Codes requested from one address per hour (`rate.otp.ip.hour`, `RATE_OTP_IP_HOUR`).
    public var codesPerAddressPerHour = 20
    /// Failed passwords or second factors before an account locks.
    public var failuresBeforeLock = 5
    /// How long a locked account stays locked.
    public var lockDuration: TimeInterval = 15 * 60
    /// The SMS text; `{code}` is replaced (`sms.template`, `SMS_TEMPLATE`). Without diacritics it fits
    /// one GSM-7 SMS segment.
    public var smsTemplate = "Vaxtrace: ma xac thuc cua ban la {code}, het han sau 5 phut. Khong chia se ma nay."
    /// Whether session cookies get the `Secure` attribute (served over HTTPS).
    public var secureCookies = false

    /// The defaults.
    public init() {}
}
