import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// The X.509 side of DCC signing: a country signing certificate authority (CSCA) and the document
/// signing certificates (DSCs) it issues, in the shape the EU DCC certificate governance asks for.
public enum SigningCertificates {
    /// The DCC extended key usages: a DSC that carries one or more may only sign those kinds.
    public static let usageTest: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 1847, 2021, 1, 1]
    public static let usageVaccination: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 1847, 2021, 1, 2]
    public static let usageRecovery: ASN1ObjectIdentifier = [1, 3, 6, 1, 4, 1, 1847, 2021, 1, 3]

    /// A self-signed CSCA certificate (DER) for `country`.
    public static func makeAuthority(
        country: String,
        organization: String,
        key: SigningKey,
        validFrom: Date,
        years: Int
    ) throws -> [UInt8] {
        let name = try DistinguishedName {
            CountryName(country)
            OrganizationName(organization)
            CommonName("\(organization) CSCA")
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: certificatePrivateKey(key).publicKey,
            notValidBefore: validFrom,
            notValidAfter: validFrom.addingTimeInterval(Double(years) * 365.25 * 86400),
            issuer: name,
            subject: name,
            signatureAlgorithm: signatureAlgorithm(key),
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: certificatePrivateKey(key)
        )
        return try der(certificate)
    }

    /// A DSC (DER) for `subjectKey`, signed by the CSCA, allowed to sign vaccination certificates.
    public static func makeDocumentSigner(
        country: String,
        organization: String,
        name: String,
        subjectKey: SigningKey,
        validFrom: Date,
        days: Int,
        authorityDER: [UInt8],
        authorityKey: SigningKey
    ) throws -> [UInt8] {
        let authority = try Certificate(derEncoded: authorityDER)
        let subject = try DistinguishedName {
            CountryName(country)
            OrganizationName(organization)
            CommonName(name)
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: .init(),
            publicKey: certificatePrivateKey(subjectKey).publicKey,
            notValidBefore: validFrom,
            notValidAfter: validFrom.addingTimeInterval(Double(days) * 86400),
            issuer: authority.subject,
            subject: subject,
            signatureAlgorithm: signatureAlgorithm(authorityKey),
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.init(oid: usageVaccination)])
            },
            issuerPrivateKey: certificatePrivateKey(authorityKey)
        )
        return try der(certificate)
    }

    /// Whether `documentSignerDER` was signed by the CSCA `authorityDER` and is within its validity at `time`.
    public static func isIssued(_ documentSignerDER: [UInt8], by authorityDER: [UInt8], at time: Date) -> Bool {
        guard let dsc = try? Certificate(derEncoded: documentSignerDER),
            let csca = try? Certificate(derEncoded: authorityDER)
        else { return false }
        return csca.publicKey.isValidSignature(dsc.signature, for: dsc) && dsc.notValidBefore <= time
            && time <= dsc.notValidAfter
    }

    public static func pem(_ der: [UInt8]) -> String {
        PEMDocument(type: "CERTIFICATE", derBytes: der).pemString
    }

    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func certificatePrivateKey(_ key: SigningKey) -> Certificate.PrivateKey {
        switch key {
        case .p256(let k): Certificate.PrivateKey(k)
        case .rsa(let k): Certificate.PrivateKey(k)
        }
    }

    static func signatureAlgorithm(_ key: SigningKey) -> Certificate.SignatureAlgorithm {
        if case .p256 = key { .ecdsaWithSHA256 } else { .sha256WithRSAEncryption }
    }
}
