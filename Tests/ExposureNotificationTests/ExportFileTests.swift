import Crypto
import ExposureNotification
import ExposureNotificationArchive
import Foundation
import Testing

/// The two published sample exports, the raw export of the internals app, and an export we build ourselves.
@Suite struct ExportFileTests {
    struct Decoded: Decodable {
        struct Key: Decodable {
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var key_data: String
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var transmission_risk_level: Int32?
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var rolling_start_interval_number: Int32
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var rolling_period: Int32?
        }
        struct Bin: Decodable {
            var keys: [Key]
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var start_timestamp: UInt64
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var end_timestamp: UInt64
            var region: String
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var batch_num: Int32
            // swift-format-ignore: AlwaysUseLowerCamelCase
            var batch_size: Int32
        }
        var bin: Bin

        enum CodingKeys: String, CodingKey { case bin = "export.bin" }
    }

    static func expectSameKeys(_ keys: [TemporaryExposureKey], _ decoded: [Decoded.Key]) {
        #expect(keys.count == decoded.count)
        for (key, expected) in zip(keys, decoded) {
            #expect(hex(key.keyData) == expected.key_data)
            #expect(key.transmissionRiskLevel == expected.transmission_risk_level)
            #expect(key.rollingStartIntervalNumber == expected.rolling_start_interval_number)
            #expect(key.rollingPeriod == (expected.rolling_period ?? 144))
        }
    }

    static func publicKey(base64 der: String) throws -> P256.Signing.PublicKey {
        try P256.Signing.PublicKey(derRepresentation: Data(base64Encoded: der)!)
    }

    static func flipped(_ export: SignedExport, at offset: Int) -> SignedExport {
        var copy = export
        copy.exportBin[offset] ^= 0x01
        return copy
    }

    @Test func theInternalsSampleVerifiesWithKey310AndFailsWithAnotherKeyOrAFlippedByte() throws {
        let export = try ExportArchive.read(fixture("internals_sample_diagnosis_key_file.zip"))
        let decoded = try JSONDecoder().decode(
            Decoded.self,
            from: fixture("internals_sample_diagnosis_key_file.decoded.json")
        )
        let file = try export.export()
        Self.expectSameKeys(file.keys, decoded.bin.keys)
        #expect(file.region == decoded.bin.region)
        #expect(file.startTimestamp == decoded.bin.start_timestamp)
        #expect(file.endTimestamp == decoded.bin.end_timestamp)
        #expect(file.batchNumber == 1 && file.batchSize == 1)
        let signatures = try TEKSignatureList(exportSig: export.exportSig)
        #expect(signatures.signatures.first?.signatureInfo?.verificationKeyID == "310")
        #expect(signatures.signatures.first?.signatureInfo?.verificationKeyVersion == "v1")

        let key310 = try Self.publicKey(
            base64:
                "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE49JY6kekDgxj3Crm4y6kEHdfoKQFSNDM4mV9cgDb+e5nOAw0GeRoRThCu9/wX5wDT2QloFoOjl2pGZHI0f3C3w=="
        )
        let exampleServer = try Self.publicKey(
            base64:
                "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEUczyMAkfSeoU77Nmcb1G7t7xyGCAhQqMOIVDFLFas3J+elP7CiotovigCLWj706F07j1EPL27ThRzZl7Ha9uOA=="
        )
        #expect(export.verify(with: key310) == .valid)
        #expect(export.verify(with: key310, keyID: "310") == .valid)
        #expect(export.verify(with: key310, keyID: "311") == .invalid)
        #expect(export.verify(with: exampleServer) == .invalid)
        #expect(Self.flipped(export, at: 100).verify(with: key310) == .invalid)
        #expect(Self.flipped(export, at: export.exportBin.count - 1).verify(with: key310) == .invalid)
    }

