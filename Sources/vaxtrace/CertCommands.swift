import ArgumentParser
import Foundation
import HealthCertificates

/// `vaxtrace cert …`: health certificates on the command line.
struct Cert: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Health certificates (EU DCC / HC1 and SMART Health Cards).",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Verify an HC1:… or shc:/… text; prints the verdict and the content as JSON, exits 0 only when valid."
        )

        @Option(name: .customLong("certificate"), help: "A trusted signing certificate, PEM or DER (repeatable).")
        var certificates: [String] = []

        @Option(name: .customLong("trust-list"), help: "A trust list in the EU gateway's JSON shape.")
        var trustList: String?

        @Option(help: "A JWKS of SMART Health Card issuer keys.")
        var jwks: String?

        @Option(help: "Verify as at this time (ISO 8601), instead of now.")
        var at: String?

        @Argument(help: "The certificate text, or - to read it from standard input.")
        var text: String

        func run() async throws {
            var trust = TrustList()
            for path in certificates {
                let data = try readFile(path, what: "certificate")
                let der = Self.der(fromPEMOrDER: data)
                do {
                    trust.add(try TrustedSigner(certificateDER: der))
                } catch {
                    throw ValidationError("\(path): \(error.description)")
                }
            }
            if let trustList {
                do {
                    let (imported, skipped) = try TrustListDocument.decode(try readFile(trustList, what: "trust list"))
                    for signer in imported.signers { trust.add(signer) }
                    for line in skipped { FileHandle.standardError.write(Data("trust list: skipped \(line)\n".utf8)) }
                } catch let error as TrustListDocument.ImportError {
                    throw ValidationError("\(trustList): \(error.description)")
                }
            }
            let time: Date
            if let at {
                guard let parsed = Self.date(at) else {
                    throw ValidationError("--at \(at) is not an ISO 8601 time such as 2022-05-11T09:00:00Z")
                }
                time = parsed
            } else {
                time = Date()
            }
            var input = text
            if input == "-" {
                input = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            }
            input = input.trimmingCharacters(in: .whitespacesAndNewlines)
            let result: VerificationResult
            if input.lowercased().hasPrefix("shc:/") {
                var keys = JWKS()
                if let jwks {
                    do {
                        keys = try JWKS(json: try readFile(jwks, what: "JWKS"))
                    } catch let error as JWKS.InvalidKeySet {
                        throw ValidationError("\(jwks): \(error.description)")
                    }
                }
                result = SmartHealthCardVerifier(keys: keys, clock: { time }).verify(input)
            } else {
                result = HC1Verifier(trust: trust, clock: { time }).verify(input)
            }
            print(String(decoding: Self.json(result).encoded(pretty: true), as: UTF8.self))
            if !result.isValid { throw ExitCode(1) }
        }

        static func der(fromPEMOrDER data: Data) -> [UInt8] {
            let text = String(decoding: data, as: UTF8.self)
            guard text.contains("-----BEGIN") else { return [UInt8](data) }
            let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            return Data(base64Encoded: body).map { [UInt8]($0) } ?? [UInt8](data)
        }

        static func date(_ text: String) -> Date? {
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withFullDate]
            return formatter.date(from: text)
        }

        static func json(_ result: VerificationResult) -> JSONValue {
            var object: [String: JSONValue] = [
                "valid": .bool(result.isValid),
                "format": result.format.map { .string($0.rawValue) } ?? .null,
            ]
            if let failure = result.failure {
                object["failure"] = .object([
                    "check": .string(failure.check.rawValue), "detail": .string(failure.detail),
                ])
            }
            let formatter = ISO8601DateFormatter()
            if let kid = result.kid { object["kid"] = .string(Data(kid).base64EncodedString()) }
            if let v = result.algorithm { object["algorithm"] = .string(v) }
            if let v = result.issuer { object["issuer"] = .string(v) }
            if let v = result.issuedAt { object["issuedAt"] = .string(formatter.string(from: v)) }
            if let v = result.expiresAt { object["expiresAt"] = .string(formatter.string(from: v)) }
            if let v = result.holderName { object["holderName"] = .string(v) }
            if let v = result.dateOfBirth { object["dateOfBirth"] = .string(v) }
            if let v = result.content { object["content"] = v }
            return .object(object)
        }
    }
}
