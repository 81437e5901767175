import Hummingbird
import Logging
import NIOCore

/// The request context: Hummingbird's core storage plus the client's address, for rate limits.
public struct VaxRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connected client (the proxy's address when behind one).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

extension VaxRequestContext {
    /// A context for a request the server makes to its own API, in process (the web pages do).
    init(inProcess logger: Logger) {
        coreContext = .init(source: InProcessSource(logger: logger))
        remoteAddress = nil
    }
}

/// Where an in-process request comes from: nowhere on the network, only a logger.
struct InProcessSource: RequestContextSource {
    let logger: Logger
}
