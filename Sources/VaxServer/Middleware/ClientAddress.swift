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
        if trustProxy, let forwardedFor, let last = forwardedFor.split(separator: ",").last,
            let key = parse(last.trimmingCharacters(in: .whitespaces))
        {
            return key
        }
        return peer.flatMap(parse) ?? peer ?? "unknown"
    }

    /// The key of an address written `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`;
    /// `nil` for anything that is not an IP address.
    static func parse(_ text: String) -> String? {
        var host = text
        if host.hasPrefix("["), let end = host.firstIndex(of: "]") {
            host = String(host[host.index(after: host.startIndex)..<end])
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.firstIndex(of: ":") {
            host = String(host[..<colon])
        }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 { return host }
        var bytes = [UInt8](repeating: 0, count: 16)
        guard inet_pton(AF_INET6, host, &bytes) == 1 else { return nil }
        if bytes[0..<12] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map {
            String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16)
        }
        return groups.joined(separator: ":") + "::/64"
    }
}
