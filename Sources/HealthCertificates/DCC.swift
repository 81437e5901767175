import Foundation

/// The EU Digital COVID Certificate payload (hcert schema 1.3.x), vaccination entries typed; test and
/// recovery entries are kept as received so foreign certificates of every kind can be shown.
public struct DigitalCovidCertificate: Sendable, Equatable {
    public var version: String
    public var name: PersonName
    /// "YYYY-MM-DD", "YYYY-MM", "YYYY" or "".
    public var dateOfBirth: String
    public var vaccinations: [Vaccination]
    public var tests: [CBOR]
    public var recoveries: [CBOR]

    public struct PersonName: Sendable, Equatable {
        public var familyName: String?
        public var familyNameICAO: String?
        public var givenName: String?
        public var givenNameICAO: String?

        /// The name with its ICAO 9303 transliterations computed from the Vietnamese (or any Latin) spelling.
        public init(familyName: String?, givenName: String?) {
            self.familyName = familyName
            self.givenName = givenName
            self.familyNameICAO = familyName.map(ICAOTransliteration.transliterate)
            self.givenNameICAO = givenName.map(ICAOTransliteration.transliterate)
        }

        public init(familyName: String?, familyNameICAO: String?, givenName: String?, givenNameICAO: String?) {
            self.familyName = familyName
            self.familyNameICAO = familyNameICAO
            self.givenName = givenName
            self.givenNameICAO = givenNameICAO
        }
    }

    public struct Vaccination: Sendable, Equatable {
        /// Disease or agent targeted (SNOMED CT; COVID-19 is 840539006).
        public var disease: String
        /// Vaccine or prophylaxis (e.g. 1119349007, an mRNA vaccine).
        public var prophylaxis: String
        /// Medicinal product (e.g. EU/1/20/1528).
        public var product: String
        /// Marketing authorisation holder or manufacturer (e.g. ORG-100030215).
        public var manufacturer: String
        public var doseNumber: Int
        public var totalDoses: Int
        /// "YYYY-MM-DD".
        public var date: String
        /// ISO 3166 alpha-2.
        public var country: String
        public var issuer: String
        /// The UVCI.
        public var certificateID: String

        public init(
            disease: String = "840539006",
            prophylaxis: String,
            product: String,
            manufacturer: String,
            doseNumber: Int,
            totalDoses: Int,
            date: String,
            country: String,
            issuer: String,
            certificateID: String
        ) {
            self.disease = disease
            self.prophylaxis = prophylaxis
            self.product = product
            self.manufacturer = manufacturer
            self.doseNumber = doseNumber
            self.totalDoses = totalDoses
            self.date = date
            self.country = country
            self.issuer = issuer
            self.certificateID = certificateID
        }
    }

    public init(
        version: String = "1.3.0",
        name: PersonName,
        dateOfBirth: String,
        vaccinations: [Vaccination] = [],
        tests: [CBOR] = [],
        recoveries: [CBOR] = []
    ) {
        self.version = version
        self.name = name
        self.dateOfBirth = dateOfBirth
        self.vaccinations = vaccinations
        self.tests = tests
        self.recoveries = recoveries
    }

    /// The kind of the one entry a valid certificate holds.
    public enum Kind: String, Sendable {
        case vaccination = "v"
        case test = "t"
        case recovery = "r"
    }

    // MARK: CBOR

    public var cbor: CBOR {
        var nam: [CBOR.Pair] = []
        if let v = name.familyName { nam.append(.init(.text("fn"), .text(v))) }
        if let v = name.familyNameICAO { nam.append(.init(.text("fnt"), .text(v))) }
        if let v = name.givenName { nam.append(.init(.text("gn"), .text(v))) }
        if let v = name.givenNameICAO { nam.append(.init(.text("gnt"), .text(v))) }
        var pairs: [CBOR.Pair] = [
            .init(.text("ver"), .text(version)),
            .init(.text("nam"), .map(nam)),
            .init(.text("dob"), .text(dateOfBirth)),
        ]
        if !vaccinations.isEmpty {
            pairs.append(
                .init(
                    .text("v"),
                    .array(
                        vaccinations.map { v in
                            .map([
                                .init(.text("tg"), .text(v.disease)),
                                .init(.text("vp"), .text(v.prophylaxis)),
                                .init(.text("mp"), .text(v.product)),
                                .init(.text("ma"), .text(v.manufacturer)),
                                .init(.text("dn"), .int(Int64(v.doseNumber))),
                                .init(.text("sd"), .int(Int64(v.totalDoses))),
                                .init(.text("dt"), .text(v.date)),
                                .init(.text("co"), .text(v.country)),
                                .init(.text("is"), .text(v.issuer)),
                                .init(.text("ci"), .text(v.certificateID)),
                            ])
                        }
                    )
                )
            )
        }
        if !tests.isEmpty { pairs.append(.init(.text("t"), .array(tests))) }
        if !recoveries.isEmpty { pairs.append(.init(.text("r"), .array(recoveries))) }
        return .map(pairs)
    }

