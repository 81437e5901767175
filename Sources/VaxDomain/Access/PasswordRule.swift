/// The minimum strength of a staff password.
///
/// At least 12 characters (counted as characters, so Vietnamese letters count once), at most 128,
/// at least three of: lower case, upper case, digits, other characters; not containing the username;
/// not one of the passwords every attacker tries first.
public enum PasswordRule {
    /// The shortest password accepted.
    public static let minimumLength = 12
    /// The longest password accepted (bcrypt reads 72 bytes; longer input would be silently cut).
    public static let maximumBytes = 72

    /// The problems with `password`, in words for the person choosing it; empty when it is acceptable.
    public static func problems(with password: String, username: String) -> [String] {
        var problems: [String] = []
        if password.count < minimumLength { problems.append("use at least \(minimumLength) characters") }
        if password.utf8.count > maximumBytes { problems.append("use at most \(maximumBytes) bytes") }
        if password.hasControlCharacters { problems.append("control characters are not allowed") }
        var classes = 0
        if password.contains(where: \.isLowercase) { classes += 1 }
        if password.contains(where: \.isUppercase) { classes += 1 }
        if password.contains(where: \.isNumber) { classes += 1 }
        if password.contains(where: { !$0.isLetter && !$0.isNumber }) { classes += 1 }
        if classes < 3 { problems.append("mix at least three of: lower case, upper case, digits, symbols") }
        let lowered = password.lowercased()
        if !username.isEmpty, lowered.contains(username.lowercased()) {
            problems.append("do not include the username")
        }
        if common.contains(where: { lowered.hasPrefix($0) }) {
            problems.append("do not start from a common password")
        }
        return problems
    }

    /// Prefixes of passwords that lists of leaked passwords start with.
    static let common: [String] = [
        "password", "passw0rd", "123456", "12345678", "qwerty", "abc123", "111111", "admin", "letmein",
        "welcome", "iloveyou", "matkhau", "vietnam", "123123", "p@ssw0rd", "abcd1234",
    ]
}
