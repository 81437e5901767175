import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime

extension HTTPField.Name {
    /// `X-Request-Id`.
    static let requestID = HTTPField.Name("X-Request-Id")!
}

/// Outermost middleware: gives each request an id, logs it, and turns every error into the JSON
/// error shape with the right status. Unexpected errors are logged with the request id and become a
/// 500 that leaks nothing.
struct RequestMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger
    /// Whether clients reach the server over HTTPS (a TLS proxy in front): then HSTS is sent.
    let strictTransportSecurity: Bool

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let requestID = Self.acceptableID(request.headers[.requestID]) ?? UUID().uuidString.lowercased()
        var logger = self.logger
        logger[metadataKey: "request.id"] = .string(requestID)
        var context = context
        context.logger = logger
        let started = ContinuousClock.now
        var response: Response
        let call = CallContext(requestID: requestID, principal: nil, logger: logger)
        do {
            // The router ignores empty path segments (`//api/v1/x`, `/app/staff/`), but the checks before it
            // (CSRF, rate limits) match paths as written: such a path is no resource here.
            let path = request.uri.path
            if path != "/", path.contains("//") || path.hasSuffix("/") {
                throw AppError(.notFound, code: "not_found", message: "No such resource.")
            }
            response = try await CallContext.$current.withValue(call) {
                try await next(request, context)
            }
            for cookie in call.cookies.all { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        } catch {
            response = Self.clientError(for: error, logger: logger).response(requestID: requestID)
        }
        response.headers[.requestID] = requestID
        SecurityHeaders.apply(
            to: &response.headers,
            path: request.uri.path,
            strictTransportSecurity: strictTransportSecurity
        )
        let elapsed = ContinuousClock.now - started
        logger.info(
            "request",
            metadata: [
                "http.method": .string(request.method.rawValue),
                "http.path": .string(request.uri.path),
                "http.status": .stringConvertible(response.status.code),
                "duration.ms": .stringConvertible(elapsed / .milliseconds(1)),
            ]
        )
        return response
    }

    /// An incoming id is reused only when it is short and plain (it goes into logs).
    static func acceptableID(_ value: String?) -> String? {
        guard let value, (8...64).contains(value.count),
            value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        else { return nil }
        return value
    }

    /// The query parameter a decoding error is about: the runtime does not name it, so find the
    /// parameter whose value the error quotes, or the one that is not the integer expected.
    static func parameter(in path: String, for error: DecodingError) -> String? {
        guard let query = path.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        let items = query.split(separator: "&").map { item in
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                String($0).removingPercentEncoding ?? String($0)
            }
            return (name: parts.first ?? "", value: parts.count > 1 ? parts[1] : "")
        }
        switch error {
        case .dataCorrupted(let context):
            return items.first { !$0.value.isEmpty && context.debugDescription.hasSuffix("value \($0.value)") }?.name
        case .typeMismatch(let type, _) where type == Int.self:
            return items.first { Int($0.value) == nil }?.name
        default:
            return nil
        }
    }

    static func clientError(for error: any Error, logger: Logger) -> AppError {
        if let appError = AppError(mapping: error) { return appError }
        if let serverError = error as? ServerError {
            if let appError = AppError(mapping: serverError.underlyingError) { return appError }
            if let decoding = serverError.underlyingError as? DecodingError {
                // Query and path parameters decode with an empty coding path; only GET operations have
                // parameters that can fail to decode (POST bodies carry their own paths).
                if serverError.request.method == .get {
                    let field = Self.parameter(in: serverError.request.path ?? "", for: decoding)
                    return AppError(
                        .badRequest,
                        code: "invalid_parameter",
                        message: "\(field ?? "A query or path parameter") has a value that is not allowed.",
                        field: field
                    )
                }
                return AppError(decoding: decoding)
            }
            let status = serverError.httpStatus
            if (400..<500).contains(status.code) {
                return AppError(status, code: "bad_request", message: serverError.causeDescription)
            }
            // No operation input means the request could not be turned into one (a malformed query
            // string, say): the client's mistake, not the server's.
            if serverError.operationInput == nil, !(serverError.underlyingError is any HTTPResponseError) {
                return AppError(
                    .badRequest,
                    code: "malformed_request",
                    message: "The request could not be read: check the query string, the headers and the body."
                )
            }
            logger.error(
                "request failed",
                metadata: [
                    "operation": .string(serverError.operationID),
                    "error": .string(String(describing: type(of: serverError.underlyingError))),
                    "error.detail": .string(String(describing: serverError.underlyingError)),
                ]
            )
            return AppError(
                .internalServerError,
                code: "internal",
                message: "Something went wrong; quote the request id."
            )
        }
        if let decoding = error as? DecodingError { return AppError(decoding: decoding) }
        if let httpError = error as? any HTTPResponseError, (400..<500).contains(httpError.status.code) {
            let code =
                switch httpError.status {
                case .notFound: "not_found"
                case .contentTooLarge: "body_too_large"
                case .methodNotAllowed: "method_not_allowed"
                default: "bad_request"
                }
            let message =
                switch httpError.status {
                case .notFound: "No such resource."
                case .contentTooLarge: "The request body is larger than the limit."
                case .methodNotAllowed: "This method is not allowed here."
                default: httpError.status.reasonPhrase
                }
            return AppError(httpError.status, code: code, message: message)
        }
        logger.error(
            "request failed",
            metadata: [
                "error": .string(String(describing: type(of: error))),
                "error.detail": .string(String(describing: error)),
            ]
        )
        return AppError(.internalServerError, code: "internal", message: "Something went wrong; quote the request id.")
    }
}

