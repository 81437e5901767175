import Crypto
import Foundation

/// Trust lists as JSON in the EU DCC gateway's shape: an array of signer certificates, each
/// `{"kid", "country", "certificateType": "DSC", "rawData": base64 DER, "thumbprint", "timestamp"}`.
/// We publish ours in this shape and import other countries' lists from it.
public enum TrustListDocument {
    public struct Entry: Codable, Sendable, Equatable {
        public var kid: String
        public var country: String?
        public var certificateType: String?
        public var rawData: String
        public var thumbprint: String?
        public var timestamp: String?
        public var signature: String?

        public init(certificateDER der: [UInt8], country: String?, timestamp: Date) {
            kid = Data(TrustedSigner.kid(ofCertificate: der)).base64EncodedString()
            self.country = country
            certificateType = "DSC"
            rawData = Data(der).base64EncodedString()
            thumbprint = SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
            let formatter = ISO8601DateFormatter()
            self.timestamp = formatter.string(from: timestamp)
            signature = nil
        }
    }

    public struct ImportError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// The JSON for `certificates` (DER).
    public static func encode(_ certificates: [(der: [UInt8], country: String?)], at time: Date) -> Data {
        let entries = certificates.map { Entry(certificateDER: $0.der, country: $0.country, timestamp: time) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(entries)) ?? Data("[]".utf8)
    }

    /// The signers of a gateway-shaped list. A listed kid that does not match its certificate, or a
    /// certificate that cannot be read, is skipped and reported; only DSC entries are used.
    public static func decode(_ data: Data) throws(ImportError) -> (trust: TrustList, skipped: [String]) {
        let entries: [Entry]
        do {
            entries = try JSONDecoder().decode([Entry].self, from: data)
        } catch {
            throw ImportError(description: "not a trust list (a JSON array of {kid, rawData, …}): \(error)")
        }
        var trust = TrustList()
        var skipped: [String] = []
        for (index, entry) in entries.enumerated() {
            if let type = entry.certificateType, type != "DSC" { continue }
            guard let der = Data(base64Encoded: entry.rawData).map({ [UInt8]($0) }) else {
                skipped.append("entry \(index) (kid \(entry.kid)): rawData is not base64")
                continue
            }
            do {
                let signer = try TrustedSigner(certificateDER: der)
                guard Data(signer.kid).base64EncodedString() == entry.kid else {
                    skipped.append("entry \(index): kid \(entry.kid) does not match its certificate")
                    continue
                }
                trust.add(signer)
            } catch {
                skipped.append("entry \(index) (kid \(entry.kid)): \(error.description)")
            }
        }
        return (trust, skipped)
    }
}
