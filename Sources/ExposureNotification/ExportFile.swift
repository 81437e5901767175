import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Who signed an export and how (the export format's SignatureInfo).
public struct SignatureInfo: Hashable, Sendable, Codable {
    public var verificationKeyVersion: String?
    public var verificationKeyID: String?
    /// The ASN.1 OID of the algorithm; ECDSA with SHA-256 is "1.2.840.10045.4.3.2".
    public var signatureAlgorithm: String?

    public static let ecdsaP256SHA256 = "1.2.840.10045.4.3.2"

    public init(
        verificationKeyVersion: String?,
        verificationKeyID: String?,
        signatureAlgorithm: String? = Self.ecdsaP256SHA256
    ) {
        self.verificationKeyVersion = verificationKeyVersion
        self.verificationKeyID = verificationKeyID
        self.signatureAlgorithm = signatureAlgorithm
    }

    func encoded() -> [UInt8] {
        var writer = ProtobufWriter()
        writer.string(3, verificationKeyVersion)
        writer.string(4, verificationKeyID)
        writer.string(5, signatureAlgorithm)
        return writer.bytes
    }

    init(decoding bytes: ArraySlice<UInt8>) throws(ExportFormatError) {
        var reader = ProtobufReader(bytes)
        while !reader.atEnd {
            let (field, wireType) = try reader.field()
            switch field {
            case 3: verificationKeyVersion = try reader.string(field: field, wireType: wireType)
            case 4: verificationKeyID = try reader.string(field: field, wireType: wireType)
            case 5: signatureAlgorithm = try reader.string(field: field, wireType: wireType)
            default: try reader.skip(wireType: wireType, field: field)
            }
        }
    }
}

/// `export.bin`: the 16-byte header and a TemporaryExposureKeyExport protocol buffer.
public struct TemporaryExposureKeyExport: Hashable, Sendable {
    public static let header: [UInt8] = Array("EK Export v1    ".utf8)

    public var startTimestamp: UInt64?
    public var endTimestamp: UInt64?
    public var region: String?
    public var batchNumber: Int32?
    public var batchSize: Int32?
    public var signatureInfos: [SignatureInfo]
    public var keys: [TemporaryExposureKey]
    public var revisedKeys: [TemporaryExposureKey]

    public init(
        startTimestamp: UInt64?,
        endTimestamp: UInt64?,
        region: String?,
        batchNumber: Int32?,
        batchSize: Int32?,
        signatureInfos: [SignatureInfo],
        keys: [TemporaryExposureKey],
        revisedKeys: [TemporaryExposureKey] = []
    ) {
        self.startTimestamp = startTimestamp
        self.endTimestamp = endTimestamp
        self.region = region
        self.batchNumber = batchNumber
        self.batchSize = batchSize
        self.signatureInfos = signatureInfos
        self.keys = keys
        self.revisedKeys = revisedKeys
    }

    /// Reads `export.bin` (header included).
    public init(exportBin: [UInt8]) throws(ExportFormatError) {
        guard exportBin.count >= 16, Array(exportBin[0..<16]) == Self.header else { throw .missingHeader }
        self.init(
            startTimestamp: nil,
            endTimestamp: nil,
            region: nil,
            batchNumber: nil,
            batchSize: nil,
            signatureInfos: [],
            keys: []
        )
        var reader = ProtobufReader(exportBin[16...])
        while !reader.atEnd {
            let (field, wireType) = try reader.field()
            switch field {
            case 1, 2:
                guard wireType == 1 else { throw .badWireType(field: field, wireType: wireType) }
                let value = try reader.fixed64()
                if field == 1 { startTimestamp = value } else { endTimestamp = value }
            case 3: region = try reader.string(field: field, wireType: wireType)
            case 4: batchNumber = try reader.int32(field: field, wireType: wireType)
            case 5: batchSize = try reader.int32(field: field, wireType: wireType)
            case 6:
                signatureInfos.append(try SignatureInfo(decoding: try reader.message(field: field, wireType: wireType)))
            case 7: keys.append(try Self.decodeKey(try reader.message(field: field, wireType: wireType)))
            case 8: revisedKeys.append(try Self.decodeKey(try reader.message(field: field, wireType: wireType)))
            default: try reader.skip(wireType: wireType, field: field)
            }
        }
    }

    /// `export.bin` (header included), fields in number order.
    public func exportBin() -> [UInt8] {
        var writer = ProtobufWriter()
        writer.fixed64(1, startTimestamp)
        writer.fixed64(2, endTimestamp)
        writer.string(3, region)
        writer.int32(4, batchNumber)
        writer.int32(5, batchSize)
        for info in signatureInfos { writer.bytes(6, info.encoded()) }
        for key in keys { writer.bytes(7, Self.encodeKey(key)) }
        for key in revisedKeys { writer.bytes(8, Self.encodeKey(key)) }
        return Self.header + writer.bytes
    }

    static func encodeKey(_ key: TemporaryExposureKey) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.bytes(1, key.keyData)
        writer.int32(2, key.transmissionRiskLevel)
        writer.int32(3, key.rollingStartIntervalNumber)
        writer.int32(4, key.rollingPeriod)
        writer.int32(5, key.reportType?.rawValue)
        writer.sint32(6, key.daysSinceOnsetOfSymptoms)
        return writer.bytes
    }

    static func decodeKey(_ bytes: ArraySlice<UInt8>) throws(ExportFormatError) -> TemporaryExposureKey {
        var key = TemporaryExposureKey(keyData: [], rollingStartIntervalNumber: 0)
        var reader = ProtobufReader(bytes)
        while !reader.atEnd {
            let (field, wireType) = try reader.field()
            switch field {
            case 1: key.keyData = Array(try reader.message(field: field, wireType: wireType))
            case 2: key.transmissionRiskLevel = try reader.int32(field: field, wireType: wireType)
            case 3: key.rollingStartIntervalNumber = try reader.int32(field: field, wireType: wireType)
            case 4: key.rollingPeriod = try reader.int32(field: field, wireType: wireType)
            case 5:
                key.reportType = ReportType(rawValue: try reader.int32(field: field, wireType: wireType)) ?? .unknown
            case 6: key.daysSinceOnsetOfSymptoms = try reader.sint32(field: field, wireType: wireType)
            default: try reader.skip(wireType: wireType, field: field)
            }
        }
        return key
    }
}

