import Crypto
import ExposureNotification
import Foundation
import Testing

func fixture(_ name: String) -> Data {
    try! Data(contentsOf: Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(name)"))
}

func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16)
        return byte < 16 ? "0" + digits : digits
    }
    .joined()
}

/// The specification's own vectors (Exposure Notification Cryptography Specification v1.2, annex).
@Suite struct CryptoVectorTests {
    struct Vectors: Decodable {
        struct Advertised: Decodable {
            var i: Int
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var en_interval_number: Int32
            var rpi: String
            var aem: String
        }

        // swift-format-ignore: AlwaysUseLowerCamelCase
        var key_generation_unix_seconds: Int64
        // swift-format-ignore: AlwaysUseLowerCamelCase
        var en_interval_number_of_generated_key: Int32
        var tek: String
        var rpik: String
        var aemk: String
        // swift-format-ignore: AlwaysUseLowerCamelCase
        var bluetooth_metadata: String
        var advertised: [Advertised]
    }

    static let vectors = try! JSONDecoder().decode(Vectors.self, from: fixture("gaen_crypto_test_vectors_v1.2.json"))

    @Test func everyRPIAndAEMOfTheSpecificationIsReproduced() {
        let vectors = Self.vectors
        let interval = ExposureNotification.intervalNumber(unixSeconds: vectors.key_generation_unix_seconds)
        #expect(interval == vectors.en_interval_number_of_generated_key)
        #expect(ExposureNotification.rollingStart(of: interval + 37) == interval)
        let key = TemporaryExposureKey(keyData: hex(vectors.tek), rollingStartIntervalNumber: interval)
        #expect(key.rollingProximityIdentifierKey().withUnsafeBytes { Array($0) } == hex(vectors.rpik))
        #expect(key.associatedEncryptedMetadataKey().withUnsafeBytes { Array($0) } == hex(vectors.aemk))

        let rpis = key.rollingProximityIdentifiers()
        #expect(vectors.advertised.count == 144)
        #expect(rpis.count == 144)
        let metadata = hex(vectors.bluetooth_metadata)
        var reproduced = 0
        for (index, advertised) in vectors.advertised.enumerated() {
            #expect(advertised.en_interval_number == interval + Int32(index))
            let rpi = rpis[index]
            #expect(hex(rpi.bytes) == advertised.rpi, "RPI \(advertised.i)")
            let aem = key.encryptMetadata(metadata, rpi: rpi)
            #expect(hex(aem) == advertised.aem, "AEM \(advertised.i)")
            #expect(key.decryptMetadata(aem, rpi: rpi) == metadata)
            if hex(rpi.bytes) == advertised.rpi, hex(aem) == advertised.aem { reproduced += 1 }
        }
        #expect(reproduced == 144)
        // The one-interval path agrees with the batched one, at both ends and in the middle.
        for index in [0, 71, 143] {
            #expect(key.rollingProximityIdentifier(at: interval + Int32(index)) == rpis[index])
        }
    }

    @Test func generatedKeysAreFreshAndStartAtTheirDay() {
        let interval = ExposureNotification.intervalNumber(Date(timeIntervalSince1970: 1_800_000_123))
        let first = TemporaryExposureKey.generate(at: interval)
        let second = TemporaryExposureKey.generate(at: interval)
        #expect(first.keyData.count == 16)
        #expect(first.keyData != second.keyData)
        #expect(first.rollingStartIntervalNumber % 144 == 0)
        #expect(first.intervals.contains(interval))
        #expect(ExposureNotification.intervalNumber(unixSeconds: -1) == -1)
    }