    @Test func theKeyServerExampleVerifiesWithItsPublicKeyAndFailsWithAnotherKeyOrAFlippedByte() throws {
        let export = try ExportArchive.read(fixture("ens_examples_testExport-2-records-1-of-1.zip"))
        let decoded = try JSONDecoder().decode(Decoded.self, from: fixture("ens_examples_testExport.decoded.json"))
        let file = try export.export()
        Self.expectSameKeys(file.keys, decoded.bin.keys)
        #expect(file.region == "US")
        #expect(file.signatureInfos.first?.verificationKeyID == "some_id")
        let published = try P256.Signing.PublicKey(
            pemRepresentation: String(decoding: fixture("ens_examples_public.pem"), as: UTF8.self)
        )
        #expect(export.verify(with: published) == .valid)
        #expect(export.verify(with: P256.Signing.PrivateKey().publicKey) == .invalid)
        for offset in [0, 16, 40, export.exportBin.count - 1] {
            #expect(Self.flipped(export, at: offset).verify(with: published) == .invalid, "byte \(offset)")
        }
        var badSignature = export
        badSignature.exportSig[badSignature.exportSig.count - 5] ^= 0x80
        #expect(badSignature.verify(with: published) == .invalid)
        #expect(SignedExport(exportBin: export.exportBin, exportSig: []).verify(with: published) == .unsigned)
        #expect(
            SignedExport(exportBin: export.exportBin, exportSig: [0x0A, 0x7F, 1]).verify(with: published) == .malformed
        )
    }

    @Test func theRawInternalsExportParsesWithTheDefaultRollingPeriod() throws {
        let bin = [UInt8](fixture("internals_app_raw_export.bin"))
        let decoded = try JSONDecoder().decode(Decoded.Bin.self, from: fixture("internals_app_raw_export.decoded.json"))
        let file = try TemporaryExposureKeyExport(exportBin: bin)
        Self.expectSameKeys(file.keys, decoded.keys)
        #expect(file.keys.contains { $0.rollingPeriod == 144 })
        #expect(file.signatureInfos.count == 1)  // holds only the reserved android_package field, skipped
        #expect(file.startTimestamp == 1_588_885_200)
    }

    /// We build the key server's example from its keys.json and sign it with its published test key.
    @Test func anExportWeBuildAndSignVerifiesAndParsesBackToTheSameKeys() throws {
        struct Keys: Decodable {
            struct Key: Decodable {
                var key: String
                var rollingStartNumber: Int32
                var rollingPeriod: Int32
                var transmissionRisk: Int32
            }
            var temporaryExposureKeys: [Key]
        }
        let input = try JSONDecoder().decode(Keys.self, from: fixture("ens_examples_keys.json"))
        let keys = input.temporaryExposureKeys.map {
            TemporaryExposureKey(
                keyData: [UInt8](Data(base64Encoded: $0.key)!),
                rollingStartIntervalNumber: $0.rollingStartNumber,
                rollingPeriod: $0.rollingPeriod,
                transmissionRiskLevel: $0.transmissionRisk
            )
        }
        let privateKey = try P256.Signing.PrivateKey(
            pemRepresentation: String(decoding: fixture("ens_examples_private.pem"), as: UTF8.self)
        )
        let publicKey = try P256.Signing.PublicKey(
            pemRepresentation: String(decoding: fixture("ens_examples_public.pem"), as: UTF8.self)
        )
        let info = SignatureInfo(verificationKeyVersion: "1", verificationKeyID: "some_id")
        let built = try SignedExport(
            export: TemporaryExposureKeyExport(
                startTimestamp: 1_590_159_600,
                endTimestamp: 1_590_246_000,
                region: "US",
                batchNumber: 1,
                batchSize: 1,
                signatureInfos: [],
                keys: keys
            ),
            info: info,
            signingKey: privateKey
        )
        #expect(built.verify(with: publicKey) == .valid)
        #expect(built.verify(with: publicKey, keyID: "some_id") == .valid)
        #expect(try built.export().keys == keys)
        // Field for field the same bytes as the reference server's export.bin.
        let reference = try ExportArchive.read(fixture("ens_examples_testExport-2-records-1-of-1.zip"))
        #expect(built.exportBin == reference.exportBin)
        // Through a zip and back.
        let zipped = try ExportArchive.write(built)
        let read = try ExportArchive.read(zipped)
        #expect(read.exportBin == built.exportBin && read.exportSig == built.exportSig)
        #expect(read.verify(with: publicKey) == .valid)
    }

    @Test func badFilesAreRefusedWithTheReason() throws {
        #expect(throws: ExportFormatError.missingHeader) {
            try TemporaryExposureKeyExport(exportBin: Array("EK Export v2    ".utf8))
        }
        #expect(throws: ExportFormatError.truncated) {
            try TemporaryExposureKeyExport(exportBin: TemporaryExposureKeyExport.header + [0x3A, 0x20, 0x0A])
        }
        #expect(throws: ExportFormatError.badWireType(field: 3, wireType: 0)) {
            try TemporaryExposureKeyExport(exportBin: TemporaryExposureKeyExport.header + [0x18, 0x01])
        }
        #expect(throws: ExportArchive.Failure.self) { try ExportArchive.read(Data("not a zip".utf8)) }
        // Negative days since onset travel as sint32 (zig-zag) and come back.
        let key = TemporaryExposureKey(
            keyData: Array(repeating: 3, count: 16),
            rollingStartIntervalNumber: 2_650_032,
            rollingPeriod: 144,
            transmissionRiskLevel: 0,
            reportType: .confirmedTest,
            daysSinceOnsetOfSymptoms: -3
        )
        let export = TemporaryExposureKeyExport(
            startTimestamp: 1,
            endTimestamp: 2,
            region: "VN",
            batchNumber: 1,
            batchSize: 1,
            signatureInfos: [],
            keys: [key]
        )
        #expect(try TemporaryExposureKeyExport(exportBin: export.exportBin()).keys == [key])
    }
}
