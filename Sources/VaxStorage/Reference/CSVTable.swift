import Foundation

/// A CSV file read into rows keyed by header (RFC 4180: quoted fields, doubled quotes, CRLF or LF).
struct CSVTable {
    let header: [String]
    let rows: [[String]]

    init(text: String) throws(CSVError) {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var inQuotes = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = iterator.next()
        var line = 1
        while let scalar = pending {
            pending = iterator.next()
            if inQuotes {
                if scalar == "\"" {
                    if pending == "\"" {
                        field.unicodeScalars.append("\"")
                        pending = iterator.next()
                    } else {
                        inQuotes = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty: inQuotes = true
            case ",":
                record.append(field)
                field = ""
            case "\r": continue
            case "\n":
                record.append(field)
                records.append(record)
                record = []
                field = ""
                line += 1
            default: field.unicodeScalars.append(scalar)
            }
        }
        if inQuotes { throw CSVError(line: line, reason: "a quoted field is not closed") }
        if !field.isEmpty || !record.isEmpty {
            record.append(field)
            records.append(record)
        }
        guard let header = records.first else { throw CSVError(line: 1, reason: "the file is empty") }
        self.header = header.map { $0.trimmingCharacters(in: .whitespaces) }
        var rows: [[String]] = []
        for (index, record) in records.dropFirst().enumerated() where record != [""] {
            guard record.count == header.count else {
                throw CSVError(line: index + 2, reason: "expected \(header.count) fields, found \(record.count)")
            }
            rows.append(record)
        }
        self.rows = rows
    }

    /// The index of a column, or an error naming it.
    func column(_ name: String) throws(CSVError) -> Int {
        guard let index = header.firstIndex(of: name) else { throw CSVError(line: 1, reason: "no column \(name)") }
        return index
    }
}

/// A CSV file that cannot be read.
struct CSVError: Error, CustomStringConvertible {
    let line: Int
    let reason: String
    var description: String { "line \(line): \(reason)" }
}
