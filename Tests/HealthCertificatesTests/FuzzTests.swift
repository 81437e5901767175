import Foundation
import HealthCertificates
import Testing

/// 10,000 random and mutated inputs to the decoders: each ends in a result or a typed error, never a
/// crash or a hang. Seeded, so a failure can be replayed.
@Suite struct FuzzTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func tenThousandHostileInputsNeverCrashOrHang() throws {
        let signer = try TestSigner(.es256)
        let valid = try signer.issue()
        let verifier = signer.verifier()
        let message = try HC1.decode(valid).message.encoded()
        var random = SplitMix(state: 20_261_127)
        var outcomes: [String: Int] = [:]
        let started = Date()
        for round in 0..<10_000 {
            let text: String
            switch round % 5 {
            case 0:  // random bytes as CBOR, and as COSE
                let bytes = (0..<Int.random(in: 0...300, using: &random)).map { _ in
                    UInt8.random(in: 0...255, using: &random)
                }
                _ = try? CBOR.decode(bytes)
                _ = try? COSESign1.decode(bytes)
                text = HC1.prefix + Base45.encode(Deflate.compress(bytes))
            case 1:  // the valid message with a few bytes changed, then packed again so zlib does not catch it
                var bytes = message
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
                _ = try? CBOR.decode(bytes)
                text = HC1.prefix + Base45.encode(Deflate.compress(bytes))
            case 2:  // truncated or extended message
                var bytes = Array(message.prefix(Int.random(in: 0...message.count, using: &random)))
                if Bool.random(using: &random) { bytes += [0xFF, 0x9F, 0xBF, 0x5F, 0x7F].shuffled(using: &random) }
                text = HC1.prefix + Base45.encode(Deflate.compress(bytes))
            case 3:  // characters of the QR text changed
                var characters = Array(valid)
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    characters[Int.random(in: 0..<characters.count, using: &random)] =
                        Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:#a").randomElement(using: &random)!
                }
                text = String(characters)
            default:  // CBOR built to be hostile: deep nesting, huge claimed lengths, indefinite items
                let head = [UInt8]([0x9F, 0xBF, 0x5F, 0x7F, 0x81, 0xA1, 0xD8, 0x1B, 0x5B, 0x9B, 0xFB])
                let bytes = (0..<Int.random(in: 1...2000, using: &random)).map { _ in
                    head.randomElement(using: &random)!
                }
                _ = try? CBOR.decode(bytes)
                text = HC1.prefix + Base45.encode(Deflate.compress(bytes))
            }
            let result = verifier.verify(text)
            outcomes[result.failure?.check.rawValue ?? "valid", default: 0] += 1
        }
        let seconds = Date().timeIntervalSince(started)
        print("fuzz: 10000 inputs in \(String(format: "%.1f", seconds)) s: \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes.values.reduce(0, +) == 10_000)
        #expect((outcomes["valid"] ?? 0) < 100)
    }
}
