import Configuration
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import VaxServer
import VaxStorage
import VaxTestSupport

/// Every operation of `openapi.yaml` × every role (and no token at all): a role the operation
/// declares in `x-required-roles` gets past authorization, any other role gets 403, no token gets
/// 401 unless the operation is public. An operation added without a policy entry fails here.
@Suite struct AuthorizationMatrixTests {
    struct Operation {
        var method: HTTPRequest.Method
        var path: String
        var id: String
        var roles: Set<String>
        var hasBody: Bool
    }

    static func operations() throws -> [Operation] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/VaxAPI/openapi.yaml")
        let yaml = try String(contentsOf: url, encoding: .utf8)
        var result: [Operation] = []
        var path = ""
        var inPaths = false
        for line in yaml.split(separator: "\n").map(String.init) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, !line.hasPrefix(" ") { inPaths = false }
            guard inPaths else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("  /") {
                path = String(trimmed.dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), trimmed.hasSuffix(":"),
                let method = HTTPRequest.Method(String(trimmed.dropLast()).uppercased())
            {
                result.append(Operation(method: method, path: path, id: "", roles: [], hasBody: false))
            } else if line.hasPrefix("      operationId:") {
                result[result.count - 1].id = trimmed.dropFirst(12).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("      x-required-roles:") {
                let list = trimmed.dropFirst(17).trimmingCharacters(in: CharacterSet(charactersIn: " []"))
                result[result.count - 1].roles = Set(
                    list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                )
            } else if line.hasPrefix("      requestBody:") {
                result[result.count - 1].hasBody = true
            }
        }
        return result
    }

    /// A token per role, scoped inside Thái Nguyên.
    static func token(for role: Role) -> String { "matrix-\(role.rawValue)-0123456789" }

    @Test(arguments: TestDatabase.engines)
    func everyOperationTimesEveryRole(engine: DatabaseEngine) async throws {
        let operations = try Self.operations()
        #expect(operations.count == Policy.operations.count)
        let tokens: String = Role.allCases.map { role -> String in
            let scope = role == .citizen ? "person/\(citizenPersonID)" : role == .systemAdmin ? "*" : "unit/19"
            return "\(Self.token(for: role)):\(role.rawValue):\(scope)"
        }.joined(separator: ",")
        let tokenValue = ConfigValue(ConfigContent.string(tokens), isSecret: true)
        try await TestDatabase.withEmptyDatabaseURL(engine) { url in
            let app = try await buildApplication(
                reader: testReader(url: url, extra: ["auth.dev.tokens": tokenValue, "auth.bcrypt.cost": 4])
            )
            try await app.test(.router) { client in
                for operation in operations {
                    let uri =
                        operation.path
                        .replacingOccurrences(of: "{personId}", with: UUID().uuidString.lowercased())
                        .replacingOccurrences(of: "{scheme}", with: "2025")
                        .replacingOccurrences(of: "{code}", with: "19")
                        .replacingOccurrences(of: "{oldCommuneCode}", with: "05713")
                        .replacingOccurrences(of: "{tokenId}", with: UUID().uuidString.lowercased())
                        + (operation.id == "searchUnits" ? "?q=dong" : "")
                    let body = operation.hasBody ? "{}" : nil
                    let isPublic = operation.roles == ["public"]
                    let anonymous = try await client.send(operation.method, uri, token: nil, json: body)
                    if isPublic {
                        #expect(
                            ![401, 403].contains(anonymous.status.code),
                            "\(operation.id) anonymous: \(anonymous.status)"
                        )
                    } else {
                        #expect(anonymous.status == .unauthorized, "\(operation.id) anonymous: \(anonymous.status)")
                    }
                    for role in Role.allCases {
                        let response = try await client.send(
                            operation.method,
                            uri,
                            token: Self.token(for: role),
                            json: body
                        )
                        if isPublic || operation.roles.contains(role.rawValue) {
                            #expect(
                                ![401, 403].contains(response.status.code)
                                    || (role == .citizen && response.status == .forbidden),
                                "\(operation.id) as \(role.rawValue): \(response.status) \(response.text)"
                            )
                        } else {
                            #expect(
                                response.status == .forbidden,
                                "\(operation.id) as \(role.rawValue): \(response.status)"
                            )
                            #expect(response.errorCode == "not_permitted")
                        }
                    }
                }
            }
        }
    }
}

