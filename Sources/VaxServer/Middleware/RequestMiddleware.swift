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
        do {
            response = try await CallContext.$current.withValue(
                CallContext(requestID: requestID, principal: nil, logger: logger)
            ) {
                try await next(request, context)
            }
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
    let limit: Int

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
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

/// Establishes the principal from the bearer token. A wrong token is a 401 even on public routes,
/// so that a client learns its token is bad.
struct AuthenticationMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: DevelopmentTokens

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.lowercased().hasPrefix("bearer "),
            let principal = tokens.principal(for: String(header.dropFirst(7)))
        else {
            throw AppError(.unauthorized, code: "unauthenticated", message: "The bearer token is not valid.")
        }
        var call = CallContext.current
        call?.principal = principal
        call?.logger[metadataKey: "principal"] = .string(principal.subject)
        return try await CallContext.$current.withValue(call) {
            try await next(request, context)
        }
    }
}

/// Asks the policy about every OpenAPI operation before its handler runs.
struct PolicyMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest,
        body: HTTPBody?,
        metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        try Policy.authorize(operationID: operationID, principal: CallContext.current?.principal)
        return try await next(request, body, metadata)
    }
}
