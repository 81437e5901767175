import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The web pages' way into the API: a request to the OpenAPI operations made in process, as the signed-in
/// caller of the page (the task-local `CallContext`). So a page sees and does exactly what the API allows
/// that caller: the same policy table, the same scope checks, the same audit entries.
struct WebAPI: Sendable {
    let responder: RouterResponder<VaxRequestContext>
    let logger: Logger

    /// What an operation answered: the status and the decoded JSON (or the raw body for other types).
    struct Answer: @unchecked Sendable {
        var status: HTTPResponse.Status
        var json: Any
        var body: ByteBuffer

        var ok: Bool { (200..<300).contains(status.code) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var items: [[String: Any]] { object["items"] as? [[String: Any]] ?? [] }
        /// The error's message, field and per-field details, when the operation refused.
        var error: [String: Any] { object["error"] as? [String: Any] ?? [:] }
        var message: String { error["message"] as? String ?? "" }
        /// Every wrong field with its message (the first field when there are no details).
        var fieldErrors: [String: String] {
            var found: [String: String] = [:]
            for detail in error["details"] as? [[String: Any]] ?? [] {
                if let field = detail["field"] as? String, let message = detail["message"] as? String {
                    found[field] = found[field] ?? message
                }
            }
            if found.isEmpty, let field = error["field"] as? String { found[field] = message }
            return found
        }
    }

    /// Calls an operation. `json` is the request body (a dictionary or array), if any.
    func call(_ method: HTTPRequest.Method, _ path: String, json: Any? = nil) async throws -> Answer {
        var head = HTTPRequest(method: method, scheme: "http", authority: "localhost", path: path)
        var body = ByteBuffer()
        if let json {
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
            head.headerFields[.contentType] = "application/json"
            head.headerFields[.contentLength] = String(body.readableBytes)
        }
        head.headerFields[.accept] = "*/*"
        let request = Request(head: head, body: .init(buffer: body))
        // The page's request id and caller go with what the operation logs.
        let callLogger = CallContext.current?.logger ?? logger
        let response: Response
        do {
            response = try await responder.respond(to: request, context: VaxRequestContext(inProcess: callLogger))
        } catch {
            response = RequestMiddleware<VaxRequestContext>.clientError(for: error, logger: callLogger)
                .response(requestID: CallContext.current?.requestID)
        }
        let collector = BodyCollector()
        try await response.body.write(collector)
        let bytes = collector.buffer.withLock { $0 }
        let type = response.headers[.contentType] ?? ""
        let json: Any =
            type.hasPrefix("application/json")
            ? ((try? JSONSerialization.jsonObject(with: Data(buffer: bytes), options: [.fragmentsAllowed])) ?? [:])
            : [:]
        return Answer(status: response.status, json: json, body: bytes)
    }
}

/// Collects a response body in memory (the API's answers are small).
final class BodyCollector: ResponseBodyWriter, Sendable {
    let buffer = Mutex(ByteBuffer())

    func write(_ part: ByteBuffer) async throws {
        var part = part
        _ = buffer.withLock { $0.writeBuffer(&part) }
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
