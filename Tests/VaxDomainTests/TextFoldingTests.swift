import Testing
import VaxDomain

@Suite struct TextFoldingTests {
    @Test(arguments: [
        ("Huyện Đồng Hỷ", "huyen dong hy"),
        ("  Nguyễn   Thị  Ánh-Tuyết ", "nguyen thi anh tuyet"),
        ("ĐẶNG VĂN ƯỚC", "dang van uoc"),
        ("Thành phố Thái Nguyên", "thanh pho thai nguyen"),
        ("Xã Bản Phiệt", "xa ban phiet"),
        ("Phường Quán Thánh", "phuong quan thanh"),
    ])
    func foldsVietnamese(input: String, folded: String) {
        #expect(TextFolding.fold(input) == folded)
    }

    @Test func foldedNameIsAPrefixOfItself() {
        let bound = TextFolding.prefixUpperBound("nguyen van")
        #expect("nguyen van a" < bound)
        #expect("nguyen van" < bound)
        #expect("nguyen vao" > bound)
    }

    @Test func upperASCIIIsTheQRForm() {
        #expect(TextFolding.upperASCII("Nguyễn Văn A") == "NGUYEN VAN A")
    }
}
