import Foundation

/// The OpenAPI document this module was generated from, served at `/openapi.yaml`.
public enum APIDocument {
    /// The YAML text of `openapi.yaml`.
    public static let yaml: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "" }
        return text
    }()
}