    /// The exposure-notifications-server's tekmac vectors, including the sort order and the form without the
    /// transmission risk.
    @Test func theThreeTEKMACVectorsMatch() throws {
        struct Vectors: Decodable {
            struct Case: Decodable {
                struct Key: Decodable {
                    var key: String
                    var rollingStartNumber: Int32
                    var rollingPeriod: Int32
                    var transmissionRisk: Int32
                }
                var name: String
                var keys: [Key]
                var cleartext: String
                // swift-format-ignore: AlwaysUseLowerCamelCase
                var expected_hmac_b64: String
            }
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var secret_hex: String
            var cases: [Case]
        }
        let vectors = try JSONDecoder().decode(Vectors.self, from: fixture("ens_tekmac_hmac_vectors.json"))
        #expect(vectors.cases.count == 3)
        let secret = hex(vectors.secret_hex)
        for (index, vector) in vectors.cases.enumerated() {
            let keys = vector.keys.map {
                TemporaryExposureKey(
                    keyData: [UInt8](Data(base64Encoded: $0.key)!),
                    rollingStartIntervalNumber: $0.rollingStartNumber,
                    rollingPeriod: $0.rollingPeriod,
                    transmissionRiskLevel: $0.transmissionRisk
                )
            }
            let withRisk = index < 2
            #expect(TEKMAC.cleartext(keys, includeTransmissionRisk: withRisk) == vector.cleartext, "\(vector.name)")
            #expect(
                TEKMAC.compute(keys, secret: secret, includeTransmissionRisk: withRisk) == vector.expected_hmac_b64,
                "\(vector.name)"
            )
            #expect(TEKMAC.matches(vector.expected_hmac_b64, keys: keys, secret: secret))
            #expect(!TEKMAC.matches(vector.expected_hmac_b64, keys: Array(keys.dropLast()), secret: secret))
            #expect(!TEKMAC.matches(vector.expected_hmac_b64, keys: keys, secret: Array(secret.reversed())))
        }
    }

    /// The index (its Bloom filter and table) finds exactly what a plain set lookup finds, among thousands of
    /// sightings of which some were heard from the keys.
    @Test func matchingAgreesWithAPlainLookupAmongThousandsOfSightings() {
        let start: Int32 = 2_650_000 - 2_650_000 % 144
        var generator = SystemRandomNumberGenerator()
        let keys = (0..<40).map { number in
            TemporaryExposureKey(
                keyData: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) },
                rollingStartIntervalNumber: start - Int32(number % 5) * 144
            )
        }
        var sightings = (0..<6_000).map { _ in
            Sighting(
                rpi: RollingProximityIdentifier(high: generator.next(), low: generator.next()),
                unixSeconds: Int64(start) * 600 - Int64.random(in: 0..<(5 * 86_400), using: &generator),
                attenuation: 60
            )
        }
        for (number, key) in keys.enumerated() where number % 2 == 0 {
            let interval = key.rollingStartIntervalNumber + Int32(number * 3 % 144)
            sightings.append(
                Sighting(
                    rpi: key.rollingProximityIdentifier(at: interval),
                    unixSeconds: Int64(interval) * 600,
                    attenuation: 50
                )
            )
        }
        var expected = 0
        for key in keys {
            let identifiers = Set(key.rollingProximityIdentifiers())
            expected += sightings.filter { identifiers.contains($0.rpi) }.count
        }
        let index = SightingIndex(sightings.shuffled())
        #expect(expected == 20)
        #expect(index.countMatches(for: keys) == expected)
        #expect(Set(index.matches(for: keys).map(\.sighting.rpi)).count == expected)
    }

    /// The batch derivation (one cipher context re-keyed per key) gives each key's own identifiers in order, for
    /// periods of 1 to 144, and skips a key that cannot be matched.
    @Test func batchDerivationAgreesWithEachKeyAlone() {
        var generator = SystemRandomNumberGenerator()
        let keys = [1, 144, 0, 37, 144].enumerated().map { number, period in
            TemporaryExposureKey(
                keyData: (0..<(number == 2 ? 15 : 16)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                rollingStartIntervalNumber: 2_650_000 + Int32(number) * 144 + 255,
                rollingPeriod: Int32(max(period, 1))
            )
        }
        var derived: [Int: [RollingProximityIdentifier]] = [:]
        TemporaryExposureKey.forEachIdentifier(of: keys) { derived[$0, default: []].append($1) }
        #expect(derived.keys.sorted() == [0, 1, 3, 4])
        for position in [0, 1, 3, 4] {
            #expect(derived[position] == keys[position].rollingProximityIdentifiers())
            #expect(derived[position]?.count == Int(keys[position].rollingPeriod))
        }
    }

    /// A sighting matches a diagnosis key within the key's validity widened by exactly two hours each side.
    @Test func matchingAllowsTwoHoursOfClockDriftAndNoMore() {
        let start: Int32 = 2_650_000 - 2_650_000 % 144
        let key = TemporaryExposureKey(
            keyData: Array(repeating: 7, count: 16),
            rollingStartIntervalNumber: start,
            rollingPeriod: 144
        )
        let rpis = key.rollingProximityIdentifiers()
        func sighting(_ index: Int, heardAt interval: Int32) -> Sighting {
            Sighting(rpi: rpis[index], unixSeconds: Int64(interval) * 600 + 30, attenuation: 50)
        }
        let stranger = TemporaryExposureKey(keyData: Array(repeating: 9, count: 16), rollingStartIntervalNumber: start)
        let index = SightingIndex([
            sighting(0, heardAt: start - 12),  // 2 h early: matches
            sighting(1, heardAt: start - 13),  // 2 h 10 min early: no
            sighting(143, heardAt: start + 144 + 11),  // within 2 h after the key expired: matches
            sighting(143, heardAt: start + 144 + 12),  // 2 h after: no
            sighting(50, heardAt: start + 50),  // on time: matches
            Sighting(
                rpi: stranger.rollingProximityIdentifier(at: start + 3),
                unixSeconds: Int64(start + 3) * 600,
                attenuation: 40
            ),
        ])
        let matches = index.matches(for: key)
        #expect(matches.map(\.sighting.interval).sorted() == [start - 12, start + 50, start + 155])
        #expect(index.countMatches(for: [key, stranger]) == 4)
        #expect(
            index.matches(
                for: TemporaryExposureKey(keyData: Array(repeating: 1, count: 16), rollingStartIntervalNumber: start)
            ).isEmpty
        )
        // Malformed keys from a file are skipped, never a crash.
        for bad in [
            TemporaryExposureKey(keyData: Array(repeating: 7, count: 15), rollingStartIntervalNumber: start),
            TemporaryExposureKey(keyData: Array(repeating: 7, count: 100), rollingStartIntervalNumber: start),
            TemporaryExposureKey(
                keyData: Array(repeating: 7, count: 16),
                rollingStartIntervalNumber: start,
                rollingPeriod: -5
            ),
            TemporaryExposureKey(
                keyData: Array(repeating: 7, count: 16),
                rollingStartIntervalNumber: start,
                rollingPeriod: 145
            ),
            TemporaryExposureKey(keyData: Array(repeating: 7, count: 16), rollingStartIntervalNumber: Int32.max - 10),
        ] {
            #expect(index.matches(for: bad).isEmpty)
        }
    }
}
