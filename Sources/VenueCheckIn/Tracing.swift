import Crypto
import Foundation

/// A time someone was at a venue: from arrival to departure (or arrival plus the default stay).
public struct Stay: Sendable, Equatable, Hashable {
    public var start: Date
    public var end: Date

    /// A stay; an end before the start is taken as the start.
    public init(start: Date, end: Date) {
        self.start = start
        self.end = max(start, end)
    }

    /// The case's stay widened by `margin` on each side (PC-Covid's ±1 hour).
    public func widened(by margin: TimeInterval) -> Stay {
        Stay(start: start.addingTimeInterval(-margin), end: end.addingTimeInterval(margin))
    }

    /// The shared part of two stays, edges included: a visitor who arrived exactly when the widened
    /// stay ended shares a zero-length instant and counts; one second later does not.
    public func overlap(with other: Stay) -> Stay? {
        let start = max(self.start, other.start)
        let end = min(self.end, other.end)
        guard start <= end else { return nil }
        return Stay(start: start, end: end)
    }

    /// Its length in seconds.
    public var duration: TimeInterval { end.timeIntervalSince(start) }
}

/// The infectious window of a confirmed case: from symptom onset (or, without symptoms, the test
/// date) minus a lead (two days by default) up to when it was recorded.
public enum InfectiousWindow {
    /// The window for `onset` (start of that day in Vietnam, UTC+7) minus `leadDays`, until `recordedAt`.
    public static func window(onsetDay: Date, leadDays: Int, recordedAt: Date) -> Stay {
        Stay(start: onsetDay.addingTimeInterval(-Double(leadDays) * 86_400), end: recordedAt)
    }
}

/// The published list of risky venue times: venue id hashes and intervals, no personal data; a phone
/// that keeps its check-ins to itself matches them locally (the approach of the UK and German apps).
public struct RiskyVenueList: Sendable, Equatable, Codable {
    /// One risky interval at one venue.
    public struct Window: Sendable, Equatable, Codable {
        /// `RiskyVenueList.hash(venueID:)`.
        public var venue: String
        /// Seconds since 1970.
        public var start: Int64
        public var end: Int64

        public init(venue: String, start: Int64, end: Int64) {
            self.venue = venue
            self.start = start
            self.end = end
        }
    }

    /// When the list was made (seconds since 1970).
    public var generatedAt: Int64
    /// The windows, oldest first.
    public var windows: [Window]

    public init(generatedAt: Int64, windows: [Window]) {
        self.generatedAt = generatedAt
        self.windows = windows
    }

    /// Hex SHA-256 of `VAXTRACE-VENUE` and the venue id: a phone hashes the id it scanned and compares.
    public static func hash(venueID: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        for byte in SHA256.hash(data: Array(("VAXTRACE-VENUE" + venueID).utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The list signed as a compact JWS (ES256), verifiable with the published venue keys.
    public func signed(kid: String, key: P256.Signing.PrivateKey) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try CompactJWS.sign(payload: Array(try encoder.encode(self)), kid: kid, key: key)
    }

    /// Reads and verifies a signed list.
    public static func verify(_ text: String, keys: (String) -> P256.Signing.PublicKey?) -> Result<Self, JWSFailure> {
        CompactJWS.verify(Substring(text), keys: keys).flatMap { jws in
            guard let list = try? JSONDecoder().decode(Self.self, from: Data(jws.payload)) else {
                return .failure(.format("the payload is not a risky venue list"))
            }
            return .success(list)
        }
    }

    /// The windows a phone's own check-ins (venue id and stay) fall into.
    public func matches(_ checkIns: [(venueID: String, stay: Stay)]) -> [Window] {
        var byVenue: [String: [Window]] = [:]
        for window in windows { byVenue[window.venue, default: []].append(window) }
        var found: [Window] = []
        for checkIn in checkIns {
            for window in byVenue[Self.hash(venueID: checkIn.venueID)] ?? [] {
                let risky = Stay(
                    start: Date(timeIntervalSince1970: Double(window.start)),
                    end: Date(timeIntervalSince1970: Double(window.end))
                )
                if risky.overlap(with: checkIn.stay) != nil { found.append(window) }
            }
        }
        return found
    }
}
