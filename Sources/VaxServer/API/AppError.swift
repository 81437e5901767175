import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VaxDomain
import VaxStorage

/// An error a client sees: an HTTP status and `{"error": {"code", "message", "field"?, …}}`.
public struct AppError: Error, HTTPResponseError, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A stable machine-readable code.
    public var code: String
    /// A sentence for a person.
    public var message: String
    /// The JSON path of the (first) wrong field.
    public var field: String?
    /// Every wrong field, for forms.
    public var details: [FieldError]
    /// The existing record, for a duplicate.
    public var existingID: String?
    /// Seconds to wait, sent as `Retry-After` (429, 503).
    public var retryAfter: Int?

    /// An error.
    public init(
        _ status: HTTPResponse.Status,
        code: String,
        message: String,
        field: String? = nil,
        details: [FieldError] = [],
        existingID: String? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details
        self.existingID = existingID
    }

    /// A 429 with `Retry-After`.
    public static func tooManyRequests(_ message: String, _ seconds: Int, code: String = "rate_limited") -> AppError {
        var error = AppError(.tooManyRequests, code: code, message: message)
        error.retryAfter = max(1, seconds)
        return error
    }

    /// A 400 naming one field.
    public static func invalidField(_ field: String, _ message: String, code: String = "invalid_field") -> AppError {
        AppError(
            .badRequest,
            code: code,
            message: message,
            field: field,
            details: [FieldError(field: field, code: code, message: message)]
        )
    }

    /// The JSON body.
    func body(requestID: String?) -> ByteBuffer {
        var error: [String: Any] = ["code": code, "message": message]
        if let field { error["field"] = field }
        if let existingID { error["existingId"] = existingID }
        if let requestID { error["requestId"] = requestID }
        if !details.isEmpty {
            error["details"] = details.map { ["field": $0.field, "code": $0.code, "message": $0.message] }
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["error": error], options: [.sortedKeys])) ?? Data()
        return ByteBuffer(bytes: data)
    }

    /// The response a client gets for this error.
    func response(requestID: String?) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: body(requestID: requestID)))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response(requestID: CallContext.current?.requestID)
    }
}

extension AppError {
    /// The client-facing form of a domain or storage error; `nil` for an unexpected error (a 500).
    init?(mapping error: any Error) {
        switch error {
        case let error as AppError:
            self = error
        case let failure as ValidationFailure:
            let first = failure.errors[0]
            self.init(
                .badRequest,
                code: "validation_failed",
                message: failure.errors.count == 1
                    ? first.message : "\(failure.errors.count) fields are invalid; the first is \(first.field).",
                field: first.field,
                details: failure.errors
            )
        case let error as FieldError:
            self = .invalidField(error.field, error.message, code: error.code)
        case let error as RegistryError:
            self.init(registry: error)
        case let error as CampaignStoreError:
            self = CampaignService.map(error)
        default:
            return nil
        }
    }

    private init(registry error: RegistryError) {
        switch error {
        case .personNotFound:
            self.init(.notFound, code: "not_found", message: "No person has this id.")
        case .merged(let id, let into):
            self.init(
                .conflict,
                code: "merged",
                message: "The record \(id) was merged into \(into).",
                existingID: into.description
            )
        case .mergeWithItself:
            self = .invalidField("duplicateId", "A record cannot be merged into itself.")
        case .conflictingNationalIDs:
            self.init(
                .conflict,
                code: "conflicting_national_ids",
                message: "The two records carry different national ID numbers: they are two people."
            )
        case .duplicateNationalID(let existing):
            self.init(
                .conflict,
                code: "duplicate",
                message: existing == nil
                    ? "A person with this national ID number is already registered, outside your scope."
                    : "A person with this national ID number is already registered.",
                field: "nationalId.number",
                existingID: existing?.description
            )
        case .unknownUnit(let field, let code, let scheme):
            self = .invalidField(
                field,
                "\(code) is not a unit of the \(scheme.rawValue) scheme at this level.",
                code: "unknown_unit"
            )
        case .noSchemeOnDate(let date):
            self = .invalidField(
                "address.validOn",
                "No administrative scheme is known for \(date).",
                code: "out_of_range"
            )
        }
    }

    /// The client-facing form of a malformed body: names the field the decoder stopped at.
    init(decoding error: DecodingError) {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            self = .invalidField(field, "\(field) is required.", code: "required")
        case .valueNotFound(_, let context):
            let field = path(context.codingPath)
            self = .invalidField(field, "\(field) must not be null.", code: "required")
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            let expected =
                type == String.self
                ? "a string"
                : type == Int.self
                    ? "an integer"
                    : type == Bool.self
                        ? "true or false"
                        : "\(type)"
            self = .invalidField(
                field,
                "\(field.isEmpty ? "The body" : field) must be \(expected).",
                code: "wrong_type"
            )
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty {
                self = AppError(.badRequest, code: "malformed_json", message: "The body is not valid JSON.")
            } else {
                self = .invalidField(field, "\(field) has a value that is not allowed.", code: "invalid_value")
            }
        @unknown default:
            self = AppError(.badRequest, code: "malformed_json", message: "The body could not be read.")
        }
    }
}
