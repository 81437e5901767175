import Foundation
import HTTPTypes
import NIOCore
import Testing
import VaxStorage
import VaxTestSupport

@testable import VaxServer

/// The hand-written path of `POST /api/v1/checkins`: its reader and writer against Foundation's, and its
/// answers against the generated handler's, on both engines.
@Suite struct CheckInRouteTests {
    static func strings(_ text: String) -> [String: String]? {
        FlatJSON.strings(ByteBuffer(string: text))
    }

    @Test func theReaderTakesObjectsOfStringsAndLeavesEverythingElse() {
        #expect(Self.strings(#"{"token":"a.b.c"}"#) == ["token": "a.b.c"])
        #expect(
            Self.strings(" {\n\t\"token\" : \"t\" , \"name\":\"Lê Thị \\\"Mai\\\" \\\\ \\/ \\n\"}\r\n") == [
                "token": "t", "name": "Lê Thị \"Mai\" \\ / \n",
            ]
        )
        #expect(Self.strings("{}") == [:])
        // Left to the generated decoder: a declaration, a null, a number, a \u escape, a repeated name,
        // a control character, bytes that are not UTF-8, an array, trailing text, an unfinished object.
        for text in [
            #"{"token":"t","declaration":{"symptoms":[]}}"#, #"{"token":"t","name":null}"#, #"{"token":1}"#,
            #"{"token":"\u0041"}"#, #"{"token":"a","token":"b"}"#, "{\"token\":\"a\u{01}\"}", #"["t"]"#,
            #"{"token":"t"} x"#, #"{"token":"t","#, #"{"token":"t""#, "",
        ] {
            #expect(Self.strings(text) == nil, "\(text)")
        }
        // A declaration given as a string is read, but not taken as a plain scan.
        #expect(
            CheckInRoute<VaxRequestContext>.Body(json: ByteBuffer(string: #"{"token":"t","declaration":"yes"}"#)) == nil
        )
        #expect(
            CheckInRoute<VaxRequestContext>.Body(json: ByteBuffer(string: #"{"token":"t","extra":"x"}"#))?.token == "t"
        )
        #expect(
            FlatJSON.strings(ByteBuffer(bytes: Array(#"{"token":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8))) == nil
        )
    }

    /// Only a JSON body with JSON acceptable takes the hand-written path.
    @Test func theRouteTakesJSONOnly() {
        func takes(_ type: String?, _ accept: [String]) -> Bool {
            var headers = HTTPFields()
            if let type { headers[.contentType] = type }
            for value in accept { headers.append(HTTPField(name: .accept, value: value)) }
            return CheckInRoute<VaxRequestContext>.isJSON(headers)
        }
        #expect(takes("application/json", []))
        #expect(takes("Application/JSON; charset=utf-8", ["*/*"]))
        #expect(takes("application/json", ["application/json, text/plain, */*"]))
        #expect(takes("application/json", ["text/html", "application/*;q=0.5"]))
        #expect(!takes(nil, []))
        #expect(!takes("text/plain", []))
        #expect(!takes("application/jsonl", []))
        #expect(!takes("application/json", ["application/json-seq"]))
        #expect(!takes("application/json", ["text/html;x=application/json"]))
    }

    @Test func theWriterQuotesAsJSONAndDatesAsTheGeneratedEncoder() throws {
        for value in ["Phở \"Bà Tư\" \\ 1/2", "tab\there\nline\r\u{01}\u{1F}", "", "😷 Cà phê"] {
            let decoded = try JSONDecoder().decode([String].self, from: Data("[\(JSONText.quoted(value))]".utf8))
            #expect(decoded == [value])
        }
        let formatter = ISO8601DateFormatter()
        var generator = SystemRandomNumberGenerator()
        let edges: [TimeInterval] = [
            0, 951_782_400, 951_868_799, 4_107_542_400, 1_798_761_599.999, 1_798_761_599.9994, 1_798_761_599.9996,
            1_798_761_599.4996,
        ]
        for seconds in edges + (0..<20_000).map({ _ in Double.random(in: 0..<4_102_444_800, using: &generator) }) {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(CheckInRoute<VaxRequestContext>.timestamp(date) == formatter.string(from: date), "\(seconds)")
        }
    }

    /// The same visitor twice: first a plain body (the hand-written path), then with `"declaration": null`
    /// (the generated handler, which merges it): the same check-in, written the same way.
    @Test(arguments: TestDatabase.engines)
    func bothPathsAnswerTheSame(engine: DatabaseEngine) async throws {
        try await withIdentityApp(engine) { client, harness in
            let (_, venue) = try await TracingFlowTests.registerVenue(
                client,
                harness,
                json: #"""
                    {"name": "Quán \"Bà Tư\" \\ Phở", "kind": "restaurant", "unitCode": "05692", "address": "1 Đường A",
                     "ownerName": "Bà Tư"}
                    """#
            )
            let token = try #require(venue["token"] as? String)
            let body = #"{"token": "\#(token)", "name": "Lê Văn An", "phone": "0912 000 321""#
            let fast = try await client.send(.post, "/api/v1/checkins", token: nil, json: body + "}")
            #expect(fast.status == .created, "\(fast.text)")
            let generated = try await client.send(
                .post,
                "/api/v1/checkins",
                token: nil,
                json: body + #", "declaration": null}"#
            )
            #expect(generated.status == .created, "\(generated.text)")
            // The generated encoder pretty-prints; the hand-written path does not.
            #expect(!fast.text.contains("\n") && generated.text.contains("\n"))
            #expect(fast.headers[.contentType] == generated.headers[.contentType])
            #expect(fast.object["merged"] as? Bool == false && generated.object["merged"] as? Bool == true)
            for key in ["id", "venueId", "venueName", "arrivedAt", "stayUntil"] {
                #expect(fast.object[key] as? String == generated.object[key] as? String, "\(key)")
            }
            #expect(fast.object["venueName"] as? String == #"Quán "Bà Tư" \ Phở"#)
            #expect((fast.object["checkoutCode"] as? String)?.count == 32)
            #expect(Set(fast.object.keys) == Set(generated.object.keys).union(["checkoutCode"]))

            // Errors come out the same whichever path: a bad phone, and a token that is not one.
            let badPhone = try await client.send(
                .post,
                "/api/v1/checkins",
                token: nil,
                json: #"{"token": "\#(token)", "name": "An", "phone": "12"}"#
            )
            let badPhoneGenerated = try await client.send(
                .post,
                "/api/v1/checkins",
                token: nil,
                json: #"{"token": "\#(token)", "name": "An", "phone": "12", "declaration": null}"#
            )
            #expect(badPhone.status == .badRequest && badPhoneGenerated.status == .badRequest)
            #expect(badPhone.errorCode != nil && badPhone.errorCode == badPhoneGenerated.errorCode)
            #expect(badPhone.errorField == "phone" && badPhoneGenerated.errorField == "phone")
            let notJSON = try await client.send(.post, "/api/v1/checkins", token: nil, json: "{\"token\": 5}")
            #expect(notJSON.status == .badRequest, "\(notJSON.text)")
        }
    }
}
