import Foundation
import VaxStorage

/// Bearer tokens from configuration (`AUTH_DEV_TOKENS`), until real sign-in lands (#3).
///
/// Each entry is `TOKEN:ROLE:SCOPE`; tokens are kept only as SHA-256 digests and compared by digest.
public struct DevelopmentTokens: Sendable {
    private let principals: [String: Principal]

    /// Parses the configured list; throws naming the bad entry (without the token).
    public init(_ text: String) throws {
        var principals: [String: Principal] = [:]
        for (index, entry) in text.split(separator: ",").enumerated() {
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3 else {
                throw ConfigurationError(key: "AUTH_DEV_TOKENS", reason: "entry \(index + 1) is not TOKEN:ROLE:SCOPE")
            }
            guard parts[0].count >= 16 else {
                throw ConfigurationError(
                    key: "AUTH_DEV_TOKENS",
                    reason: "entry \(index + 1): tokens need 16+ characters"
                )
            }
            guard let role = Role(rawValue: parts[1]) else {
                throw ConfigurationError(key: "AUTH_DEV_TOKENS", reason: "entry \(index + 1): unknown role \(parts[1])")
            }
            guard let scope = Scope(parts[2]) else {
                throw ConfigurationError(key: "AUTH_DEV_TOKENS", reason: "entry \(index + 1): bad scope \(parts[2])")
            }
            principals[Secrets.digest(parts[0])] = Principal(
                subject: "dev-token-\(index + 1)",
                role: role,
                scope: scope
            )
        }
        self.principals = principals
    }

    /// The principal a bearer token stands for, if any.
    public func principal(for token: String) -> Principal? {
        principals[Secrets.digest(token)]
    }
}
