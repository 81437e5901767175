import ExposureNotification
import Foundation
import OpenAPIRuntime
import VaxAPI
import VenueCheckIn

extension APIHandler {
    func issueVerificationCode(
        _ input: Operations.IssueVerificationCode.Input
    ) async throws -> Operations.IssueVerificationCode.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let issued = try await keyServer.issueCode(
            testType: body.testType.rawValue,
            symptomDate: body.symptomDate,
            testDate: body.testDate,
            by: try actor(reason: "exposure notification code")
        )
        return .created(
            .init(
                body: .json(
                    .init(
                        id: issued.id.uuidString.lowercased(),
                        code: issued.code,
                        longCode: issued.longCode,
                        expiresAt: issued.expiresAt,
                        longExpiresAt: issued.longExpiresAt
                    )
                )
            )
        )
    }

    func verifyExposureCode(
        _ input: Operations.VerifyExposureCode.Input
    ) async throws -> Operations.VerifyExposureCode.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let token = try await keyServer.verify(code: body.code)
        return .ok(
            .init(
                body: .json(
                    .init(
                        token: token.token,
                        testType: .init(rawValue: token.testType) ?? .confirmed,
                        symptomDate: token.symptomDate,
                        tokenExpiresAt: token.expiresAt
                    )
                )
            )
        )
    }

    func getExposureCertificate(
        _ input: Operations.GetExposureCertificate.Input
    ) async throws -> Operations.GetExposureCertificate.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        let certificate = try await keyServer.certificate(token: body.token, ekeyhmac: body.ekeyhmac)
        return .ok(.init(body: .json(.init(certificate: certificate.certificate, expiresAt: certificate.expiresAt))))
    }

    func publishExposureKeys(
        _ input: Operations.PublishExposureKeys.Input
    ) async throws -> Operations.PublishExposureKeys.Output {
        guard case .json(let body) = input.body else { throw AppError.unsupportedMediaType }
        var keys: [TemporaryExposureKey] = []
        for (index, key) in body.temporaryExposureKeys.enumerated() {
            guard let data = Data(base64Encoded: key.key) else {
                throw AppError.invalidField(
                    "temporaryExposureKeys[\(index)].key",
                    "temporaryExposureKeys[\(index)].key is not base64"
                )
            }
            keys.append(
                TemporaryExposureKey(
                    keyData: [UInt8](data),
                    rollingStartIntervalNumber: key.rollingStartNumber,
                    rollingPeriod: key.rollingPeriod,
                    transmissionRiskLevel: key.transmissionRisk ?? 0
                )
            )
        }
        let chaff = !(input.headers.xChaff ?? "").isEmpty
        let inserted = try await keyServer.publish(
            .init(keys: keys, hmacKey: body.hmacKey, verificationPayload: body.verificationPayload),
            chaff: chaff
        )
        return .ok(.init(body: .json(.init(insertedExposures: inserted))))
    }

    func getExportSigningKeys(
        _ input: Operations.GetExportSigningKeys.Input
    ) async throws -> Operations.GetExportSigningKeys.Output {
        let keys = try await keyServer.signingKeys()
        return .ok(
            .init(
                body: .json(
                    .init(
                        region: keyServer.settings.region,
                        items: keys.map {
                            .init(
                                keyId: $0.keyID,
                                version: $0.version,
                                publicKey: $0.publicKeyPEM,
                                createdAt: $0.createdAt,
                                retiredAt: $0.retiredAt
                            )
                        }
                    )
                )
            )
        )
    }
}
