import Foundation
import Testing
import VaxSheets
import ZIPFoundation

/// Hand-built workbooks and helpers for the tests.
enum Fixtures {
    static let mainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let relationshipsNamespace = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    static let packageNamespace = "http://schemas.openxmlformats.org/package/2006/relationships"

    /// A zip archive of `parts` (path, text), deflated.
    static func zip(_ parts: [(path: String, text: String)]) throws -> Data {
        try zip(data: parts.map { ($0.path, Data($0.text.utf8)) })
    }

    /// A zip archive of `parts` (path, bytes), deflated.
    static func zip(data parts: [(path: String, bytes: Data)]) throws -> Data {
        let archive = try Archive(data: Data(), accessMode: .create, pathEncoding: nil)
        for part in parts {
            let bytes = part.bytes
            try archive.addEntry(
                with: part.path,
                type: .file,
                uncompressedSize: Int64(bytes.count),
                compressionMethod: .deflate,
                provider: { position, size in bytes.subdata(in: Int(position)..<Int(position) + size) }
            )
        }
        return try #require(archive.data)
    }

    /// A workbook whose first sheet has `sheetData` (the inside of `<sheetData>`), with optional shared strings
    /// (the `<si>` items), styles (the inside of `<styleSheet>`) and `<workbookPr>` attributes.
    static func workbook(
        sheetData: String,
        sharedStrings: [String] = [],
        styles: String? = nil,
        workbookProperties: String = ""
    ) throws -> Data {
        var parts: [(path: String, text: String)] = [
            (
                "_rels/.rels",
                relationships([("rId1", "officeDocument", "xl/workbook.xml")])
            ),
            (
                "xl/workbook.xml",
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <workbook xmlns="\(mainNamespace)" xmlns:r="\(relationshipsNamespace)">
                <workbookPr \(workbookProperties)/>
                <sheets><sheet name="PL1" sheetId="1" r:id="rId1"/></sheets></workbook>
                """
            ),
            (
                "xl/_rels/workbook.xml.rels",
                relationships([
                    ("rId1", "worksheet", "worksheets/sheet1.xml"),
                    ("rId2", "sharedStrings", "sharedStrings.xml"),
                    ("rId3", "styles", "styles.xml"),
                ])
            ),
            ("xl/worksheets/sheet1.xml", worksheet(sheetData)),
        ]
        if !sharedStrings.isEmpty {
            let items = sharedStrings.joined()
            parts.append(("xl/sharedStrings.xml", #"<sst xmlns="\#(mainNamespace)">\#(items)</sst>"#))
        }
        if let styles {
            parts.append(("xl/styles.xml", #"<styleSheet xmlns="\#(mainNamespace)">\#(styles)</styleSheet>"#))
        }
        return try zip(parts)
    }

    /// A worksheet part around `sheetData`.
    static func worksheet(_ sheetData: String) -> String {
        #"<?xml version="1.0"?><worksheet xmlns="\#(mainNamespace)"><sheetData>\#(sheetData)</sheetData></worksheet>"#
    }

    /// A relationships part of (id, kind, target).
    static func relationships(_ items: [(id: String, kind: String, target: String)]) -> String {
        let body = items.map {
            #"<Relationship Id="\#($0.id)" Type="\#(relationshipsNamespace)/\#($0.kind)" Target="\#($0.target)"/>"#
        }
        return #"<Relationships xmlns="\#(packageNamespace)">\#(body.joined())</Relationships>"#
    }

    /// The `SpreadsheetError` that `body` throws, or nil when it returns.
    static func error(_ body: () throws -> [[String]]) -> SpreadsheetError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? SpreadsheetError
        }
    }

    /// `count` bytes from a fixed-seed generator, so that failures repeat.
    static func noise(count: Int, seed: UInt64) -> Data {
        var state = seed
        var bytes: [UInt8] = []
        for _ in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(UInt8(truncatingIfNeeded: state >> 56))
        }
        return Data(bytes)
    }

    /// The offset of the central directory header of `path` in `zip`.
    static func centralDirectoryHeader(of path: String, in zip: Data) -> Int? {
        let bytes = [UInt8](zip)
        let name = Array(path.utf8)
        for offset in 0..<max(0, bytes.count - 46 - name.count)
        where bytes[offset..<offset + 4].elementsEqual([0x50, 0x4B, 0x01, 0x02]) {
            let nameLength = Int(bytes[offset + 28]) | Int(bytes[offset + 29]) << 8
            if nameLength == name.count && bytes[offset + 46..<offset + 46 + nameLength].elementsEqual(name) {
                return offset
            }
        }
        return nil
    }

    /// `zip` with the little-endian 32-bit number at `offset` replaced by `value`.
    static func patch(_ zip: Data, at offset: Int, uint32 value: UInt32) -> Data {
        var bytes = [UInt8](zip)
        for index in 0..<4 {
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index)))
        }
        return Data(bytes)
    }
}
