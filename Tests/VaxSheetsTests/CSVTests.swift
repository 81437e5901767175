import Foundation
import Testing

@testable import VaxSheets

@Suite struct CSVTests {
    @Test func commaSeparatedWithQuotesAndNewlines() throws {
        let text = "Họ tên,Ghi chú,Số\r\n\"Nguyễn, Thị Ánh\",\"nói \"\"xin chào\"\"\r\ndòng 2\",084\r\n,,\r\nx,,z\r\n"
        #expect(
            try Spreadsheet.readCSV(Data(text.utf8)) == [
                ["Họ tên", "Ghi chú", "Số"],
                ["Nguyễn, Thị Ánh", "nói \"xin chào\"\r\ndòng 2", "084"],
                ["", "", ""],
                ["x", "", "z"],
            ]
        )
    }

    @Test func semicolonSeparatedWithBOMAndLF() throws {
        let text = "\u{FEFF}Họ tên;Địa chỉ;Ghi chú\nNguyễn Thị Ánh;Thái Nguyên;\"a;b, c\"\n\nlast;row"
        #expect(
            try Spreadsheet.readCSV(Data(text.utf8)) == [
                ["Họ tên", "Địa chỉ", "Ghi chú"],
                ["Nguyễn Thị Ánh", "Thái Nguyên", "a;b, c"],
                [],
                ["last", "row"],
            ]
        )
    }

    @Test func separatorDetectionIgnoresQuotedSeparators() {
        #expect(CSVReader.detectSeparator(Array("\"a;b;c\",d\n1;2;3;4".utf8)) == UInt8(ascii: ","))
        #expect(CSVReader.detectSeparator(Array("a;b,c;d\nx,y,z,w,v".utf8)) == UInt8(ascii: ";"))
        #expect(CSVReader.detectSeparator([]) == UInt8(ascii: ","))
    }

    @Test func trailingBlankRowsAreDropped() throws {
        let text = "a,b\r\n\r\n,\r\n;;\r\n"
        #expect(try Spreadsheet.readCSV(Data(text.utf8)) == [["a", "b"], [], ["", ""], [";;"]])
        #expect(try Spreadsheet.readCSV(Data("a,b\r\n\r\n,\r\n\r\n".utf8)) == [["a", "b"]])
        #expect(try Spreadsheet.readCSV(Data()) == [])
    }

    @Test func textAfterAClosingQuoteIsKept() throws {
        #expect(try Spreadsheet.readCSV(Data("\"ab\"c,d\r\ne\"f\",g".utf8)) == [["abc", "d"], ["e\"f\"", "g"]])
    }

    @Test func unterminatedQuoteNamesTheLine() {
        let text = "a,b\n1,2\n3,\"never\nclosed,4\n"
        let error = Fixtures.error { try Spreadsheet.readCSV(Data(text.utf8)) }
        #expect(error?.code == "bad_csv")
        #expect(error?.message == "The quoted field that starts on line 3 is never closed (a \" is missing).")
    }

    @Test func invalidUTF8() {
        var bytes = Array("Ho ten,Dia chi\nNguy".utf8)
        bytes += [0xEA, 0xF1, 0x6E]
        let error = Fixtures.error { try Spreadsheet.readCSV(Data(bytes)) }
        #expect(error?.code == "not_utf8")
        #expect(error?.message.contains("cell A2") == true)
    }

    @Test func randomBytesReadAsCSVAreRefusedOrRead() {
        for seed in UInt64(1)...20 {
            let noise = Fixtures.noise(count: 4_096, seed: seed)
            let error = Fixtures.error { try Spreadsheet.read(noise) }
            #expect(["not_utf8", "bad_csv", "too_large"].contains(error?.code ?? "none"))
        }
    }

    @Test func limits() throws {
        let rows = Data((1...6).map { "row \($0)" }.joined(separator: "\n").utf8)
        #expect(Fixtures.error { try Spreadsheet.readCSV(rows, limits: .init(maxRows: 5)) }?.code == "too_many_rows")
        let blankTail = Data(("a\n" + String(repeating: ",,\n", count: 100)).utf8)
        #expect(Fixtures.error { try Spreadsheet.readCSV(blankTail, limits: .init(maxRows: 5)) } == nil)

        let wide = Data("a,b,c\n1,2,3,4".utf8)
        let error = Fixtures.error { try Spreadsheet.readCSV(wide, limits: .init(maxColumns: 3)) }
        #expect(error?.code == "too_large")
        #expect(error?.message == "Cell D2 is beyond the limit of 3 columns.")
        let trailingSeparators = Data("a,b,c,,,,,,\n".utf8)
        #expect(try Spreadsheet.readCSV(trailingSeparators, limits: .init(maxColumns: 3)) == [["a", "b", "c"]])

        let long = Data("short,\"\(String(repeating: "ạ", count: 2_001))\"".utf8)
        let longError = Fixtures.error { try Spreadsheet.readCSV(long) }
        #expect(longError?.code == "too_large")
        #expect(longError?.message == "Cell B1 is longer than 2000 characters.")

        let big = Data(repeating: UInt8(ascii: "a"), count: 2_000)
        #expect(
            Fixtures.error { try Spreadsheet.readCSV(big, limits: .init(maxUncompressedBytes: 1_000)) }?.code
                == "too_large"
        )
    }
}
