import Logging
import Synchronization

/// What the middleware learned about the current request, visible to the OpenAPI handlers (which do
/// not see Hummingbird's context) through a task-local value.
public struct CallContext: Sendable {
    /// The request id, also sent back as `X-Request-Id`.
    public var requestID: String
    /// The caller, when authenticated.
    public var principal: Principal?
    /// A logger carrying `request.id`.
    public var logger: Logger
    /// `Set-Cookie` values to send with the response. The OpenAPI runtime percent-encodes header values,
    /// which would break a cookie, so handlers leave cookies here and `RequestMiddleware` sets them.
    public let cookies = ResponseCookies()
    /// The client's network address (for per-address rate limits; never logged).
    public var clientAddress: String = "unknown"

    /// The current request's context.
    @TaskLocal public static var current: CallContext?
}

/// Cookies a handler wants set on the response.
public final class ResponseCookies: Sendable {
    private let values = Mutex<[String]>([])

    /// Adds a `Set-Cookie` value.
    public func set(_ cookie: String) { values.withLock { $0.append(cookie) } }

    /// The values added.
    public var all: [String] { values.withLock { $0 } }
}
