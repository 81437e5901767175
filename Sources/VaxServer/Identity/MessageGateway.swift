import Foundation
import VaxDomain
import VaxStorage

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A text message to a phone.
public struct OutboundMessage: Sendable, Equatable {
    /// The phone, `+84…`.
    public var recipient: String
    /// Why (`otp`).
    public var purpose: String
    /// The text.
    public var body: String

    /// A message.
    public init(recipient: String, purpose: String, body: String) {
        self.recipient = recipient
        self.purpose = purpose
        self.body = body
    }
}

/// Where text messages go: the outbox (default) or an SMS provider.
public protocol MessageGateway: Sendable {
    /// Whether messages should be written to the outbox together with what caused them (one transaction).
    var deliversThroughOutbox: Bool { get }
    /// Sends a message; throws `MessageGatewayError` when the provider refuses or cannot be reached.
    func send(_ message: OutboundMessage) async throws
}

/// Why a message was not sent.
public struct MessageGatewayError: Error, CustomStringConvertible {
    /// What happened (no message content, no phone number).
    public var reason: String

    public var description: String { "message not sent: \(reason)" }
}

/// The default gateway: messages stay in the `message_outbox` table, where the operator reads them
/// (`vaxtrace outbox list`). For a pilot without an SMS contract, or for development.
public struct OutboxGateway: MessageGateway {
    let store: IdentityStore
    let clock: WallClock
    let ids: IdentifierGenerator

    /// A gateway writing to the outbox.
    public init(store: IdentityStore, clock: WallClock = .system, ids: IdentifierGenerator = .uuidV7) {
        self.store = store
        self.clock = clock
        self.ids = ids
    }

    public var deliversThroughOutbox: Bool { true }

    public func send(_ message: OutboundMessage) async throws {
        try await store.insert(outboxMessage(message, clock: clock, ids: ids))
    }
}

/// The outbox row for a message.
func outboxMessage(_ message: OutboundMessage, clock: WallClock, ids: IdentifierGenerator) -> OutboxMessage {
    let now = clock.now()
    return OutboxMessage(
        id: ids.next(at: now),
        channel: "sms",
        recipient: message.recipient,
        purpose: message.purpose,
        body: message.body,
        createdAt: now
    )
}

/// An SMS provider reached over HTTP: `POST url` with JSON `{"to": "+84…", "text": "…"}` and HTTP basic
/// credentials. Any 2xx is success. Most Vietnamese SMS brandname providers accept this shape through
/// a small adapter; the URL, credentials and template are configuration.
public struct HTTPSMSGateway: MessageGateway {
    let url: URL
    let username: String
    let password: String
    let timeout: TimeInterval

    /// A gateway posting to `url`.
    public init(url: URL, username: String, password: String, timeout: TimeInterval = 10) {
        self.url = url
        self.username = username
        self.password = password
        self.timeout = timeout
    }

    public var deliversThroughOutbox: Bool { false }

    public func send(_ message: OutboundMessage) async throws {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        let credentials = Data("\(username):\(password)".utf8).base64EncodedString()
        request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")
        request.httpBody = try JSONSerialization.data(
            withJSONObject: ["to": message.recipient, "text": message.body],
            options: [.sortedKeys]
        )
        let response: URLResponse
        do {
            (_, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw MessageGatewayError(reason: "the SMS gateway could not be reached (\(type(of: error)))")
        }
        guard let http = response as? HTTPURLResponse else {
            throw MessageGatewayError(reason: "the SMS gateway gave no HTTP answer")
        }
        guard (200..<300).contains(http.statusCode) else {
            throw MessageGatewayError(reason: "the SMS gateway answered \(http.statusCode)")
        }
    }
}
