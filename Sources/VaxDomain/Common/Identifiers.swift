import Foundation

/// A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits.
///
/// Time-ordered so that indexes stay compact, and generatable offline by a facility device.
public enum UUIDv7 {
    /// Makes a version-7 UUID for the given instant.
    public static func make(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        return make(at: date, using: &generator)
    }

    /// Makes a version-7 UUID for the given instant from the given random source.
    public static func make(at date: Date, using generator: inout some RandomNumberGenerator) -> UUID {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
        }
        for index in 6..<16 {
            bytes[index] = UInt8.random(in: 0...255, using: &generator)
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 9562 variant
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            )
        )
    }
}

/// Makes identifiers; injected so that tests and offline devices control them.
public struct IdentifierGenerator: Sendable {
    private let makeUUID: @Sendable (Date) -> UUID

    /// An identifier generator from a closure.
    public init(_ makeUUID: @escaping @Sendable (Date) -> UUID) {
        self.makeUUID = makeUUID
    }

    /// UUIDv7 from the system's random source.
    public static let uuidV7 = IdentifierGenerator { UUIDv7.make(at: $0) }

    /// A new identifier for something created at `date`.
    public func next(at date: Date) -> UUID {
        makeUUID(date)
    }
}

/// The clock every service reads, injected so that tests move time instead of sleeping.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Date

    /// A clock from a closure.
    public init(_ read: @escaping @Sendable () -> Date) {
        self.read = read
    }

    /// The system clock.
    public static let system = WallClock { Date() }

    /// The current instant.
    public func now() -> Date {
        read()
    }
}
