import Foundation
import Testing

@testable import VaxSheets

@Suite struct RoundTripTests {
    static let rows: [[String]] = [
        ["Họ và tên", "Ngày sinh", "Số điện thoại", "Địa chỉ"],
        ["Nguyễn Thị Ánh", "", "0912345678", "Thái Nguyên"],
        [],
        ["Trần Văn Bình", "1990-01-02", "", "Hà Nội, \"Ba Đình\"; phường 1"],
        ["a & b <c> 'd'", "dòng 1\ndòng 2", "tab\there", "cr\r\nlf"],
        ["_x000D_ stays literal", "\u{1}control\u{1F}", "  spaces  ", "😀 emoji"],
        [""],
        ["", "", "last"],
    ]

    @Test func xlsxRoundTrip() throws {
        let data = try Spreadsheet.writeXLSX(sheetName: "PL1 Danh sách", rows: Self.rows)
        var expected = Self.rows
        expected[6] = []
        #expect(try Spreadsheet.readXLSX(data) == expected)
        #expect(try Spreadsheet.read(data) == expected)
    }

    @Test func emptyCellsAtTheEndOfARowAreNotStoredInXLSX() throws {
        let data = try Spreadsheet.writeXLSX(sheetName: "PL1", rows: [["a", "", "c", ""], ["", ""], ["x"]])
        #expect(try Spreadsheet.readXLSX(data) == [["a", "", "c"], [], ["x"]])
    }

    @Test func csvRoundTrip() throws {
        let data = Spreadsheet.writeCSV(Self.rows)
        #expect(data.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(try Spreadsheet.readCSV(data) == Self.rows)
        #expect(try Spreadsheet.read(data) == Self.rows)
    }

    @Test func csvQuotesOnlyWhenNeeded() {
        let data = Spreadsheet.writeCSV([["Nguyễn Thị Ánh", "a,b", "say \"hi\"", "x;y", "l1\nl2"], [""], []])
        let text = String(decoding: data.dropFirst(3), as: UTF8.self)
        #expect(text == "Nguyễn Thị Ánh,\"a,b\",\"say \"\"hi\"\"\",\"x;y\",\"l1\nl2\"\r\n\"\"\r\n\r\n")
    }

    @Test func xlsxPartsAreWellFormedAndNamed() throws {
        let data = try Spreadsheet.writeXLSX(sheetName: "Danh sách [PL1]: a/b?", rows: [["x"]])
        let zip = try ZipReader(data)
        for part in ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/styles.xml"] {
            let bytes = try #require(try zip.read(part, limit: 1 << 20))
            var scanner = XMLScanner(bytes, part: part)
            var handler = CollectingHandler()
            try scanner.scan(into: &handler)
        }
        let workbook = try #require(try zip.read("xl/workbook.xml", limit: 1 << 20))
        #expect(String(decoding: workbook, as: UTF8.self).contains(#"name="Danh sách _PL1__ a_b_""#))
    }

    @Test func excelSheetNames() {
        #expect(XLSXWriter.excelSheetName("") == "Sheet1")
        #expect(XLSXWriter.excelSheetName("Danh sách tiêm chủng đợt một năm 2025") == "Danh sách tiêm chủng đợt một nă")
        #expect(XLSXWriter.excelSheetName("a*b") == "a_b")
    }

    @Test func excelLimitsOnWriting() {
        #expect(throws: SpreadsheetError.self) {
            try Spreadsheet.writeXLSX(sheetName: "x", rows: [[String(repeating: "a", count: 32_768)]])
        }
    }
}

/// Accepts any XML, to check that a part is well-formed.
private struct CollectingHandler: XMLHandler {
    var wantsText: Bool { true }
    mutating func start(_ name: String, attributes: XMLAttributes) throws(SpreadsheetError) {}
    mutating func end(_ name: String) throws(SpreadsheetError) {}
    mutating func text(_ text: String) throws(SpreadsheetError) {}
}
