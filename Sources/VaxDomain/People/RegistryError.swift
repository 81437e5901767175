/// What can go wrong when working with the registry, beyond field validation.
public enum RegistryError: Error, Equatable, Sendable {
    /// No person has this id.
    case personNotFound(Person.ID)
    /// The person was merged into another record; use that one.
    case merged(Person.ID, into: Person.ID)
    /// A record cannot be merged into itself.
    case mergeWithItself
    /// Both records carry different national ID numbers: they are two people.
    case conflictingNationalIDs
    /// A person with the same national ID number already exists; their id when the caller may see them.
    case duplicateNationalID(existing: Person.ID?)
    /// A unit code does not exist in the scheme valid on the address date.
    case unknownUnit(field: String, code: String, scheme: UnitScheme)
    /// No administrative scheme covers the date.
    case noSchemeOnDate(LocalDate)
}
