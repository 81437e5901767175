import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import VaxServer
import VaxStorage
import VaxTestSupport

@Suite struct UnitsAndDocsAPITests {
    @Test(arguments: TestDatabase.engines)
    func unitsEndpoints(engine: DatabaseEngine) async throws {
        try await withApp(engine) { client, _ in
            // Bắc Kạn (06) came along: its communes are now in the new Thái Nguyên.
            let provinces = try await client.send(.get, "/api/v1/units/provinces?scheme=2021", token: nil)
            #expect(
                (provinces.object["items"] as? [[String: Any]])?.compactMap { $0["code"] as? String } == [
                    "01", "06", "19",
                ]
            )
            let districts = try await client.send(.get, "/api/v1/units/2021/19/children", token: nil)
            #expect((districts.object["items"] as? [Any])?.count == 9)
            let communes = try await client.send(.get, "/api/v1/units/2025/19/children", token: nil)
            #expect((communes.object["items"] as? [Any])?.count == 92)
            let found = try await client.send(.get, "/api/v1/units/search?q=dong%20hy&scheme=2021", token: nil)
            #expect(
                (found.object["items"] as? [[String: Any]])?.contains { $0["name"] as? String == "Huyện Đồng Hỷ" }
                    == true
            )
            let unit = try await client.send(.get, "/api/v1/units/2021/169", token: nil)
            #expect(unit.object["name"] as? String == "Huyện Đồng Hỷ")
            #expect(try await client.send(.get, "/api/v1/units/2025/169", token: nil).status == .notFound)
            #expect(try await client.send(.get, "/api/v1/units/2026/19", token: nil).status == .badRequest)
            #expect(try await client.send(.get, "/api/v1/units/2025/1x", token: nil).errorField == "code")

            let split = try await client.send(.get, "/api/v1/units/conversions/00016", token: nil)
            #expect(split.object["partial"] as? Bool == true)
            #expect((split.object["conversions"] as? [Any])?.count == 2)
            let whole = try await client.send(.get, "/api/v1/units/conversions/05713", token: nil)
            #expect(whole.object["partial"] as? Bool == false)
            #expect(try await client.send(.get, "/api/v1/units/conversions/abc", token: nil).status == .badRequest)
            #expect(try await client.send(.get, "/api/v1/units/conversions/99999", token: nil).status == .notFound)
        }
    }

    @Test func metricsDocsAndContract() async throws {
        try await withApp(.sqlite) { client, _ in
            _ = try await client.send(.get, "/readyz", token: nil)
            let metrics = try await client.send(.get, "/metrics", token: nil)
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains(#"hb_requests{http_route="/readyz""#))
            #expect(metrics.text.contains("http_server_request_duration"))
            #expect(metrics.text.contains("vaxtrace_db_operations_in_flight"))
            #expect(metrics.text.contains(#"vaxtrace_db_pool_connections{engine="sqlite"}"#))
            let spec = try await client.send(.get, "/openapi.yaml", token: nil)
            #expect(spec.text.hasPrefix("openapi: 3.1.0"))
            let page = try await client.send(.get, "/docs", token: nil)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            for operation in Policy.operations.keys {
                #expect(page.text.contains(operation), "the API page misses \(operation)")
            }
        }
    }

    @Test func behindATLSProxyResponsesAskForHTTPS() async throws {
        try await withApp(.sqlite, extra: ["http.https": true]) { client, _ in
            let response = try await client.send(.get, "/healthz", token: nil)
            #expect(response.headers[.strictTransportSecurity]?.hasPrefix("max-age=") == true)
        }
    }

    /// Every operation of openapi.yaml declares its roles, and the policy enforces exactly those.
    @Test func policyMatchesTheContract() throws {
        let operations = try AuthorizationMatrixTests.operations()
        #expect(!operations.isEmpty)
        #expect(operations.allSatisfy { !$0.roles.isEmpty }, "an operation lacks x-required-roles")
        let declared = Dictionary(uniqueKeysWithValues: operations.map { ($0.id, $0.roles) })
        #expect(Set(declared.keys) == Set(Policy.operations.keys))
        for (name, roles) in declared {
            let enforced = Policy.operations[name].map { $0.map { Set($0.map(\.rawValue)) } ?? ["public"] }
            #expect(
                enforced == roles,
                "\(name): openapi.yaml says \(roles), the policy enforces \(String(describing: enforced))"
            )
        }
    }
}
