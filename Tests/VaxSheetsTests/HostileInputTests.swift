import Foundation
import Testing

@testable import VaxSheets

@Suite struct HostileInputTests {
    static let oneCell = #"<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>"#

    @Test func randomBytesAreNotXLSX() {
        for seed in UInt64(1)...20 {
            let noise = Fixtures.noise(count: 4_096, seed: seed)
            #expect(Fixtures.error { try Spreadsheet.readXLSX(noise) }?.code == "not_xlsx")
        }
        let error = Fixtures.error { try Spreadsheet.readXLSX(Data("hello".utf8)) }
        #expect(error?.message == "The file is not an XLSX workbook (it is not a zip archive).")
    }

    @Test func oldExcelFileIsNamed() {
        let ole = Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + Fixtures.noise(count: 512, seed: 7)
        let error = Fixtures.error { try Spreadsheet.read(ole) }
        #expect(error?.code == "not_xlsx")
        #expect(error?.message.contains(".xls") == true)
    }

    @Test func randomBytesWithZipSignatureDoNotCrash() {
        for seed in UInt64(1)...50 {
            let noise = Data([0x50, 0x4B, 0x03, 0x04]) + Fixtures.noise(count: 2_000, seed: seed)
            #expect(Fixtures.error { try Spreadsheet.read(noise) }?.code == "not_xlsx")
        }
    }

    @Test func zipWithoutWorkbook() throws {
        let data = try Fixtures.zip([("hello.txt", "hello"), ("xl/other.xml", "<a/>")])
        #expect(Fixtures.error { try Spreadsheet.readXLSX(data) }?.code == "no_worksheet")
    }

    @Test func truncatedZip() throws {
        let data = try Spreadsheet.writeXLSX(sheetName: "PL1", rows: [["Nguyễn Thị Ánh", "Thái Nguyên"]])
        for length in stride(from: 0, to: data.count, by: 7) {
            let error = Fixtures.error { try Spreadsheet.readXLSX(data.prefix(length)) }
            #expect(error?.code == "not_xlsx")
        }
    }

    @Test func corruptedBytesNeverCrash() throws {
        let data = try Spreadsheet.writeXLSX(sheetName: "PL1", rows: [["Nguyễn Thị Ánh", "Thái Nguyên"], ["1", "2"]])
        for offset in 0..<data.count {
            var corrupted = [UInt8](data)
            corrupted[offset] ^= 0xA5
            _ = try? Spreadsheet.readXLSX(Data(corrupted))
        }
    }

    @Test func hostileDirectoryOffsets() throws {
        let data = try Fixtures.workbook(sheetData: Self.oneCell)
        let header = try #require(Fixtures.centralDirectoryHeader(of: "xl/worksheets/sheet1.xml", in: data))
        for value: UInt32 in [0xFFFF_FFFF, 0x7FFF_FFFF, UInt32(data.count - 2)] {
            let badOffset = Fixtures.patch(data, at: header + 42, uint32: value)
            #expect(Fixtures.error { try Spreadsheet.readXLSX(badOffset) }?.code == "not_xlsx")
            let badSize = Fixtures.patch(data, at: header + 20, uint32: value)
            #expect(Fixtures.error { try Spreadsheet.readXLSX(badSize) } != nil)
        }
    }

    @Test func declaredSizeOverLimit() throws {
        let padding = String(repeating: " ", count: 200_000)
        let data = try Fixtures.workbook(sheetData: Self.oneCell + padding)
        let limits = Spreadsheet.Limits(maxUncompressedBytes: 100_000)
        let error = Fixtures.error { try Spreadsheet.readXLSX(data, limits: limits) }
        #expect(error?.code == "too_large")
        #expect(error?.message.contains("xl/worksheets/sheet1.xml") == true)
    }

    @Test func zipBombThatLiesAboutItsSizeIsStoppedWhileInflating() throws {
        let padding = String(repeating: " ", count: 2_000_000)
        let data = try Fixtures.workbook(sheetData: Self.oneCell + padding)
        let header = try #require(Fixtures.centralDirectoryHeader(of: "xl/worksheets/sheet1.xml", in: data))
        let lying = Fixtures.patch(data, at: header + 24, uint32: 100_000)
        let limits = Spreadsheet.Limits(maxUncompressedBytes: 100_000)
        let error = Fixtures.error { try Spreadsheet.readXLSX(lying, limits: limits) }
        #expect(error?.code == "too_large")
        let smaller = Fixtures.patch(data, at: header + 24, uint32: 500)
        #expect(Fixtures.error { try Spreadsheet.readXLSX(smaller) }?.code == "not_xlsx")
    }

