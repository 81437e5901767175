import ArgumentParser
import Crypto
import ExposureNotification
import ExposureNotificationArchive
import Foundation

/// `vaxtrace en …`: Exposure Notification files on the command line.
struct EN: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "en",
        abstract: "Exposure Notification (GAEN): inspect export files, run the risk calculation.",
        subcommands: [Export.self, Risk.self, ENSimulate.self]
    )

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Diagnosis-key export files.",
            subcommands: [Inspect.self]
        )
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Print an export's header, key count and signature verdict as JSON (FILE.zip, or FILE.bin with FILE.sig beside it)."
        )

        @Option(
            name: .customLong("public-key"),
            help: "The signer's P-256 public key, PEM; without it the verdict is not_checked."
        )
        var publicKey: String?

        @Argument(help: "export zip, or export.bin (its signature is read from export.sig in the same folder)")
        var file: String

        func run() async throws {
            let data = try readFile(file, what: "export")
            let signed: SignedExport
            if data.starts(with: [0x50, 0x4B]) {
                do {
                    signed = try ExportArchive.read(data)
                } catch {
                    throw ValidationError("\(file): \(error.description)")
                }
            } else {
                let sigPath = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(
                    "export.sig"
                ).path
                let sibling = URL(fileURLWithPath: file).deletingPathExtension().appendingPathExtension("sig").path
                let sig = FileManager.default.contents(atPath: sibling) ?? FileManager.default.contents(atPath: sigPath)
                signed = SignedExport(exportBin: [UInt8](data), exportSig: sig.map { [UInt8]($0) } ?? [])
            }
            let export: TemporaryExposureKeyExport
            do {
                export = try signed.export()
            } catch {
                throw ValidationError("\(file): \(error.description)")
            }
            var verdict = "not_checked"
            if let publicKey {
                let pem = String(decoding: try readFile(publicKey, what: "public key"), as: UTF8.self)
                // Strict PEM first; then any PEM-like text (one long base64 line, say) or bare base64 DER.
                let body = pem.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
                guard
                    let key = (try? P256.Signing.PublicKey(pemRepresentation: pem))
                        ?? Data(base64Encoded: body).flatMap({ try? P256.Signing.PublicKey(derRepresentation: $0) })
                else {
                    throw ValidationError("\(publicKey) is not a P-256 public key in PEM")
                }
                verdict = signed.verify(with: key).rawValue
            }
            let signatures = (try? TEKSignatureList(exportSig: signed.exportSig).signatures) ?? []
            let output = Inspection(
                region: export.region,
                batchNum: export.batchNumber,
                batchSize: export.batchSize,
                startTimestamp: export.startTimestamp,
                endTimestamp: export.endTimestamp,
                keyCount: export.keys.count,
                revisedKeyCount: export.revisedKeys.count,
                signatureInfos: export.signatureInfos,
                signatureCount: signatures.count,
                signature: verdict
            )
            try printJSON(output)
            if verdict == "invalid" || verdict == "malformed" || verdict == "unsigned" { throw ExitCode(1) }
        }

        struct Inspection: Encodable {
            var region: String?
            var batchNum: Int32?
            var batchSize: Int32?
            var startTimestamp: UInt64?
            var endTimestamp: UInt64?
            var keyCount: Int
            var revisedKeyCount: Int
            var signatureInfos: [SignatureInfo]
            var signatureCount: Int
            /// valid, invalid, unsigned, malformed, or not_checked (no --public-key).
            var signature: String
        }
    }

    struct Risk: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the Corona-Warn-App risk calculation over exposure windows and print the result as JSON."
        )

        @Option(
            help: ArgumentHelp(
                "Risk calculation parameters, JSON: the parameters object, or a test-case file holding defaultRiskCalculationConfiguration."
            )
        )
        var parameters: String

        @Option(help: ArgumentHelp("Exposure windows, JSON: an array, or an object holding exposureWindows."))
        var windows: String

        @Flag(help: "Round each day's normalised time to one decimal (overrides the parameters file).")
        var roundPerDay = false

        func run() async throws {
            let decoder = JSONDecoder()
            let parametersData = try readFile(parameters, what: "parameters")
            var config: RiskCalculationParameters
            do {
                if let wrapped = try? decoder.decode(ParametersFile.self, from: parametersData) {
                    config = wrapped.defaultRiskCalculationConfiguration
                } else {
                    config = try decoder.decode(RiskCalculationParameters.self, from: parametersData)
                }
            } catch {
                throw ValidationError("\(parameters): not risk calculation parameters (\(Self.describe(error)))")
            }
            if roundPerDay { config.roundNormalizedTimePerDay = true }
            let windowsData = try readFile(windows, what: "windows")
            let list: [ExposureWindow]
            do {
                if let wrapped = try? decoder.decode(WindowsFile.self, from: windowsData) {
                    list = wrapped.exposureWindows
                } else {
                    list = try decoder.decode([ExposureWindow].self, from: windowsData)
                }
            } catch {
                throw ValidationError("\(windows): not a JSON array of exposure windows (\(Self.describe(error)))")
            }
            do {
                try printJSON(try RiskCalculation(parameters: config).calculate(list))
            } catch {
                throw ValidationError(String(describing: error))
            }
        }

        struct ParametersFile: Decodable { var defaultRiskCalculationConfiguration: RiskCalculationParameters }
        struct WindowsFile: Decodable { var exposureWindows: [ExposureWindow] }

        static func describe(_ error: any Error) -> String {
            switch error {
            case DecodingError.keyNotFound(let key, let context):
                "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
            case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
                "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
            case DecodingError.dataCorrupted(let context): context.debugDescription
            default: "\(error)"
            }
        }
    }
}

/// A file's bytes, or a usage error naming what the file was for.
func readFile(_ path: String, what: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("cannot read the \(what) file \(path)")
    }
    return data
}

func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
