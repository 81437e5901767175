import HTTPTypes

/// Headers every response carries, errors included: no MIME sniffing, no referrer, no framing, a
/// restrictive content policy, and no caching of API answers (they hold personal data).
enum SecurityHeaders {
    static let contentSecurityPolicy =
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    static func apply(to headers: inout HTTPFields, path: String, strictTransportSecurity: Bool) {
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xFrameOptions] = "DENY"
        if path.hasPrefix("/api/") { headers[.cacheControl] = "no-store" }
        if strictTransportSecurity { headers[.strictTransportSecurity] = "max-age=31536000; includeSubDomains" }
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}