/// Refuses bodies over the limit before any handler reads them (413), whether or not the client
/// announced a length.
struct BodyLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let defaultLimit: Int
    /// Paths that take file uploads, with their own limit.
    var uploadLimit: Int = 0
    var uploadPaths: Set<String> = []

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let limit = uploadPaths.contains(request.uri.path) ? max(uploadLimit, defaultLimit) : defaultLimit
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw AppError(
                .contentTooLarge,
                code: "body_too_large",
                message: "The request body is over \(limit) bytes."
            )
        }
        guard request.method == .post || request.method == .put || request.method == .patch else {
            return try await next(request, context)
        }
        var request = request
        _ = try await request.collectBody(upTo: limit)
        return try await next(request, context)
    }
}

/// Establishes the principal: a session (`Bearer vxs_…` or the `vax_session` cookie), an API token
/// (`Bearer vxt_…`) or a development token. A wrong credential is a 401 even on public routes, so that a
/// client learns its token is bad. Cookie-authenticated writes must carry the session's `X-CSRF-Token`.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: DevelopmentTokens
    let identity: IdentityService
    /// Whether a proxy we trust sets `X-Forwarded-For` (`HTTP_TRUSTED_PROXY`).
    let trustProxy: Bool

    static var sessionCookie: String { "vax_session" }

    /// The public steps of signing in (rate-limited per address; a stale cookie is ignored there), and the
    /// exchange of an Exposure Notification code, which must not be guessable at the public rate either.
    static func isSignInStep(_ path: String) -> Bool {
        path.hasPrefix("/api/v1/auth/otp/") || path == "/api/v1/auth/sign-in" || path.hasPrefix("/api/v1/auth/totp/")
            || path == "/api/v1/en/verify" || webSignInSteps.contains(path)
    }

    /// The web pages' sign-in forms, limited like the API's sign-in steps.
    static var webSignInSteps: Set<String> { ["/app/sign-in", "/app/sign-in/code", "/app/staff", "/app/staff/totp"] }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard var call = CallContext.current else { return try await next(request, context) }
        call.clientAddress = ClientAddress.key(
            peer: (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress,
            forwardedFor: request.headers[.xForwardedFor],
            trustProxy: trustProxy
        )
        let principal: Principal?
        if let header = request.headers[.authorization] {
            guard header.lowercased().hasPrefix("bearer ") else {
                throw AppError(.unauthorized, code: "unauthenticated", message: "Use `Authorization: Bearer <token>`.")
            }
            let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            if token.hasPrefix("vxs_") {
                principal = try await identity.principal(session: token, viaCookie: false, requestID: call.requestID)
            } else if token.hasPrefix("vxt_") {
                principal = try await identity.principal(apiToken: token, requestID: call.requestID)
            } else if let development = tokens.principal(for: token) {
                principal = try await identity.resolved(development)
            } else {
                throw AppError(.unauthorized, code: "unauthenticated", message: "The bearer token is not valid.")
            }
        } else if let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty {
            let session: Principal
            do {
                session = try await identity.principal(session: cookie, viaCookie: true, requestID: call.requestID)
            } catch let error as AppError where error.status == .unauthorized {
                // A stale cookie must not stop anyone from signing in again, nor from reading the public
                // pages; API calls learn why it was refused.
                let path = request.uri.path
                guard Self.isSignInStep(path) || !path.hasPrefix("/api/") else { throw error }
                return try await CallContext.$current.withValue(call) { try await next(request, context) }
            }
            // The sign-in steps only revoke the cookie's session (rotation), so they need no CSRF token. The web
            // pages' forms carry their own token in the form, which `WebPages` checks on every POST.
            if ![.get, .head, .options].contains(request.method), !Self.isSignInStep(request.uri.path),
                !request.uri.path.hasPrefix("/app/")
            {
                guard let csrf = request.headers[.csrfToken], case .session(let hash, _) = session.credential,
                    try await identity.csrfMatches(csrf, session: hash)
                else {
                    throw AppError(
                        .forbidden,
                        code: "csrf_failed",
                        message: "Writes with the session cookie need the X-CSRF-Token header given at sign-in."
                    )
                }
            }
            principal = session
        } else {
            principal = nil
        }
        call.principal = principal
        if let principal { call.logger[metadataKey: "principal"] = .string(principal.subject) }
        return try await CallContext.$current.withValue(call) {
            try await next(request, context)
        }
    }
}

