import Logging

/// What the middleware learned about the current request, visible to the OpenAPI handlers (which do
/// not see Hummingbird's context) through a task-local value.
public struct CallContext: Sendable {
    /// The request id, also sent back as `X-Request-Id`.
    public var requestID: String
    /// The caller, when authenticated.
    public var principal: Principal?
    /// A logger carrying `request.id`.
    public var logger: Logger

    /// The current request's context.
    @TaskLocal public static var current: CallContext?
}
