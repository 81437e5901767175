import Foundation
import HealthCertificates
import Testing

func hexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

@Suite struct CBORTests {
    /// RFC 8949 Appendix A: the item, and its preferred encoding.
    static let vectors: [(CBOR, String)] = [
        (.unsigned(0), "00"), (.unsigned(23), "17"), (.unsigned(24), "1818"), (.unsigned(100), "1864"),
        (.unsigned(1000), "1903e8"), (.unsigned(1_000_000), "1a000f4240"),
        (.unsigned(1_000_000_000_000), "1b000000e8d4a51000"), (.unsigned(UInt64.max), "1bffffffffffffffff"),
        (.int(-1), "20"), (.int(-100), "3863"), (.int(-1000), "3903e7"),
        (.bytes([1, 2, 3, 4]), "4401020304"), (.text(""), "60"), (.text("IETF"), "6449455446"),
        (.text("ü"), "62c3bc"), (.text("水"), "63e6b0b4"),
        (
            .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])]),
            "8301820203820405"
        ),
        (
            .map([.init(.text("a"), .unsigned(1)), .init(.text("b"), .array([.unsigned(2), .unsigned(3)]))]),
            "a26161016162820203"
        ),
        (.double(1.5), "f93e00"), (.double(100000.0), "fa47c35000"), (.double(1.1), "fb3ff199999999999a"),
        (.double(-4.0), "f9c400"), (.bool(false), "f4"), (.bool(true), "f5"), (.null, "f6"), (.undefined, "f7"),
        (.simple(16), "f0"), (.simple(255), "f8ff"),
        (.tagged(1, .unsigned(1_363_896_240)), "c11a514b67b0"),
        (.tagged(0, .text("2013-03-21T20:04:00Z")), "c074323031332d30332d32315432303a30343a30305a"),
    ]

    @Test func encodesAndDecodesTheRFCExamples() throws {
        for (item, hex) in Self.vectors {
            #expect(hexString(item.encoded()) == hex, "\(item)")
            #expect(try CBOR.decode(hexBytes(hex)) == item, "\(hex)")
        }
    }

    @Test func acceptsIndefiniteLengthsAndNonShortestHeads() throws {
        #expect(try CBOR.decode(hexBytes("5f42010243030405ff")) == .bytes([1, 2, 3, 4, 5]))
        #expect(try CBOR.decode(hexBytes("7f657374726561646d696e67ff")) == .text("streaming"))
        #expect(try CBOR.decode(hexBytes("9fff")) == .array([]))
        let nested = CBOR.array([
            .unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)]),
        ])
        #expect(try CBOR.decode(hexBytes("9f018202039f0405ffff")) == nested)
        #expect(try CBOR.decode(hexBytes("bf61610161629f0203ffff"))["b"] == .array([.unsigned(2), .unsigned(3)]))
        #expect(try CBOR.decode(hexBytes("1b0000000000000001")) == .unsigned(1))
        // Re-encoding is strict: definite lengths, shortest heads.
        #expect(hexString(try CBOR.decode(hexBytes("9f018202039f0405ffff")).encoded()) == "8301820203820405")
    }

    @Test func refusesMalformedAndHostileInput() {
        let bad: [(String, String)] = [
            ("", "unexpected end"), ("18", "runs past the end"), ("0000", "after the item"),
            ("62c3", "runs past the end"), ("62c328", "UTF-8"), ("1c", "reserved"), ("ff", "unexpected break"),
            ("5f6161ff", "chunk"), ("9f01", "indefinite"), ("9b00000000ffffffff", "runs past the end"),
            ("5b00000000ffffffff", "runs past the end"), ("bb00000000ffffffff", "runs past the end"),
            ("f818", "simple value"), ("1f", "indefinite integer"),
        ]
        for (hex, reason) in bad {
            #expect {
                try CBOR.decode(hexBytes(hex))
            } throws: { error in
                (error as? CBORError)?.reason.contains(reason) == true
            }
        }
        // 100,000 nested arrays stop at the depth limit instead of exhausting the stack.
        let deep = [UInt8](repeating: 0x81, count: 100_000) + [0x00]
        #expect(throws: CBORError.self) { try CBOR.decode(deep) }
        let wide = [0x9F] + [UInt8](repeating: 0x00, count: 200_000) + [0xFF]
        #expect(throws: CBORError.self) { try CBOR.decode(wide) }
    }
}

@Suite struct Base45Tests {
    /// RFC 9285 §4.
    @Test func theRFCExamples() throws {
        #expect(Base45.encode(Array("AB".utf8)) == "BB8")
        #expect(Base45.encode(Array("Hello!!".utf8)) == "%69 VD92EX0")
        #expect(Base45.encode(Array("base-45".utf8)) == "UJCLQE7W581")
        #expect(try Base45.decode("QED8WEX0") == Array("ietf!".utf8))
        #expect(try Base45.decode("") == [])
    }

    @Test func refusesBadInput() {
        #expect(throws: Base45.DecodingError.self) { try Base45.decode("GGW") }  // 65535 + 1: more than two bytes
        #expect(throws: Base45.DecodingError.self) { try Base45.decode("A") }  // impossible length
        #expect(throws: Base45.DecodingError.self) { try Base45.decode("ab!") }  // lower case is not Base45
    }

    @Test func roundTripsRandomBytes() throws {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(try Base45.decode(Base45.encode(bytes)) == bytes)
        }
    }
}