    @Test func rowsOverTheLimit() throws {
        let sheetData = (1...6).map { #"<row r="\#($0)"><c t="inlineStr"><is><t>r\#($0)</t></is></c></row>"# }
        let data = try Fixtures.workbook(sheetData: sheetData.joined())
        let limits = Spreadsheet.Limits(maxRows: 5)
        let error = Fixtures.error { try Spreadsheet.readXLSX(data, limits: limits) }
        #expect(error?.code == "too_many_rows")
        #expect(error?.message == "The sheet has more than 5 rows; at most 5 rows can be read.")
        #expect(try Spreadsheet.readXLSX(data, limits: .init(maxRows: 6)).count == 6)
    }

    @Test func farAwayRowNumberIsRefusedWithoutFillingMemory() throws {
        let data = try Fixtures.workbook(sheetData: #"<row r="99999999999999999999"><c><v>1</v></c></row>"#)
        #expect(Fixtures.error { try Spreadsheet.readXLSX(data) }?.code == "too_many_rows")
    }

    @Test func blankStyledRowsBeyondTheLimitAreIgnored() throws {
        let data = try Fixtures.workbook(sheetData: Self.oneCell + #"<row r="1048576"><c r="XFD1048576" s="0"/></row>"#)
        #expect(try Spreadsheet.readXLSX(data, limits: .init(maxRows: 10, maxColumns: 2)) == [["x"]])
    }

    @Test func columnOverTheLimit() throws {
        let data = try Fixtures.workbook(sheetData: #"<row r="3"><c r="BM3"><v>1</v></c></row>"#)
        let error = Fixtures.error { try Spreadsheet.readXLSX(data) }
        #expect(error?.code == "too_large")
        #expect(error?.message == "Cell BM3 is beyond the limit of 64 columns.")
    }

    @Test func cellOverTheLimit() throws {
        let long = String(repeating: "ễ", count: 11)
        let data = try Fixtures.workbook(
            sheetData: #"<row r="12"><c r="D12" t="s"><v>0</v></c></row>"#,
            sharedStrings: ["<si><t>\(long)</t></si>"]
        )
        let error = Fixtures.error { try Spreadsheet.readXLSX(data, limits: .init(maxCellLength: 10)) }
        #expect(error?.code == "too_large")
        #expect(error?.message == "Cell D12 is longer than 10 characters.")
        let rows = try Spreadsheet.readXLSX(data, limits: .init(maxCellLength: 11))
        #expect(rows.count == 12)
        #expect(rows.last == ["", "", "", long])
    }

    @Test(arguments: [
        "<row><c><v>1</v></row>",
        "<row><c><v>1</c></v></row>",
        #"<row><c r="A1" t="inlineStr"><is><t>a &nbsp; b</t></is></c></row>"#,
        #"<row><c r="A1" t="inlineStr"><is><t>&#0;</t></is></c></row>"#,
        #"<row><c r=A1><v>1</v></c></row>"#,
        #"<row><c r="1A"><v>1</v></c></row>"#,
        #"<row r="x"><c><v>1</v></c></row>"#,
        #"<row><c t="s"><v>7</v></c></row>"#,
        "<row><!-- never closed",
        "<row><![CDATA[ never closed",
    ])
    func malformedSheetIsBadXML(sheetData: String) throws {
        let data = try Fixtures.workbook(sheetData: sheetData)
        #expect(Fixtures.error { try Spreadsheet.readXLSX(data) }?.code == "bad_xml")
    }

    @Test func entityExpansionIsRefused() throws {
        let sheet = """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
            <worksheet><sheetData><row><c t="inlineStr"><is><t>&lol2;</t></is></c></row></sheetData></worksheet>
            """
        let data = try Fixtures.zip([("xl/worksheets/sheet1.xml", sheet)])
        let error = Fixtures.error { try Spreadsheet.readXLSX(data) }
        #expect(error?.code == "bad_xml")
        #expect(error?.message.contains("xl/worksheets/sheet1.xml") == true)
    }

    @Test func invalidUTF8InsideXMLIsBadXML() throws {
        var sheet = Data(Fixtures.worksheet(#"<row><c t="inlineStr"><is><t>ab</t></is></c></row>"#).utf8)
        let range = try #require(sheet.firstRange(of: Data("ab".utf8)))
        sheet.replaceSubrange(range, with: [0xC3, 0x28])
        let data = try Fixtures.zip(data: [("xl/worksheets/sheet1.xml", sheet)])
        #expect(Fixtures.error { try Spreadsheet.readXLSX(data) }?.code == "bad_xml")
    }

    @Test func deepNestingDoesNotOverflowTheStack() throws {
        let depth = 100_000
        let sheet = String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)
        let data = try Fixtures.zip([("xl/worksheets/sheet1.xml", sheet)])
        #expect(try Spreadsheet.readXLSX(data) == [])
    }
}