/// One signature of `export.sig` (TEKSignature).
public struct TEKSignature: Hashable, Sendable {
    public var signatureInfo: SignatureInfo?
    public var batchNumber: Int32?
    public var batchSize: Int32?
    /// ECDSA signature in DER (X9.62) form.
    public var signature: [UInt8]

    public init(signatureInfo: SignatureInfo?, batchNumber: Int32?, batchSize: Int32?, signature: [UInt8]) {
        self.signatureInfo = signatureInfo
        self.batchNumber = batchNumber
        self.batchSize = batchSize
        self.signature = signature
    }
}

/// `export.sig`: a TEKSignatureList.
public struct TEKSignatureList: Hashable, Sendable {
    public var signatures: [TEKSignature]

    public init(signatures: [TEKSignature]) { self.signatures = signatures }

    public init(exportSig: [UInt8]) throws(ExportFormatError) {
        signatures = []
        var reader = ProtobufReader(exportSig[...])
        while !reader.atEnd {
            let (field, wireType) = try reader.field()
            guard field == 1 else {
                try reader.skip(wireType: wireType, field: field)
                continue
            }
            var signature = TEKSignature(signatureInfo: nil, batchNumber: nil, batchSize: nil, signature: [])
            var inner = ProtobufReader(try reader.message(field: field, wireType: wireType))
            while !inner.atEnd {
                let (field, wireType) = try inner.field()
                switch field {
                case 1:
                    signature.signatureInfo = try SignatureInfo(
                        decoding: try inner.message(field: field, wireType: wireType)
                    )
                case 2: signature.batchNumber = try inner.int32(field: field, wireType: wireType)
                case 3: signature.batchSize = try inner.int32(field: field, wireType: wireType)
                case 4: signature.signature = Array(try inner.message(field: field, wireType: wireType))
                default: try inner.skip(wireType: wireType, field: field)
                }
            }
            signatures.append(signature)
        }
    }

    public func exportSig() -> [UInt8] {
        var list = ProtobufWriter()
        for signature in signatures {
            var writer = ProtobufWriter()
            writer.bytes(1, signature.signatureInfo?.encoded())
            writer.int32(2, signature.batchNumber)
            writer.int32(3, signature.batchSize)
            writer.bytes(4, signature.signature)
            list.bytes(1, writer.bytes)
        }
        return list.bytes
    }
}

/// A signed export: the two files of an export zip.
public struct SignedExport: Sendable {
    public var exportBin: [UInt8]
    public var exportSig: [UInt8]

    public init(exportBin: [UInt8], exportSig: [UInt8]) {
        self.exportBin = exportBin
        self.exportSig = exportSig
    }

    /// Builds and signs `export.bin` with ECDSA P-256 / SHA-256 over all of its bytes, header included.
    /// The export's signature infos are set to `info`.
    public init(export: TemporaryExposureKeyExport, info: SignatureInfo, signingKey: P256.Signing.PrivateKey) throws {
        var export = export
        export.signatureInfos = [info]
        let bin = export.exportBin()
        let signature = try signingKey.signature(for: bin)
        let list = TEKSignatureList(signatures: [
            TEKSignature(
                signatureInfo: info,
                batchNumber: export.batchNumber,
                batchSize: export.batchSize,
                signature: Array(signature.derRepresentation)
            )
        ])
        self.init(exportBin: bin, exportSig: list.exportSig())
    }

    public func export() throws(ExportFormatError) -> TemporaryExposureKeyExport {
        try TemporaryExposureKeyExport(exportBin: exportBin)
    }

    /// The verdict for one public key.
    public enum Verdict: String, Codable, Sendable {
        /// A signature in export.sig verifies over export.bin with the key.
        case valid
        /// No signature verifies with the key.
        case invalid
        /// export.sig holds no signature at all.
        case unsigned
        /// export.sig cannot be read.
        case malformed
    }

    /// Checks every signature of export.sig against `publicKey`; when `keyID` is given only signatures naming
    /// that key id count.
    public func verify(with publicKey: P256.Signing.PublicKey, keyID: String? = nil) -> Verdict {
        guard let list = try? TEKSignatureList(exportSig: exportSig) else { return .malformed }
        guard !list.signatures.isEmpty else { return .unsigned }
        for entry in list.signatures {
            if let keyID, entry.signatureInfo?.verificationKeyID != keyID { continue }
            guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: entry.signature) else { continue }
            if publicKey.isValidSignature(signature, for: exportBin) { return .valid }
        }
        return .invalid
    }
}