@Suite struct ZlibTests {
    @Test func storedAndCompressedStreamsBothInflateAndDamageIsCaught() throws {
        let text = Array(String(repeating: "Nguyễn Bảo Duy 1990-04-14 ", count: 40).utf8)
        let stored = Deflate.compress(text)  // what we write: stored blocks
        #expect(stored.count > text.count && stored[0] & 0x0F == 8)  // zlib, deflate method
        #expect(try Deflate.decompress(stored) == text)
        // Python's zlib.compress(text, 9) of the same bytes: dynamic Huffman blocks, through zlib.
        let compressed = try #require(
            Data(base64Encoded: "eNrzSy+tfLi7NU/B6eGuxfkKLqWVCoaWlga6Bia6hiYKfqOyo7KjsqOyg0YWAIcXr3g=")
        )
        #expect(try Deflate.decompress([UInt8](compressed)) == text)
        var badChecksum = stored
        badChecksum[badChecksum.count - 1] ^= 1
        #expect(throws: Deflate.DecompressionError.self) { try Deflate.decompress(badChecksum) }
        var badLength = stored
        badLength[3] ^= 1
        #expect(throws: Deflate.DecompressionError.self) { try Deflate.decompress(badLength) }
        #expect(throws: Deflate.DecompressionError.self) { try Deflate.decompress(Array(stored.dropLast(5))) }
        #expect(throws: Deflate.DecompressionError.self) { try Deflate.decompress(stored, maxOutput: 100) }
    }
}

@Suite struct NamesAndIdentifiersTests {
    @Test func vietnameseNamesTransliterateAsTheVietnameseCertificatesDo() {
        #expect(ICAOTransliteration.transliterate("Nguyễn") == "NGUYEN")
        #expect(ICAOTransliteration.transliterate("Bảo Duy") == "BAO<DUY")
        #expect(ICAOTransliteration.transliterate("Đặng Thị Ánh Tuyết") == "DANG<THI<ANH<TUYET")
        #expect(ICAOTransliteration.transliterate("Trương  Vĩnh-Ký") == "TRUONG<VINH<KY")
        #expect(ICAOTransliteration.transliterate("Musterfrau-Gößinger") == "MUSTERFRAU<GOESSINGER")
        #expect(ICAOTransliteration.transliterate("d'Červenková Panklová") == "DCERVENKOVA<PANKLOVA")
        // Decomposed input (as some keyboards send it) gives the same result.
        #expect(ICAOTransliteration.transliterate("Nguye\u{0302}\u{0303}n") == "NGUYEN")
    }

    @Test func uvciCheckCharactersMatchTheSchemaFAQAndPublishedCertificates() {
        #expect(UVCI.checkCharacter("URN:UVCI:01:NL:187/37512422923") == "Z")
        for uvci in [
            "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B", "URN:UVCI:01:DK:0EF88044F7935DF2B4A938A38C14C97C#C",
            "URN:UVCI:01:FR:GGD81AAH16A4#Y", "URN:UVCI:01:FR:P4LU2647E8HN#/", "URN:UVCI:01:FR:Y4996KBJ4Q3Q#:",
        ] {
            #expect(UVCI.hasValidCheckCharacter(uvci), "\(uvci)")
        }
        #expect(!UVCI.hasValidCheckCharacter("URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#C"))
        let made = UVCI.make(country: "vn", opaque: UVCI.opaque(Array(0..<16)))
        #expect(made.hasPrefix("URN:UVCI:01:VN:AAAQEAYEAUDAOCAJBIFQYDIOB4"))
        #expect(UVCI.hasValidCheckCharacter(made))
        // Any single substituted character is caught.
        let body = String(made.dropLast(2))
        for (i, c) in body.enumerated() where c.isLetter || c.isNumber {
            var changed = Array(body)
            changed[i] = c == "A" ? "B" : "A"
            #expect(!UVCI.hasValidCheckCharacter(String(changed) + "#" + String(made.last!)))
        }
    }

    @Test func theSchemaIsStrictWhenIssuingAndTolerantWhenAccepting() {
        var payload = DigitalCovidCertificate.sample.cbor
        #expect(DCCSchema.v1_3_0.violation(of: payload, mode: .issuing) == nil)
        payload = DigitalCovidCertificate.sample.with { $0.vaccinations[0].date = "2021-09-14T08:00:00Z" }.cbor
        #expect(DCCSchema.v1_3_0.violation(of: payload, mode: .issuing)?.contains("$.v[0].dt") == true)
        #expect(DCCSchema.v1_3_3.violation(of: payload, mode: .accepting) == nil)
        payload = DigitalCovidCertificate.sample.with { $0.name.familyNameICAO = "Nguyen" }.cbor
        #expect(DCCSchema.v1_3_0.violation(of: payload, mode: .issuing)?.contains("$.nam.fnt") == true)
        payload = DigitalCovidCertificate.sample.with { $0.dateOfBirth = "1990-02-30" }.cbor
        #expect(DCCSchema.v1_3_0.violation(of: payload, mode: .issuing) != nil)
        payload = DigitalCovidCertificate.sample.with { $0.tests = [.map([])] }.cbor
        #expect(DCCSchema.v1_3_0.violation(of: payload, mode: .issuing)?.contains("exactly one") == true)
    }
}

extension DigitalCovidCertificate {
    static let sample = DigitalCovidCertificate(
        name: .init(familyName: "Nguyễn", givenName: "Bảo Duy"),
        dateOfBirth: "1990-04-14",
        vaccinations: [
            .init(
                prophylaxis: "J07BX03",
                product: "Vaxzevria",
                manufacturer: "ORG-100001699",
                doseNumber: 2,
                totalDoses: 2,
                date: "2021-09-14",
                country: "VN",
                issuer: "Ministry of Health of Viet Nam",
                certificateID: UVCI.make(country: "VN", opaque: "TESTSAMPLE0001")
            )
        ]
    )

    func with(_ change: (inout DigitalCovidCertificate) -> Void) -> DigitalCovidCertificate {
        var copy = self
        change(&copy)
        return copy
    }
}
