import Foundation
import Testing

@testable import VaxSheets

@Suite struct XLSXReadingTests {
    /// Styles: 0 General, 1 built-in date 14, 2 custom "dd/mm/yyyy", 3 custom "0.00", 4 custom quoted "d".
    static let styles = """
        <numFmts count="3"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/><numFmt numFmtId="165" formatCode="0.00"/>
        <numFmt numFmtId="166" formatCode="&quot;day&quot; 0"/></numFmts>
        <cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
        <cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/>
        <xf numFmtId="165"/><xf numFmtId="166"/></cellXfs>
        """

    @Test func sharedStringsRichTextGapsNumbersAndDates() throws {
        let sharedStrings = [
            "<si><t>Họ và tên</t></si>",
            #"<si><r><rPr><b/></rPr><t>Nguyễn </t></r><r><t xml:space="preserve">Thị  Ánh </t></r></si>"#,
            "<si><t>0912345678</t></si>",
            "<si><t>Thái Nguyên</t><rPh sb=\"0\" eb=\"1\"><t>phonetic</t></rPh></si>",
            "<si><t>A &amp; B &lt;x&gt; &quot;q&quot; &apos;s&apos; &#7853;&#x1EA1; line_x000D_\r\nnext</t></si>",
        ]
        let sheetData = """
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>4</v></c></row>
            <row r="2" spans="1:6"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>2</v></c>
            <c r="D2"><v>84912345678</v></c><c r="E2"><v>36.6</v></c><c r="F2" s="3"><v>36.600000000000001</v></c></row>
            <row r="5"><c r="B5" s="1"><v>44392</v></c><c s="2"><v>44392.75</v></c><c t="s"><v>3</v></c></row>
            <row r="6"><c r="A6" t="inlineStr"><is><t>Nội dung</t></is></c><c r="B6" t="b"><v>1</v></c>
            <c r="C6" t="str"><f>A1</f><v>công thức</v></c><c r="D6" s="4"><v>7</v></c><c r="E6" t="e"><v>#N/A</v></c>
            <c r="F6"><v>8.4912345678E10</v></c><c r="G6"><v>-0.5</v></c><c r="H6"><v>1E-5</v></c></row>
            <row r="7"><c r="A7" s="1"/><c r="B7" t="s"><v>0</v></c></row>
            <row r="9" customHeight="1"><c r="A9" s="1"/></row>
            <row r="12"><c r="C12" t="inlineStr"><is><t></t></is></c></row>
            """
        let data = try Fixtures.workbook(sheetData: sheetData, sharedStrings: sharedStrings, styles: Self.styles)
        let rows = try Spreadsheet.readXLSX(data)
        #expect(
            rows == [
                ["Họ và tên", "", "A & B <x> \"q\" 's' ậạ line\r\nnext"],
                ["Nguyễn Thị  Ánh ", "0912345678", "", "84912345678", "36.6", "36.6"],
                [],
                [],
                ["", "2021-07-15", "2021-07-15", "Thái Nguyên"],
                ["Nội dung", "1", "công thức", "7", "#N/A", "84912345678", "-0.5", "0.00001"],
                ["", "Họ và tên"],
            ]
        )
    }

    @Test func excelDateSerials() {
        #expect(CellText.date(serial: "1", date1904: false) == "1900-01-01")
        #expect(CellText.date(serial: "59", date1904: false) == "1900-02-28")
        #expect(CellText.date(serial: "60", date1904: false) == "1900-02-29")
        #expect(CellText.date(serial: "61", date1904: false) == "1900-03-01")
        #expect(CellText.date(serial: "44392", date1904: false) == "2021-07-15")
        #expect(CellText.date(serial: "2958465", date1904: false) == "9999-12-31")
        #expect(CellText.date(serial: "0", date1904: true) == "1904-01-01")
        #expect(CellText.date(serial: "42930", date1904: true) == "2021-07-15")
        #expect(CellText.date(serial: "0.5", date1904: false) == nil)
        #expect(CellText.date(serial: "-3", date1904: false) == nil)
        #expect(CellText.date(serial: "1e300", date1904: false) == nil)
        #expect(CellText.date(serial: "abc", date1904: false) == nil)
    }

    @Test func numbersAsText() {
        #expect(CellText.number("84912345678") == "84912345678")
        #expect(CellText.number("8.4912345678E10") == "84912345678")
        #expect(CellText.number("36.600000000000001") == "36.6")
        #expect(CellText.number("1.0") == "1")
        #expect(CellText.number("-0") == "0")
        #expect(CellText.number("0.1") == "0.1")
        #expect(CellText.number("nan") == "nan")
        #expect(CellText.number("12 kg") == "12 kg")
    }

    @Test func dateFormatCodes() {
        #expect(DateStyles.isDateCode("dd/mm/yyyy"))
        #expect(DateStyles.isDateCode("[$-42A]d mmmm yyyy"))
        #expect(DateStyles.isDateCode("YYYY-MM-DD"))
        #expect(!DateStyles.isDateCode("0.00"))
        #expect(!DateStyles.isDateCode("General"))
        #expect(!DateStyles.isDateCode("\"ngày\" 0"))
        #expect(!DateStyles.isDateCode("[Red]0;\\d0"))
        #expect(!DateStyles.isDateCode("_(* #,##0_);_(* (#,##0)"))
    }

    @Test func date1904Workbook() throws {
        let data = try Fixtures.workbook(
            sheetData: #"<row r="1"><c r="A1" s="1"><v>42930</v></c><c r="B1"><v>42930</v></c></row>"#,
            styles: Self.styles,
            workbookProperties: #"date1904="1""#
        )
        #expect(try Spreadsheet.readXLSX(data) == [["2021-07-15", "42930"]])
    }

    @Test func firstSheetInWorkbookOrderNotFileName() throws {
        let namespaces = #"xmlns="\#(Fixtures.mainNamespace)" xmlns:r="\#(Fixtures.relationshipsNamespace)""#
        let data = try Fixtures.zip([
            ("_rels/.rels", Fixtures.relationships([("rId1", "officeDocument", "/xl/workbook.xml")])),
            (
                "xl/workbook.xml",
                #"<workbook \#(namespaces)><sheets><sheet name="Chart" r:id="rId3"/><sheet name="B" r:id="rId2"/>"#
                    + #"<sheet name="A" r:id="rId1"/></sheets></workbook>"#
            ),
            (
                "xl/_rels/workbook.xml.rels",
                Fixtures.relationships([
                    ("rId1", "worksheet", "worksheets/sheet1.xml"),
                    ("rId2", "worksheet", "./worksheets/../worksheets/sheet2.xml"),
                    ("rId3", "chartsheet", "chartsheets/sheet1.xml"),
                ])
            ),
            ("xl/worksheets/sheet1.xml", Fixtures.worksheet(#"<row><c t="inlineStr"><is><t>one</t></is></c></row>"#)),
            ("xl/worksheets/sheet2.xml", Fixtures.worksheet(#"<row><c t="inlineStr"><is><t>two</t></is></c></row>"#)),
        ])
        #expect(try Spreadsheet.readXLSX(data) == [["two"]])
    }

    @Test func fallsBackToSheet1WithoutWorkbook() throws {
        let data = try Fixtures.zip([
            ("xl/worksheets/sheet1.xml", Fixtures.worksheet(#"<row><c t="inlineStr"><is><t>x</t></is></c></row>"#))
        ])
        #expect(try Spreadsheet.readXLSX(data) == [["x"]])
    }

    @Test func prefixedNamespacesAndCDATA() throws {
        let sheet =
            #"<x:worksheet xmlns:x="\#(Fixtures.mainNamespace)"><x:sheetData>"#
            + #"<x:row r="2"><x:c r="B2" t="inlineStr"><x:is><x:t><![CDATA[<b>&amp;</b>]]></x:t></x:is></x:c></x:row>"#
            + "</x:sheetData></x:worksheet>"
        let data = try Fixtures.zip([("xl/worksheets/sheet1.xml", sheet)])
        #expect(try Spreadsheet.readXLSX(data) == [[], ["", "<b>&amp;</b>"]])
    }
}
