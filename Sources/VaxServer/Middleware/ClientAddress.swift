#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The key per-address limits count under: the IPv4 address, or the /64 network of an IPv6 address
/// (one subscriber usually holds a whole /64, so counting /128s would let them rotate freely).
enum ClientAddress {
    /// The address a request comes from: the last `X-Forwarded-For` entry when a trusted proxy sits in
    /// front (the address the proxy saw), the connection's peer otherwise.
    static func key(peer: String?, forwardedFor: String?, trustProxy: Bool) -> String {
        let raw: String? =
            if trustProxy, let forwardedFor,
                let last = forwardedFor.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
            {
                last
            } else {
                peer
            }
        guard let raw else { return "unknown" }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard raw.contains(":"), inet_pton(AF_INET6, raw, &bytes) == 1 else { return raw }
        if bytes[0..<12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let network = stride(from: 0, to: 8, by: 2).map {
            String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
        return network.joined(separator: ":") + "::/64"
    }
}
