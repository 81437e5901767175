import VaxDomain
import VaxStorage

/// Turns a scope into the area of people it covers, caching the answers (units change only with a
/// law; facilities are looked up again after a minute).
actor ScopeResolver {
    private let store: IdentityStore
    private var units: [String: ScopeArea?] = [:]
    private var facilities: [String: (area: ScopeArea?, until: ContinuousClock.Instant)] = [:]

    init(store: IdentityStore) {
        self.store = store
    }

    /// The area of a scope: `nil` for `*` (everything, decided by the role) and for scopes that hold no
    /// people (venues, a citizen's own records).
    func area(of scope: Scope) async throws -> ScopeArea? {
        switch scope {
        case .unit(let code): return try await area(ofUnit: code)
        case .facility(let id):
            if let cached = facilities[id], cached.until > .now { return cached.area }
            let area: ScopeArea? =
                if let facility = try await store.facility(id: id) {
                    try await self.area(ofUnit: facility.unitCode)
                } else { nil }
            facilities[id] = (area, .now + .seconds(60))
            return area
        default: return nil
        }
    }

    private func area(ofUnit code: String) async throws -> ScopeArea? {
        if let cached = units[code] { return cached }
        let area = try await store.area(ofUnit: code)
        units[code] = area
        return area
    }
}