    /// Reads a payload leniently (integers written as floats, dates with times); the schema check is separate.
    public init(cbor: CBOR) throws(CertificateFailure) {
        func fail(_ detail: String) -> CertificateFailure { CertificateFailure(.schema, detail) }
        guard case .map = cbor else { throw fail("the hcert payload is not a map") }
        guard let version = cbor["ver"]?.text else { throw fail("ver is missing") }
        guard let nam = cbor["nam"], case .map = nam else { throw fail("nam is missing") }
        guard let dob = cbor["dob"]?.text else { throw fail("dob is missing") }
        self.version = version
        self.name = PersonName(
            familyName: nam["fn"]?.text,
            familyNameICAO: nam["fnt"]?.text,
            givenName: nam["gn"]?.text,
            givenNameICAO: nam["gnt"]?.text
        )
        self.dateOfBirth = dob
        self.vaccinations = []
        for entry in cbor["v"]?.array ?? [] {
            func text(_ key: String) throws(CertificateFailure) -> String {
                guard let value = entry[key]?.text else { throw fail("v.\(key) is missing") }
                return value
            }
            func number(_ key: String) throws(CertificateFailure) -> Int {
                switch entry[key] {
                case .some(let value) where value.int != nil: return Int(value.int!)
                case .double(let d)? where d.rounded() == d && abs(d) < 1e6: return Int(d)
                default: throw fail("v.\(key) is missing")
                }
            }
            vaccinations.append(
                Vaccination(
                    disease: try text("tg"),
                    prophylaxis: try text("vp"),
                    product: try text("mp"),
                    manufacturer: try text("ma"),
                    doseNumber: try number("dn"),
                    totalDoses: try number("sd"),
                    date: try text("dt"),
                    country: try text("co"),
                    issuer: try text("is"),
                    certificateID: try text("ci")
                )
            )
        }
        self.tests = cbor["t"]?.array ?? []
        self.recoveries = cbor["r"]?.array ?? []
    }
}

/// The CWT claims of a health certificate (RFC 8392 with the hcert claim -260).
public struct CertificateClaims: Sendable, Equatable {
    /// The issuing country (ISO 3166 alpha-2).
    public var issuer: String?
    public var issuedAt: Date
    public var expiresAt: Date
    public var certificate: DigitalCovidCertificate
    /// The payload as received (for the schema check and for display).
    public var payload: CBOR

    static let claimIssuer: Int64 = 1
    static let claimExpiry: Int64 = 4
    static let claimIssuedAt: Int64 = 6
    static let claimHcert: Int64 = -260

    public init(issuer: String?, issuedAt: Date, expiresAt: Date, certificate: DigitalCovidCertificate) {
        self.issuer = issuer
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.certificate = certificate
        self.payload = certificate.cbor
    }

    public var cbor: CBOR {
        var pairs: [CBOR.Pair] = []
        if let issuer { pairs.append(.init(.int(Self.claimIssuer), .text(issuer))) }
        pairs += [
            .init(.int(Self.claimExpiry), .int(Int64(expiresAt.timeIntervalSince1970.rounded(.down)))),
            .init(.int(Self.claimIssuedAt), .int(Int64(issuedAt.timeIntervalSince1970.rounded(.down)))),
            .init(.int(Self.claimHcert), .map([.init(.int(1), payload)])),
        ]
        return .map(pairs)
    }

    public init(cbor: CBOR) throws(CertificateFailure) {
        func fail(_ detail: String) -> CertificateFailure { CertificateFailure(.decode, detail) }
        guard case .map = cbor else { throw fail("the CWT payload is not a map") }
        func time(_ claim: Int64, _ name: String) throws(CertificateFailure) -> Date {
            switch cbor[claim] {
            case .some(let value) where value.int != nil: return Date(timeIntervalSince1970: Double(value.int!))
            case .double(let d)? where d.isFinite: return Date(timeIntervalSince1970: d)
            case .tagged(1, let inner)?:
                if let n = inner.int { return Date(timeIntervalSince1970: Double(n)) }
                throw fail("the \(name) claim is not a time")
            default: throw fail("the \(name) claim is missing")
            }
        }
        guard let hcert = cbor[Self.claimHcert], case .map = hcert, let payload = hcert[1] else {
            throw fail("the hcert claim (-260) with the certificate under 1 is missing")
        }
        if let issuer = cbor[Self.claimIssuer], issuer.text == nil { throw fail("the iss claim is not text") }
        self.issuer = cbor[Self.claimIssuer]?.text
        self.issuedAt = try time(Self.claimIssuedAt, "iat")
        self.expiresAt = try time(Self.claimExpiry, "exp")
        self.payload = payload
        // A payload that breaks the schema still decodes: the verifier reports it as a schema failure.
        self.certificate =
            (try? DigitalCovidCertificate(cbor: payload))
            ?? DigitalCovidCertificate(
                name: .init(familyName: nil, familyNameICAO: nil, givenName: nil, givenNameICAO: nil),
                dateOfBirth: payload["dob"]?.text ?? ""
            )
    }

    /// The kinds of entry the payload holds, read from the payload as received.
    public var kinds: [DigitalCovidCertificate.Kind] {
        [.vaccination, .test, .recovery].filter { payload[$0.rawValue]?.array?.isEmpty == false }
    }

    /// Every entry's UVCI, read from the payload as received.
    public var certificateIDs: [String] {
        ["v", "t", "r"].flatMap { payload[$0]?.array ?? [] }.compactMap { $0["ci"]?.text }
    }
}
