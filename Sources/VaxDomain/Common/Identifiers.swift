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
        let ms = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        // Two draws of 64 bits (not ten of 8: each draw from the system source is a system call).
        let high = generator.next()
        let low = generator.next()
        func byte(_ value: UInt64, _ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: value >> (8 * index)) }
        return UUID(
            uuid: (
                byte(ms, 5), byte(ms, 4), byte(ms, 3), byte(ms, 2), byte(ms, 1), byte(ms, 0),
                (byte(high, 1) & 0x0F) | 0x70,  // version 7
                byte(high, 0),
                (byte(low, 7) & 0x3F) | 0x80,  // RFC 9562 variant
                byte(low, 6), byte(low, 5), byte(low, 4), byte(low, 3), byte(low, 2), byte(low, 1), byte(low, 0)
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