/// Every operation on a person's record × every role allowed to call it: a person in the caller's
/// scope is reachable, a person outside it is a 403 (`out_of_scope` for staff).
@Suite struct ScopeMatrixTests {
    @Test(arguments: TestDatabase.engines)
    func personOperationsInAndOutOfScope(engine: DatabaseEngine) async throws {
        let operations = try AuthorizationMatrixTests.operations().filter { $0.path.contains("{personId}") }
        #expect(operations.count >= 4)
        let staffRoles = Role.allCases.filter { $0 != .citizen }
        let tokens = staffRoles.map { role in
            "\(AuthorizationMatrixTests.token(for: role)):\(role.rawValue):\(role == .systemAdmin ? "*" : "unit/19")"
        }.joined(separator: ",")
        let extra: [AbsoluteConfigKey: ConfigValue] = [
            "auth.dev.tokens": .init(.string(tokens + ",\(TestTokens.admin):system_admin:*"), isSecret: true)
        ]
        try await withIdentityApp(engine, extra: extra) { client, harness in
            let (inside, outside) = try await AccessTests.residents(client)
            let citizen = try await client.signInCitizen("+84912345678", harness: harness)
            for operation in operations {
                for role in Role.allCases where operation.roles.contains(role.rawValue) {
                    let token = role == .citizen ? citizen : AuthorizationMatrixTests.token(for: role)
                    // A system administrator's scope is everything: there is no outside.
                    let cases = role == .systemAdmin ? [(inside, true)] : [(inside, true), (outside, false)]
                    for (person, reachable) in cases {
                        // Each request gets a fresh duplicate to merge, so merges never collide.
                        let body: String? =
                            switch operation.id {
                            case "createDependant":
                                #"{"relationship": "child", "person": {"fullName": "Nguyễn Bảo An", "dateOfBirth": "2019-06-01", "sex": "male", "address": {"provinceCode": "19", "communeCode": "05692"}, "priorityGroups": [16]}}"#
                            case "correctPerson":
                                #"{"reason": "Sửa lỗi chính tả", "sex": "female"}"#
                            case "mergePeople":
                                #"{"duplicateId": "\#(try await Self.duplicate(client, of: person == inside))", "reason": "same person"}"#
                            default: operation.hasBody ? "{}" : nil
                            }
                        let uri = operation.path.replacingOccurrences(of: "{personId}", with: person)
                        let response = try await client.send(operation.method, uri, token: token, json: body)
                        if reachable {
                            #expect(
                                ![401, 403].contains(response.status.code),
                                "\(operation.id) as \(role.rawValue) in scope: \(response.status) \(response.text)"
                            )
                        } else {
                            #expect(
                                response.status == .forbidden,
                                "\(operation.id) as \(role.rawValue) out of scope: \(response.status) \(response.text)"
                            )
                        }
                    }
                }
            }
        }
    }

    /// A fresh person to merge away, in Thái Nguyên or in Hà Nội.
    static func duplicate(_ client: any TestClientProtocol, of thaiNguyen: Bool) async throws -> String {
        let serial = String(Int.random(in: 100_000...999_999))
        var body = personJSON(
            name: "Bản Sao",
            cccd: (thaiNguyen ? "019087" : "001087") + serial,
            phone: "0966" + serial
        )
        if !thaiNguyen {
            body = body.replacingOccurrences(
                of: #""provinceCode": "19", "communeCode": "05692""#,
                with: #""provinceCode": "01", "communeCode": "00004""#
            )
        }
        let created = try await client.send(.post, "/api/v1/people", json: body)
        #expect(created.status == .created, "\(created.text)")
        return try #require(created.object["id"] as? String)
    }
}
