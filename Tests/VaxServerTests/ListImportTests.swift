import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import VaxServer
import VaxSheets
import VaxStorage
import VaxTestSupport

/// The national PL1 template as a generated XLSX file: valid, invalid and duplicate rows, paper doses,
/// a row matching someone already registered, and the same file uploaded twice.
@Suite struct ListImportTests {
    static let header = [
        "STT", "Họ và tên", "Ngày sinh", "Giới tính", "Mã nhóm", "Đơn vị công tác", "Số điện thoại", "CMND/CCCD",
        "Số thẻ BHYT", "Tỉnh", "Mã tỉnh", "Huyện", "Mã huyện", "Xã", "Mã xã", "Thôn/tổ", "Địa chỉ", "Mũi 1 vắc xin",
        "Mũi 1 ngày", "Mũi 1 lô", "Mũi 1 cơ sở", "Mũi 2 vắc xin", "Mũi 2 ngày", "Mũi 2 lô", "Mũi 2 cơ sở",
        "Ghi chú", "Kết quả",
    ]

    static func row(
        _ number: Int,
        name: String,
        birth: String = "12/04/1985",
        sex: String = "1",
        group: String = "13",
        phone: String,
        id: String,
        commune: String = "05692",
        dose1: [String] = ["", "", "", ""],
        dose2: [String] = ["", "", "", ""]
    ) -> [String] {
        [
            "\(number)", name, birth, sex, group, "Công ty May TNG", phone, id, "", "Thái Nguyên", "19", "", "",
            "Phan Đình Phùng", commune, "Tổ 5", "Số 12 đường Bến Oánh",
        ]
            + dose1 + dose2 + ["", ""]
    }

