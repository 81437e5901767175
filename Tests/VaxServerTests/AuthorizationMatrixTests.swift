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
            let app = try await buildApplication(reader: testReader(url: url, extra: ["auth.dev.tokens": tokenValue]))
            try await app.test(.router) { client in
                for operation in operations {
                    let uri =
                        operation.path
                        .replacingOccurrences(of: "{personId}", with: UUID().uuidString.lowercased())
                        .replacingOccurrences(of: "{scheme}", with: "2025")
                        .replacingOccurrences(of: "{code}", with: "19")
                        .replacingOccurrences(of: "{oldCommuneCode}", with: "05713")
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
