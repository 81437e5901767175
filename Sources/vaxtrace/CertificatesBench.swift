import ArgumentParser
import Crypto
import Foundation
import HealthCertificates
import _CryptoExtras

#if canImport(Glibc)
import Glibc
#endif

/// `vaxtrace bench certificates`: HC1 issuance and verification on one core, next to `openssl speed`
/// measured in the same run (targets: verify ratio ≥ 0.8 for ES256, issuance ratio ≥ 0.5).
struct CertificatesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certificates",
        abstract: "HC1 verifications/s (ES256) and issuance/s (ES256, PS256) on one core, next to openssl speed."
    )

    @Option(help: "Seconds for each measurement (ours and openssl's).")
    var seconds = 3.0

    func run() async throws {
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores; one thread measured; \(seconds) s each")
        let issued = Date()
        let certificate = DigitalCovidCertificate(
            name: .init(familyName: "Nguyễn", givenName: "Bảo Duy"),
            dateOfBirth: "1990-04-14",
            vaccinations: [
                .init(
                    prophylaxis: "J07BX03",
                    product: "Vaxzevria",
                    manufacturer: "ORG-100001699",
                    doseNumber: 2,
                    totalDoses: 2,
                    date: "2021-09-14",
                    country: "VN",
                    issuer: "Ministry of Health of Viet Nam",
                    certificateID: UVCI.make(country: "VN", opaque: UVCI.opaque(Array(0..<16)))
                )
            ]
        )
        let claims = CertificateClaims(
            issuer: "VN",
            issuedAt: issued,
            expiresAt: issued.addingTimeInterval(365 * 86400),
            certificate: certificate
        )

        var ours: [String: Double] = [:]
        var texts: [String: String] = [:]
        var trust = TrustList()
        for algorithm in [COSEAlgorithm.es256, .ps256] {
            let key: SigningKey =
                algorithm == .es256
                ? .p256(P256.Signing.PrivateKey()) : .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048))
            let der = try SigningCertificates.makeAuthority(
                country: "VN",
                organization: "Vaxtrace bench",
                key: key,
                validFrom: issued.addingTimeInterval(-60),
                years: 1
            )
            let kid = TrustedSigner.kid(ofCertificate: der)
            trust.add(try TrustedSigner(certificateDER: der))
            var last = ""
            ours["issue \(algorithm.name)"] = try rate(seconds) { last = try HC1.issue(claims, key: key, kid: kid) }
            texts[algorithm.name] = last
        }
        let verifier = HC1Verifier(trust: trust, clock: { issued.addingTimeInterval(60) })
        for name in ["ES256", "PS256"] {
            let text = texts[name]!
            guard verifier.verify(text).isValid else { throw ValidationError("the \(name) certificate did not verify") }
            ours["verify \(name)"] = try rate(seconds) {
                if !verifier.verify(text).isValid { throw ValidationError("verification failed") }
            }
        }

        // The signature alone, through swift-crypto (BoringSSL), to show what the rest of the pipeline costs.
        let rawKey = P256.Signing.PrivateKey()
        let message = Array(repeating: UInt8(7), count: 300)
        let rawSignature = try rawKey.signature(for: message)
        ours["raw verify"] = try rate(seconds) { _ = rawKey.publicKey.isValidSignature(rawSignature, for: message) }
        ours["raw sign"] = try rate(seconds) { _ = try rawKey.signature(for: message) }

        let ecdsa = try openssl(["ecdsap256"], row: "256 bits ecdsa (nistp256)")
        let rsa = try openssl(["rsa2048"], row: "rsa 2048 bits")
        func line(_ what: String, _ value: Double, _ reference: Double, _ referenceName: String, target: Double) {
            let ratio = value / reference
            print(
                String(
                    format: "%-14@ %9.0f /s   openssl %-16@ %9.0f /s   ratio %.2f (target ≥ %.1f: %@)",
                    what as NSString,
                    value,
                    referenceName as NSString,
                    reference,
                    ratio,
                    target,
                    (ratio >= target ? "met" : "NOT met") as NSString
                )
            )
        }
        line("HC1 verify ES256", ours["verify ES256"]!, ecdsa.verify, "ecdsap256 verify", target: 0.8)
        line("HC1 issue ES256", ours["issue ES256"]!, ecdsa.sign, "ecdsap256 sign", target: 0.5)
        line("HC1 issue PS256", ours["issue PS256"]!, rsa.sign, "rsa2048 sign", target: 0.5)
        print(
            String(
                format: "HC1 verify PS256 %9.0f /s   (openssl rsa2048 verify %9.0f /s)",
                ours["verify PS256"]!,
                rsa.verify
            )
        )
        print(
            String(
                format: "swift-crypto P-256 alone: verify %9.0f /s, sign %9.0f /s",
                ours["raw verify"]!,
                ours["raw sign"]!
            )
        )
    }

    /// Calls `body` on this thread for `seconds` and returns calls per second: the best of five equal
    /// slices, so a moment when the machine is busy elsewhere does not decide the figure (openssl's
    /// figure is likewise the better of two runs).
    func rate(_ seconds: Double, _ body: () throws -> Void) throws -> Double {
        for _ in 0..<20 { try body() }  // warm up
        var best = 0.0
        for _ in 0..<5 {
            let start = DispatchTime.now().uptimeNanoseconds
            let deadline = start + UInt64(seconds / 5 * 1e9)
            var count = 0
            var now = start
            while now < deadline {
                for _ in 0..<10 { try body() }
                count += 10
                now = DispatchTime.now().uptimeNanoseconds
            }
            best = max(best, Double(count) / (Double(now - start) / 1e9))
        }
        return best
    }

    /// `openssl speed` on one core: the sign/s and verify/s of the row starting with `row`.
    func openssl(_ algorithms: [String], row: String) throws -> (sign: Double, verify: Double) {
        let first = try opensslOnce(algorithms, row: row)
        let second = try opensslOnce(algorithms, row: row)
        return (max(first.sign, second.sign), max(first.verify, second.verify))
    }

    func opensslOnce(_ algorithms: [String], row: String) throws -> (sign: Double, verify: Double) {
        let text = try Self.runWithSignalsUnblocked(
            ["openssl", "speed", "-seconds", String(max(1, Int((seconds / 2).rounded(.up))))] + algorithms
        )
        guard let line = text.split(separator: "\n").first(where: { $0.drop(while: { $0 == " " }).hasPrefix(row) })
        else {
            throw ValidationError("openssl speed printed no \"\(row)\" row:\n\(text)")
        }
        // "256 bits ecdsa (nistp256)   0.0000s   0.0001s  36000.0  12000.0": the last two numbers.
        let numbers = line.split(separator: " ").compactMap { Double($0) }
        guard numbers.count >= 2 else { throw ValidationError("cannot read \(line)") }
        return (numbers[numbers.count - 2], numbers[numbers.count - 1])
    }

    /// Runs a command and returns its standard output. `openssl speed` times itself with SIGALRM; this
    /// process's threads block that signal and a child inherits the mask (it would then never stop), so
    /// the child is spawned with an empty signal mask.
    static func runWithSignalsUnblocked(_ arguments: [String]) throws -> String {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw ValidationError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGALRM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        close(pipe[1])
        guard status == 0 else {
            close(pipe[0])
            throw ValidationError("cannot run \(arguments[0]) (error \(status))")
        }
        let output = FileHandle(fileDescriptor: pipe[0], closeOnDealloc: true).readDataToEndOfFile()
        var exit: Int32 = 0
        waitpid(pid, &exit, 0)
        return String(decoding: output, as: UTF8.self)
    }
}
