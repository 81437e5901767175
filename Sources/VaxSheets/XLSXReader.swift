import Foundation

/// Reads the first worksheet of an XLSX workbook.
enum XLSXReader {
    /// The rows of the first worksheet (workbook order) of `data`.
    static func read(_ data: Data, limits: Spreadsheet.Limits) throws(SpreadsheetError) -> [[String]] {
        let zip = try SpreadsheetError.fromZip { () throws(ZipReader.Failure) in try ZipReader(data) }
        let workbookPath = try officeDocumentPath(in: zip, limits: limits)
        let workbook = try parse(WorkbookHandler(), part: workbookPath, in: zip, limits: limits)
        let relationships = try parse(
            RelationshipsHandler(),
            part: relationshipsPath(of: workbookPath),
            in: zip,
            limits: limits
        )
        let folder = folder(of: workbookPath)
        guard let sheetPath = worksheetPath(workbook, relationships, folder: folder, in: zip) else {
            throw .noWorksheet()
        }
        let sharedStringsPath =
            relationships.first(ofKind: "sharedStrings")
            .map { resolve($0.target, from: folder) } ?? "xl/sharedStrings.xml"
        let stylesPath =
            relationships.first(ofKind: "styles").map { resolve($0.target, from: folder) } ?? "xl/styles.xml"
        let sharedStrings = try parse(SharedStringsHandler(), part: sharedStringsPath, in: zip, limits: limits)
        let styles = try parse(StylesHandler(), part: stylesPath, in: zip, limits: limits)
        let sheet = WorksheetHandler(
            part: sheetPath,
            sharedStrings: sharedStrings.strings,
            dateStyles: styles.dateStyles,
            date1904: workbook.date1904,
            limits: limits
        )
        return try parse(sheet, part: sheetPath, in: zip, limits: limits).grid.finished()
    }

    /// The workbook part named by the package relationships (_rels/.rels), else "xl/workbook.xml".
    private static func officeDocumentPath(
        in zip: ZipReader,
        limits: Spreadsheet.Limits
    ) throws(SpreadsheetError) -> String {
        let root = try parse(RelationshipsHandler(), part: "_rels/.rels", in: zip, limits: limits)
        guard let document = root.first(ofKind: "officeDocument") else { return "xl/workbook.xml" }
        return resolve(document.target, from: "")
    }

    /// The part of the first worksheet in workbook order, else "xl/worksheets/sheet1.xml" if the archive has it.
    private static func worksheetPath(
        _ workbook: WorkbookHandler,
        _ relationships: RelationshipsHandler,
        folder: String,
        in zip: ZipReader
    ) -> String? {
        for id in workbook.sheetIDs {
            if let relationship = relationships.relationship(id: id), relationship.type.hasSuffix("/worksheet") {
                let path = resolve(relationship.target, from: folder)
                if zip.contains(path) { return path }
            }
        }
        let fallback = "xl/worksheets/sheet1.xml"
        return zip.contains(fallback) ? fallback : nil
    }

    /// Scans `part` with `handler`; a part the archive does not have leaves the handler as it was.
    private static func parse<Handler: XMLHandler>(
        _ handler: Handler,
        part: String,
        in zip: ZipReader,
        limits: Spreadsheet.Limits
    ) throws(SpreadsheetError) -> Handler {
        var handler = handler
        guard
            let bytes = try SpreadsheetError.fromZip({ () throws(ZipReader.Failure) in
                try zip.read(part, limit: limits.maxUncompressedBytes)
            })
        else { return handler }
        var scanner = XMLScanner(bytes, part: part)
        try scanner.scan(into: &handler)
        return handler
    }

    // MARK: - Part names

    /// The relationships part of `part`, e.g. "xl/workbook.xml" -> "xl/_rels/workbook.xml.rels".
    private static func relationshipsPath(of part: String) -> String {
        let folder = folder(of: part)
        let name = part.split(separator: "/").last.map(String.init) ?? part
        return (folder.isEmpty ? "" : folder + "/") + "_rels/" + name + ".rels"
    }

    /// The folder of `part`, e.g. "xl/workbook.xml" -> "xl".
    private static func folder(of part: String) -> String {
        part.split(separator: "/").dropLast().joined(separator: "/")
    }

    /// A relationship target resolved against `folder`: "worksheets/sheet1.xml" from "xl" is
    /// "xl/worksheets/sheet1.xml"; "/xl/x.xml" is absolute; "." and ".." segments are resolved.
    static func resolve(_ target: String, from folder: String) -> String {
        let base = target.hasPrefix("/") ? [] : folder.split(separator: "/")
        var segments: [Substring] = []
        for segment in base + target.split(separator: "/") {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        return segments.joined(separator: "/")
    }
}
