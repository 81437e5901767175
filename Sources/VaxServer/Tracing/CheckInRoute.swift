import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import VaxDomain

/// `POST /api/v1/checkins` without the OpenAPI layer, for the venue QR scans that make most of a busy
/// server's requests (issue #6): the body is read into a small struct and the receipt written out by hand,
/// which is most of what the generated path costs per check-in.
///
/// Only the plain shapes take this path: a JSON body (when the client names an `Accept`, one that takes JSON)
/// with the token and, for a visitor without an account, name and phone. Anything else (a declaration, a body
/// that does not decode, another content type) goes on to the generated handler, so its answers and errors
/// stay the ones the OpenAPI document describes. Everything in front of the router still runs: the request
/// id and error shapes, the body limit, authentication and the rate limits; the policy is asked here as the
/// policy middleware would. Both paths call the same `CheckInService`, so merging and limits are shared.
struct CheckInRoute<Context: RequestContext>: RouterMiddleware {
    let checkIns: CheckInService

    static var path: String { "/api/v1/checkins" }

    /// The body of the plain shapes.
    struct Body: Equatable {
        var token: String
        var name: String?
        var phone: String?

        /// The body when it is a JSON object of strings with a token; `nil` for anything else (a
        /// declaration, a null, an escape this reader leaves to the generated decoder), which then takes the
        /// generated path.
        init?(json buffer: ByteBuffer) {
            // A declaration given as a string is the generated decoder's to refuse.
            guard let members = FlatJSON.strings(buffer), let token = members["token"], members["declaration"] == nil
            else { return nil }
            self.token = token
            name = members["name"]
            phone = members["phone"]
        }
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, request.uri.path == Self.path, Self.isJSON(request.headers) else {
            return try await next(request, context)
        }
        var request = request
        // The body limit middleware has collected the body already: this is a copy of that buffer.
        let buffer = try await request.collectBody(upTo: .max)
        guard let body = Body(json: buffer) else {
            return try await next(request, context)
        }
        let principal = CallContext.current?.principal
        try Policy.authorize(operationID: "checkInAtVenue", principal: principal)
        let receipt = try await checkIns.checkIn(
            token: body.token,
            principal: principal,
            name: body.name,
            phone: body.phone,
            declaration: nil
        )
        return Response(
            status: .created,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: Self.json(receipt)))
        )
    }

    /// A JSON body, and an answer in JSON acceptable: no `Accept`, or one of its media ranges is
    /// `application/json`, `application/*` or `*/*` (parameters aside).
    static func isJSON(_ headers: HTTPFields) -> Bool {
        guard let type = headers[.contentType]?.lowercased(),
            type == "application/json" || type.hasPrefix("application/json;")
        else { return false }
        let accepted = headers[values: .accept].flatMap { $0.split(separator: ",") }
        return accepted.isEmpty
            || accepted.contains { range in
                let type = range.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
                    .trimmingCharacters(in: .whitespaces).lowercased()
                return type == "application/json" || type == "application/*" || type == "*/*"
            }
    }

    /// The `CheckInReceipt` of the OpenAPI document (no declaration on this path), dates as the generated
    /// encoder writes them (RFC 3339, whole seconds, UTC).
    static func json(_ receipt: CheckInService.Receipt) -> String {
        var text = "{\"arrivedAt\":\"\(timestamp(receipt.checkIn.arrivedAt))\""
        if let code = receipt.checkoutCode { text += ",\"checkoutCode\":" + JSONText.quoted(code) }
        text += ",\"id\":\"\(receipt.checkIn.id.lower)\""
        if let left = receipt.checkIn.leftAt { text += ",\"leftAt\":\"\(timestamp(left))\"" }
        text += ",\"merged\":\(receipt.merged)"
        text += ",\"stayUntil\":\"\(timestamp(receipt.checkIn.stayUntil))\""
        text += ",\"venueId\":\"\(receipt.venue.id.lower)\""
        text += ",\"venueName\":" + JSONText.quoted(receipt.venue.name) + "}"
        return text
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC, as `ISO8601DateFormatter` writes it.
    static func timestamp(_ date: Date) -> String {
        // Foundation's formatter rounds to the millisecond, then drops the fraction.
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = Int64((milliseconds / 1000).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let inDay = Int(seconds - days * 86_400)
        let civil = LocalDate(daysSinceEpoch: Int(days))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(civil.year)-\(two(civil.month))-\(two(civil.day))T\(two(inDay / 3600)):\(two(inDay / 60 % 60)):\(two(inDay % 60))Z"
    }
}

/// JSON string literals written by hand.
enum JSONText {
    /// `value` as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    static func quoted(_ value: String) -> String {
        var text = "\""
        text.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}

/// A JSON object whose members are all strings, read without `JSONDecoder`.
enum FlatJSON {
    /// The members of `buffer` when it holds one JSON object whose values are all strings, each name once;
    /// `nil` when it holds anything else, or a `\u` escape (left to a full decoder).
    static func strings(_ buffer: ByteBuffer) -> [String: String]? {
        buffer.withUnsafeReadableBytes { bytes -> [String: String]? in
            var reader = Reader(bytes: bytes)
            reader.skipSpace()
            guard reader.take(UInt8(ascii: "{")) else { return nil }
            var members: [String: String] = [:]
            reader.skipSpace()
            if !reader.take(UInt8(ascii: "}")) {
                while true {
                    reader.skipSpace()
                    guard let name = reader.string() else { return nil }
                    reader.skipSpace()
                    guard reader.take(UInt8(ascii: ":")) else { return nil }
                    reader.skipSpace()
                    guard let value = reader.string(), members.updateValue(value, forKey: name) == nil else {
                        return nil
                    }
                    reader.skipSpace()
                    if reader.take(UInt8(ascii: ",")) { continue }
                    guard reader.take(UInt8(ascii: "}")) else { return nil }
                    break
                }
            }
            reader.skipSpace()
            return reader.atEnd ? members : nil
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        var atEnd: Bool { position == bytes.count }

        mutating func skipSpace() {
            while position < bytes.count {
                switch bytes[position] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): position += 1
                default: return
                }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        /// A string literal: valid UTF-8, no control characters, the one-letter escapes.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            var start = position
            // What came before the last escape, unescaped; empty when there was none.
            var unescaped: [UInt8] = []
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let tail = UnsafeRawBufferPointer(rebasing: bytes[start..<position])
                    position += 1
                    if unescaped.isEmpty { return String(validating: tail, as: UTF8.self) }
                    unescaped.append(contentsOf: tail)
                    return String(validating: unescaped, as: UTF8.self)
                }
                if byte < 0x20 { return nil }
                if byte == UInt8(ascii: "\\") {
                    guard position + 1 < bytes.count else { return nil }
                    let replacement: UInt8
                    switch bytes[position + 1] {
                    case UInt8(ascii: "\""): replacement = UInt8(ascii: "\"")
                    case UInt8(ascii: "\\"): replacement = UInt8(ascii: "\\")
                    case UInt8(ascii: "/"): replacement = UInt8(ascii: "/")
                    case UInt8(ascii: "b"): replacement = 0x08
                    case UInt8(ascii: "f"): replacement = 0x0C
                    case UInt8(ascii: "n"): replacement = 0x0A
                    case UInt8(ascii: "r"): replacement = 0x0D
                    case UInt8(ascii: "t"): replacement = 0x09
                    default: return nil
                    }
                    unescaped.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
                    unescaped.append(replacement)
                    position += 2
                    start = position
                    continue
                }
                position += 1
            }
            return nil
        }
    }
}