    static func upload(_ client: any TestClientProtocol, _ data: Data, type: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/registrations/imports?organisation=C%C3%B4ng%20ty%20May%20TNG",
            method: .post,
            headers: [.authorization: "Bearer \(TestTokens.admin)", .contentType: type],
            body: ByteBuffer(bytes: data)
        )
    }

    @Test(arguments: TestDatabase.engines)
    func thePL1TemplateImportsRowByRowAndOnlyOnce(engine: DatabaseEngine) async throws {
        try await withApp(engine) { client, _ in
            _ = try await client.send(
                .post,
                "/api/v1/facilities",
                json: #"{"id": "19001", "name": "Trung tâm Y tế TP Thái Nguyên", "unitCode": "05692", "kind": "fixed"}"#
            )
            // Someone already registered (by staff), whom row 6 names again.
            let existing = try await client.send(
                .post,
                "/api/v1/people",
                json: personJSON(name: "Hoàng Văn Đức", cccd: "019087004444", phone: "0912 000 444")
            )
            #expect(existing.status == .created, "\(existing.text)")
            let rows: [[String]] = [
                ["DANH SÁCH ĐỐI TƯỢNG TIÊM VẮC XIN PHÒNG COVID-19 (PL1)"],
                Self.header,
                Self.row(1, name: "Nguyễn Thị Hoa", phone: "0912 000 001", id: "019185000001"),
                Self.row(
                    2,
                    name: "Trần Văn Nam",
                    sex: "0",
                    phone: "0912 000 002",
                    id: "019085000002",
                    dose1: ["AstraZeneca", "15/07/2021", "NF7854", "19001"],
                    dose2: ["Pfizer", "2021-10-01", "FF2231", "19001"]
                ),
                Self.row(3, name: "Lê Thị Hằng", birth: "31/02/1990", phone: "0912 000 003", id: "019185000003"),
                Self.row(4, name: "Phạm Văn Tú", phone: "0912 000 004", id: "019185000004", commune: "99999"),
                Self.row(5, name: "Nguyễn Thị Hoa", phone: "0912 000 001", id: "019185000001"),
                Self.row(
                    6,
                    name: "Hoàng Văn Đức",
                    birth: "15/03/1987",
                    sex: "0",
                    phone: "0912 000 444",
                    id: "019087004444"
                ),
                Self.row(
                    7,
                    name: "Đỗ Thị Thu",
                    phone: "0912 000 007",
                    id: "",
                    dose1: ["Vero Cell", "01/08/2021", "", "19001"]
                ),
                Self.row(
                    8,
                    name: "Vũ Văn Hải",
                    sex: "0",
                    phone: "0912 000 008",
                    id: "019085000008",
                    dose1: ["Sinopharm", "01/08/2021", "VC01", "19001"],
                    dose2: ["Moderna", "01/09/2021", "MD01", "19001"]
                ),
                // Row 1 again without the ID: the same name, birth date and phone is the same person.
                Self.row(9, name: "Nguyễn Thị Hoa", phone: "0912 000 001", id: ""),
            ]
            let file = try Spreadsheet.writeXLSX(sheetName: "PL1", rows: rows)
            let first = try await Self.upload(
                client,
                file,
                type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            #expect(first.status == .ok, "\(first.text)")
            #expect(first.object["format"] as? String == "xlsx")
            #expect(first.object["replayed"] as? Bool == false)
            let results = try #require(first.object["rows"] as? [[String: Any]])
            let byRow = Dictionary(uniqueKeysWithValues: results.compactMap { r in (r["row"] as? Int).map { ($0, r) } })
            func status(_ row: Int) -> String? { byRow[row]?["status"] as? String }
            func fields(_ row: Int) -> [String] {
                ((byRow[row]?["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }
            }
            // Sheet rows: the title is row 1, the header row 2, so data row N is sheet row N + 2.
            #expect(status(3) == "created")
            #expect(status(4) == "created")
            #expect(byRow[4]?["doses"] as? Int == 2, "paper doses are back-entered")
            #expect(status(5) == "rejected")
            #expect(fields(5) == ["dateOfBirth"])
            #expect(status(6) == "rejected")
            #expect(fields(6) == ["address.communeCode"])
            #expect(status(7) == "rejected")
            #expect(((byRow[7]?["errors"] as? [[String: Any]])?.first?["code"] as? String) == "duplicate_row")
            #expect(status(8) == "matched")
            #expect(byRow[8]?["personId"] as? String == existing.object["id"] as? String)
            #expect(status(9) == "rejected", "a dose without its lot is incomplete")
            #expect(fields(9) == ["dose1"])
            #expect(status(10) == "rejected", "Vero Cell may not be followed by Moderna")
            #expect(fields(10) == ["dose2.productCode"])
            #expect(status(11) == "rejected")
            #expect(
                ((byRow[11]?["errors"] as? [[String: Any]])?.first?["message"] as? String)?.contains("row 3") == true
            )
            #expect(first.object["created"] as? Int == 2)
            #expect(first.object["matched"] as? Int == 1)
            #expect(first.object["rejected"] as? Int == 6)

            // The back-entered doses are flagged retrospective; a mixed AstraZeneca -> Pfizer series is green.
            let personID = try #require(byRow[4]?["personId"] as? String)
            let record = try await client.send(.get, "/api/v1/people/\(personID)/vaccination")
            let doses = (record.object["doses"] as? [[String: Any]]) ?? []
            #expect(doses.count == 2)
            #expect(doses.allSatisfy { $0["retrospective"] as? Bool == true })
            #expect((record.object["status"] as? [String: Any])?["colour"] as? String == "green")
            // A rejected row left no partial person.
            let nobody = try await client.send(.post, "/api/v1/people/search", json: #"{"nationalId": "019185000004"}"#)
            #expect((nobody.object["items"] as? [Any])?.isEmpty == true)

            // The same file again: the first result, nothing new.
            let second = try await Self.upload(
                client,
                file,
                type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            #expect(second.object["replayed"] as? Bool == true)
            #expect(second.object["id"] as? String == first.object["id"] as? String)
            #expect(second.object["created"] as? Int == 2)

            // The same people in a CSV (another file): matched, never created twice.
            let mismatch = Self.row(
                9,
                name: "Hoàng Văn Đông",
                birth: "15/03/1987",
                sex: "0",
                phone: "0912 000 009",
                id: "019087004444"
            )
            let csv = Spreadsheet.writeCSV([Self.header] + Array(rows[2...3]) + [mismatch])
            let third = try await Self.upload(client, csv, type: "text/csv")
            #expect(third.status == .ok, "\(third.text)")
            #expect(third.object["format"] as? String == "csv")
            #expect(third.object["created"] as? Int == 0)
            #expect(third.object["matched"] as? Int == 2)
            // An ID registered to someone with another name is not matched (no doses on the wrong person).
            let last = ((third.object["rows"] as? [[String: Any]]) ?? []).last
            #expect(
                ((last?["errors"] as? [[String: Any]])?.first?["code"] as? String) == "id_mismatch",
                "\(third.text)"
            )
            let again = try await client.send(.get, "/api/v1/people/\(personID)/vaccination")
            #expect((again.object["doses"] as? [Any])?.count == 2, "paper doses are not entered twice")

            // A file that is not a spreadsheet gets a clear error.
            let junk = try await Self.upload(client, Data([0x50, 0x4B, 0x03, 0x04, 0, 1, 2]), type: "text/csv")
            #expect(junk.status == .badRequest)
            #expect(junk.errorField == "file")
        }
    }
}
