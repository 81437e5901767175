import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The HMAC a phone computes over the keys it is about to publish, so that a verification certificate is
/// bound to exactly those keys (the exposure-notifications-server verification protocol).
///
/// cleartext = join(",", sorted( base64(key) "." rollingStart "." rollingPeriod ["." transmissionRisk] ))
/// tekmac = base64(HMAC-SHA256(secret, cleartext)).
public enum TEKMAC {
    public static func cleartext(_ keys: [TemporaryExposureKey], includeTransmissionRisk: Bool = true) -> String {
        keys.map { key in
            var text =
                "\(Data(key.keyData).base64EncodedString()).\(key.rollingStartIntervalNumber).\(key.rollingPeriod)"
            if includeTransmissionRisk { text += ".\(key.transmissionRiskLevel ?? 0)" }
            return text
        }
        .sorted()
        .joined(separator: ",")
    }

    public static func compute(
        _ keys: [TemporaryExposureKey],
        secret: [UInt8],
        includeTransmissionRisk: Bool = true
    ) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(cleartext(keys, includeTransmissionRisk: includeTransmissionRisk).utf8),
            using: SymmetricKey(data: secret)
        )
        return Data(mac).base64EncodedString()
    }

    /// Whether `tekmac` matches the keys, with the transmission risk or, when every key's risk is 0, without
    /// it (the server accepts both forms, as the reference server does).
    public static func matches(_ tekmac: String, keys: [TemporaryExposureKey], secret: [UInt8]) -> Bool {
        guard let expected = Data(base64Encoded: tekmac) else { return false }
        func equal(_ candidate: String) -> Bool {
            guard let bytes = Data(base64Encoded: candidate), bytes.count == expected.count else { return false }
            return zip(bytes, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
        if equal(compute(keys, secret: secret)) { return true }
        if keys.allSatisfy({ ($0.transmissionRiskLevel ?? 0) == 0 }) {
            return equal(compute(keys, secret: secret, includeTransmissionRisk: false))
        }
        return false
    }
}
