import Crypto
import Foundation
import HealthCertificates
import Testing
import _CryptoExtras

/// A country signing CA and a document signer, made fresh for a test.
struct TestSigner {
    let key: SigningKey
    let certificateDER: [UInt8]
    let authorityDER: [UInt8]
    var kid: [UInt8] { TrustedSigner.kid(ofCertificate: certificateDER) }
    var trust: TrustList { TrustList([try! TrustedSigner(certificateDER: certificateDER)]) }

    static let issued = Date(timeIntervalSince1970: 1_652_227_200)  // 2022-05-11, when the EU recognised VN

    init(_ algorithm: COSEAlgorithm) throws {
        let authorityKey = SigningKey.p256(P256.Signing.PrivateKey())
        key =
            algorithm == .es256
            ? .p256(P256.Signing.PrivateKey()) : .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        authorityDER = try SigningCertificates.makeAuthority(
            country: "VN",
            organization: "Vaxtrace test",
            key: authorityKey,
            validFrom: Self.issued.addingTimeInterval(-86400),
            years: 10
        )
        certificateDER = try SigningCertificates.makeDocumentSigner(
            country: "VN",
            organization: "Vaxtrace test",
            name: "DSC \(algorithm.name)",
            subjectKey: key,
            validFrom: Self.issued.addingTimeInterval(-3600),
            days: 730,
            authorityDER: authorityDER,
            authorityKey: authorityKey
        )
    }

    func issue(
        _ certificate: DigitalCovidCertificate = .sample,
        months: Int = 12,
        at issued: Date = issued
    ) throws
        -> String
    {
        let claims = CertificateClaims(
            issuer: "VN",
            issuedAt: issued,
            expiresAt: issued.addingTimeInterval(Double(months) * 30.44 * 86400),
            certificate: certificate
        )
        return try HC1.issue(claims, key: key, kid: kid)
    }

    func verifier(at time: Date = issued.addingTimeInterval(86400), revoked: Set<[UInt8]> = []) -> HC1Verifier {
        HC1Verifier(trust: trust, revoked: revoked, clock: { time })
    }
}

@Suite struct IssueAndVerifyTests {
    @Test(arguments: [COSEAlgorithm.es256, .ps256])
    func aCertificateWeIssueVerifiesAndDecodes(algorithm: COSEAlgorithm) throws {
        let signer = try TestSigner(algorithm)
        #expect(SigningCertificates.isIssued(signer.certificateDER, by: signer.authorityDER, at: TestSigner.issued))
        let text = try signer.issue()
        #expect(text.hasPrefix("HC1:"))
        #expect(text.allSatisfy { "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains($0) })
        let result = signer.verifier().verify(text)
        #expect(result.failure == nil)
        #expect(result.algorithm == algorithm.name)
        #expect(result.issuer == "VN")
        #expect(result.holderName == "Nguyễn Bảo Duy")
        #expect(result.dateOfBirth == "1990-04-14")
        #expect(result.content?["nam"]?["fnt"]?.string == "NGUYEN")
        #expect(result.content?["nam"]?["gnt"]?.string == "BAO<DUY")
        let decoded = try HC1.decode(text)
        #expect(decoded.claims.certificate == DigitalCovidCertificate.sample)
        #expect(decoded.message.kid == signer.kid)
    }

    @Test func eachFailedCheckIsNamed() throws {
        let signer = try TestSigner(.es256)
        let text = try signer.issue()
        let uvci = DigitalCovidCertificate.sample.vaccinations[0].certificateID
        func check(_ result: VerificationResult) -> CertificateFailure.Check? { result.failure?.check }

        #expect(check(signer.verifier(at: TestSigner.issued.addingTimeInterval(-60)).verify(text)) == .notYetValid)
        #expect(check(signer.verifier(at: TestSigner.issued.addingTimeInterval(400 * 86400)).verify(text)) == .expired)
        #expect(check(signer.verifier(revoked: [RevocationHash.uci(uvci)]).verify(text)) == .revoked)
        #expect(
            check(signer.verifier(revoked: [RevocationHash.countryCodeUCI(country: "VN", uvci: uvci)]).verify(text))
                == .revoked
        )
        #expect(check(HC1Verifier(trust: try TestSigner(.es256).trust).verify(text)) == .unknownKid)
        #expect(check(signer.verifier().verify("HC2:" + text.dropFirst(4))) == .format)
        #expect(check(signer.verifier().verify("HC1:abc")) == .format)
        #expect(check(signer.verifier().verify("HC1:" + Base45.encode(Array("not zlib".utf8)))) == .decode)
        #expect(check(signer.verifier().verify("HC1:" + Base45.encode(Deflate.compress([0x82, 0x01])))) == .decode)

        // Another key under the same kid: the signature check fails.
        let impostor = TestSigner.reSigned(text, with: .p256(P256.Signing.PrivateKey()))
        #expect(check(signer.verifier().verify(impostor)) == .signature)
        // One flipped bit anywhere in the signed message fails the signature.
        let decoded = try HC1.decode(text)
        for index in [0, 7, decoded.message.payload.count / 2, decoded.message.payload.count - 1] {
            var message = decoded.message
            message.payload[index] ^= 0x01
            let flipped = HC1.prefix + Base45.encode(Deflate.compress(message.encoded()))
            let failure = check(signer.verifier().verify(flipped))
            #expect(failure == .signature || failure == .decode, "byte \(index): \(String(describing: failure))")
        }
    }

    @Test func issuingRefusesAPayloadOutsideTheSchema() throws {
        let signer = try TestSigner(.es256)
        let bad = DigitalCovidCertificate.sample.with { $0.vaccinations[0].doseNumber = 0 }
        #expect {
            try signer.issue(bad)
        } throws: { error in
            (error as? CertificateFailure)?.check == .schema
        }
    }

    @Test func untaggedAndCWTTaggedMessagesAndAKidInTheUnprotectedHeaderAreAccepted() throws {
        let signer = try TestSigner(.es256)
        let message = try HC1.decode(try signer.issue()).message
        guard case .tagged(18, let body) = try CBOR.decode(message.encoded()) else {
            Issue.record("not tagged 18")
            return
        }
        for wrapped in [body, .tagged(61, .tagged(18, body))] {
            let text = HC1.prefix + Base45.encode(Deflate.compress(wrapped.encoded()))
            #expect(signer.verifier().verify(text).isValid)
        }
    }
}

extension TestSigner {
    /// The same claims and kid signed with another key.
    static func reSigned(_ text: String, with key: SigningKey) -> String {
        let decoded = try! HC1.decode(text)
        let message = try! COSESign1.sign(payload: decoded.message.payload, key: key, kid: decoded.message.kid!)
        return HC1.prefix + Base45.encode(Deflate.compress(message.encoded()))
    }
}
