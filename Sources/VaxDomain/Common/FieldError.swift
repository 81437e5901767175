/// A problem with one field of an input, named by its path in the API's JSON (`address.communeCode`).
public struct FieldError: Error, Hashable, Sendable {
    /// The JSON path of the field, e.g. `nationalId.number`.
    public let field: String
    /// A stable machine-readable code, e.g. `invalid_format`.
    public let code: String
    /// A sentence for the person who typed the value.
    public let message: String

    /// A field error.
    public init(field: String, code: String, message: String) {
        self.field = field
        self.code = code
        self.message = message
    }
}

/// Several field errors found together, so a form can mark every wrong field at once.
public struct ValidationFailure: Error, Sendable {
    /// The field errors, in the order of the form.
    public let errors: [FieldError]

    /// A failure with at least one error.
    public init(_ errors: [FieldError]) {
        precondition(!errors.isEmpty, "a validation failure needs an error")
        self.errors = errors
    }
}
