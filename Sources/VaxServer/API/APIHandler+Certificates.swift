import Foundation
import HealthCertificates
import OpenAPIRuntime
import QRCode
import VaxAPI
import VaxDomain
import VaxStorage

extension APIHandler {
    // MARK: Certificates

    func getCertificateTrustList(
        _ input: Operations.GetCertificateTrustList.Input
    ) async throws
        -> Operations.GetCertificateTrustList.Output
    {
        let data = try await certificates.trustListJSON()
        let entries = try JSONDecoder().decode([TrustListDocument.Entry].self, from: data)
        return .ok(
            .init(
                body: .json(
                    entries.map {
                        .init(
                            kid: $0.kid,
                            country: $0.country,
                            certificateType: .dsc,
                            rawData: $0.rawData,
                            thumbprint: $0.thumbprint,
                            timestamp: $0.timestamp
                        )
                    }
                )
            )
        )
    }

    func getCertificateRevocations(
        _ input: Operations.GetCertificateRevocations.Input
    ) async throws
        -> Operations.GetCertificateRevocations.Output
    {
        let hashes = try await certificates.revocations()
        return .ok(.init(body: .json(.init(hashType: .uci, hashes: hashes, generatedAt: certificates.clock.now()))))
    }

    func verifyCertificate(
        _ input: Operations.VerifyCertificate.Input
    ) async throws -> Operations.VerifyCertificate.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let text = body.text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty, text.utf8.count <= HC1.maxLength else {
            throw AppError.invalidField("text", "Paste the text of the certificate's QR code (HC1:…).")
        }
        let result = try await certificates.verifier().verify(text)
        return .ok(.init(body: .json(.init(result))))
    }

    func listCertificates(_ input: Operations.ListCertificates.Input) async throws -> Operations.ListCertificates.Output
    {
        let actor = try actor(reason: "vaccination certificates", accessReason: input.headers.xAccessReason)
        let found = try await certificates.certificates(of: try personID(input.path.personId), by: actor)
        return .ok(.init(body: .json(.init(items: found.map(Components.Schemas.HealthCertificate.init)))))
    }

    func getCertificateQR(_ input: Operations.GetCertificateQR.Input) async throws -> Operations.GetCertificateQR.Output
    {
        let actor = try actor(reason: "vaccination certificate QR", accessReason: input.headers.xAccessReason)
        // Access to the person is decided first, so an out-of-scope caller learns nothing from the id.
        let all = try await certificates.certificates(of: try personID(input.path.personId), by: actor)
        let id = try uuid(input.path.certificateId, field: "certificateId")
        guard let certificate = all.first(where: { $0.id == id }) else {
            throw AppError(.notFound, code: "not_found", message: "This person has no certificate \(id.lower).")
        }
        let code = try QRCode(certificate.hc1, errorCorrection: .quartile)
        switch input.query.format ?? .svg {
        case .svg:
            return .ok(.init(body: .imageSvgXml(HTTPBody(code.svg(side: "100%")))))
        case .png:
            return .ok(.init(body: .png(HTTPBody(code.png(scale: 4)))))
        }
    }
}

extension Components.Schemas.HealthCertificate {
    init(_ certificate: StoredHealthCertificate) {
        self.init(
            id: certificate.id.lower,
            uvci: certificate.uvci,
            doseId: certificate.doseID.lower,
            issuedAt: certificate.issuedAt,
            expiresAt: certificate.expiresAt,
            revoked: certificate.revokedAt != nil,
            revokedAt: certificate.revokedAt,
            qrText: certificate.hc1
        )
    }
}

extension Components.Schemas.CertificateVerdict {
    /// Only what a verifier needs: the verdict, the holder's name and date of birth, the issuer and expiry.
    init(_ result: VerificationResult) {
        self.init(
            valid: result.isValid,
            format: result.format.flatMap { .init(rawValue: $0.rawValue) },
            failure: result.failure.map {
                .init(check: .init(rawValue: $0.check.rawValue) ?? .decode, detail: $0.detail)
            },
            holderName: result.holderName,
            dateOfBirth: result.dateOfBirth,
            issuer: result.issuer,
            expiresAt: result.expiresAt
        )
    }
}
