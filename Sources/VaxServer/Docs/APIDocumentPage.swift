import Foundation
import VaxAPI

/// A plain HTML page listing the API's operations, built from `openapi.yaml` (no JavaScript, no CDN).
enum APIDocumentPage {
    /// One operation as the page shows it.
    struct Operation: Equatable {
        var method: String
        var path: String
        var operationID: String
        var summary: String
        var roles: [String]
    }

    static let html: String = render(operations(in: APIDocument.yaml))

    /// The operations of the document. The document's layout (two-space indents, one key per line
    /// under each method) is the house style of `openapi.yaml`, so a small scanner is enough.
    static func operations(in yaml: String) -> [Operation] {
        var result: [Operation] = []
        var path: String?
        var inPaths = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            if inPaths, !line.isEmpty, !line.hasPrefix(" ") { inPaths = false }
            guard inPaths else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let indent = line.prefix { $0 == " " }.count
            if indent == 2, trimmed.hasSuffix(":") {
                path = String(trimmed.dropLast())
            } else if indent == 4, let path, ["get:", "post:", "put:", "patch:", "delete:"].contains(trimmed) {
                result.append(
                    Operation(
                        method: String(trimmed.dropLast()).uppercased(),
                        path: path,
                        operationID: "",
                        summary: "",
                        roles: []
                    )
                )
            } else if indent == 6, !result.isEmpty {
                if let value = value(of: "operationId", in: trimmed) { result[result.count - 1].operationID = value }
                if let value = value(of: "summary", in: trimmed) { result[result.count - 1].summary = value }
                if let value = value(of: "x-required-roles", in: trimmed) {
                    result[result.count - 1].roles = value.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                        .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                }
            }
        }
        return result
    }

    private static func value(of key: String, in line: String) -> String? {
        guard line.hasPrefix(key + ":") else { return nil }
        return line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
    }

    static func render(_ operations: [Operation]) -> String {
        let rows = operations.map { operation in
            "<tr><td><code>\(operation.method)</code></td><td><code>\(escape(operation.path))</code></td>"
                + "<td>\(escape(operation.summary))</td><td>\(escape(operation.roles.joined(separator: ", ")))</td>"
                + "<td><code>\(escape(operation.operationID))</code></td></tr>"
        }.joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Vaxtrace API</title>
            <style>body{font-family:system-ui,sans-serif;margin:1rem;max-width:75rem}table{border-collapse:collapse}
            td,th{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}code{font-size:.9rem}</style>
            </head><body>
            <h1>Vaxtrace API</h1>
            <p>The contract is <a href="/openapi.yaml">openapi.yaml</a> (OpenAPI 3.1). Send a bearer token in
            <code>Authorization</code>; errors are <code>{"error": {"code", "message", "field"}}</code>; every
            response has an <code>X-Request-Id</code>.</p>
            <table><thead><tr><th>Method</th><th>Path</th><th>What</th><th>Roles</th><th>operationId</th></tr></thead>
            <tbody>
            \(rows)
            </tbody></table></body></html>
            """
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
