/// One identifier a phone heard: the RPI, when (the interval number of the scan), how strong, and the AEM.
public struct Sighting: Hashable, Sendable {
    public var rpi: RollingProximityIdentifier
    /// The interval number at which the scan happened (the receiving phone's clock).
    public var interval: Int32
    /// Seconds since the Unix epoch of the scan, for building exposure windows.
    public var unixSeconds: Int64
    /// Attenuation in dB: transmit power (from the metadata) minus the received signal strength.
    public var attenuation: Int
    public var aem: [UInt8]

    public init(rpi: RollingProximityIdentifier, unixSeconds: Int64, attenuation: Int, aem: [UInt8] = []) {
        self.rpi = rpi
        self.unixSeconds = unixSeconds
        self.interval = ExposureNotification.intervalNumber(unixSeconds: unixSeconds)
        self.attenuation = attenuation
        self.aem = aem
    }
}

/// A sighting that belongs to a diagnosis key.
public struct KeyMatch: Hashable, Sendable {
    public var key: TemporaryExposureKey
    public var sighting: Sighting
}

/// The phone's stored sightings, indexed for matching downloaded diagnosis keys.
///
/// An open-addressing table keyed by the RPI's first word: RPIs are AES outputs, so the word is already a
/// uniform hash and a lookup costs one or two probes.
public struct SightingIndex: Sendable {
    private var slots: [Int32]
    private var words: [UInt64]
    private let mask: Int
    /// A Bloom filter of two bits per sighting (the top bits of each of the RPI's words) in about 8 bits per
    /// sighting (32 KiB for 20,000, within a core's L1 data cache): the great majority of identifiers, heard
    /// by nobody, cost one cached load, and about 2 % reach the table.
    private var filter: [UInt64]
    private let filterBits: Int
    public let sightings: [Sighting]

    public init(_ sightings: [Sighting]) {
        self.sightings = sightings
        var capacity = 16
        while capacity < sightings.count * 2 { capacity <<= 1 }
        mask = capacity - 1
        slots = [Int32](repeating: -1, count: capacity)
        words = [UInt64](repeating: 0, count: capacity)
        var bits = 10
        while (1 << bits) < sightings.count * 8 && bits < 24 { bits += 1 }
        filterBits = bits
        filter = [UInt64](repeating: 0, count: (1 << bits) / 64)
        for (position, sighting) in sightings.enumerated() {
            for bit in [sighting.rpi.high, sighting.rpi.low].map({ Int(truncatingIfNeeded: $0 >> UInt64(64 - bits)) }) {
                filter[bit >> 6] |= 1 << UInt64(bit & 63)
            }
            var slot = Int(truncatingIfNeeded: sighting.rpi.high) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(position)
            words[slot] = sighting.rpi.high
        }
    }

    /// Every stored sighting of `key`'s identifiers within its validity widened by ±2 hours.
    public func matches(for key: TemporaryExposureKey) -> [KeyMatch] {
        matches(for: [key])
    }

    /// Matches many keys; the result is grouped by key in the order given.
    public func matches(for keys: [TemporaryExposureKey]) -> [KeyMatch] {
        var found: [KeyMatch] = []
        forEachMatch(keys) { key, sighting in found.append(KeyMatch(key: keys[key], sighting: sightings[sighting])) }
        return found
    }

    /// Counts matches without collecting them (the benchmark's inner loop).
    public func countMatches(for keys: [TemporaryExposureKey]) -> Int {
        var count = 0
        forEachMatch(keys) { _, _ in count += 1 }
        return count
    }

    /// Whether a downloaded key can be matched at all: 16 bytes, a rolling period of 1–144 and a start far from
    /// the ends of Int32. A malformed key from a file is skipped, never a crash on the phone.
    static func isMatchable(_ key: TemporaryExposureKey) -> Bool {
        key.keyData.count == 16 && (1...ExposureNotification.tekRollingPeriod).contains(key.rollingPeriod)
            && key.rollingStartIntervalNumber > Int32.min / 2 && key.rollingStartIntervalNumber < Int32.max / 2
    }

    /// Calls `body` with the positions of the key and of the sighting of every match, keys in order: each key's
    /// identifiers come from `TemporaryExposureKey.forEachIdentifier` (malformed keys skipped there).
    @inline(__always)
    private func forEachMatch(_ keys: [TemporaryExposureKey], _ body: (Int, Int) -> Void) {
        let shift = UInt64(64 - filterBits)
        filter.withUnsafeBufferPointer { filter in
            TemporaryExposureKey.forEachIdentifier(of: keys) { position, rpi in
                // Masking shifts: the filter test is the whole cost of an identifier nobody heard.
                let bit = Int(truncatingIfNeeded: rpi.high &>> shift)
                guard filter[bit &>> 6] & (1 &<< UInt64(truncatingIfNeeded: bit)) != 0 else { return }
                let second = Int(truncatingIfNeeded: rpi.low &>> shift)
                guard filter[second &>> 6] & (1 &<< UInt64(truncatingIfNeeded: second)) != 0 else { return }
                let key = keys[position]
                let earliest = key.rollingStartIntervalNumber - ExposureNotification.driftIntervals
                let latest = key.rollingStartIntervalNumber + key.rollingPeriod + ExposureNotification.driftIntervals
                lookUp(rpi, earliest: earliest, latest: latest) { body(position, $0) }
            }
        }
    }

    /// The table probe for an identifier that passed the filter, out of line so the filter loop stays small.
    @inline(never)
    private func lookUp(
        _ rpi: RollingProximityIdentifier,
        earliest: Int32,
        latest: Int32,
        _ body: (Int) -> Void
    ) {
        slots.withUnsafeBufferPointer { slots in
            words.withUnsafeBufferPointer { words in
                var slot = Int(truncatingIfNeeded: rpi.high) & mask
                while true {
                    let position = Int(slots[slot])
                    if position < 0 { break }
                    if words[slot] == rpi.high {
                        let sighting = sightings[position]
                        if sighting.rpi.low == rpi.low, sighting.interval >= earliest, sighting.interval < latest {
                            body(position)
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }
}