/// Per-address and per-caller request limits (`429` + `Retry-After`): tight on the sign-in steps,
/// looser on other public routes and for signed-in callers. Probes and metrics are not limited.
struct RateLimitMiddleware<Context: RequestContext>: RouterMiddleware {
    let limiter: RateLimiter
    let limits: RateLimits

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let path = request.uri.path
        // The API, and the web pages (which call the API in process, past this middleware).
        guard path.hasPrefix("/api/") || path.hasPrefix("/app/"), let call = CallContext.current else {
            return try await next(request, context)
        }
        let signInStep = AuthenticationMiddleware<Context>.isSignInStep(path)
        let (key, limit): (String, Int) =
            if signInStep {
                ("sign-in:\(call.clientAddress)", limits.signInPerMinute)
            } else if let principal = call.principal {
                ("caller:\(principal.subject)", limits.callerPerMinute)
            } else {
                ("public:\(call.clientAddress)", limits.publicPerMinute)
            }
        if let wait = limiter.hit(key, limit: limit, per: 60) {
            throw AppError.tooManyRequests("Too many requests; wait \(wait) seconds.", wait)
        }
        return try await next(request, context)
    }
}

/// Request limits per minute (README: `RATE_SIGN_IN_PER_MINUTE`, `RATE_PUBLIC_PER_MINUTE`, `RATE_CALLER_PER_MINUTE`).
public struct RateLimits: Sendable {
    /// Sign-in steps per address.
    public var signInPerMinute = 20
    /// Other public requests per address.
    public var publicPerMinute = 600
    /// Requests per signed-in caller.
    public var callerPerMinute = 1200

    /// The defaults.
    public init() {}
}

extension HTTPField.Name {
    /// `X-Forwarded-For`.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// `X-CSRF-Token`.
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
}

/// Asks the policy about every OpenAPI operation before its handler runs; a refusal of a signed-in
/// caller is audited (a token used outside its role is worth a look).
struct PolicyMiddleware: ServerMiddleware {
    let identity: IdentityService

    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let call = CallContext.current
        do {
            try Policy.authorize(operationID: operationID, principal: call?.principal)
        } catch {
            if let principal = call?.principal, error.status == .forbidden {
                try await identity.recordDenial(of: principal, operation: operationID, requestID: call?.requestID ?? "")
            }
            throw error
        }
        return try await next(request, body, metadata)
    }
}
