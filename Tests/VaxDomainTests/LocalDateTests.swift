import Foundation
import Testing
import VaxDomain

@Suite struct LocalDateTests {
    @Test func parsesBothForms() {
        #expect(LocalDate(iso: "1987-01-18") == LocalDate(year: 1987, month: 1, day: 18))
        #expect(LocalDate(vietnamese: "18/01/1987") == LocalDate(year: 1987, month: 1, day: 18))
        #expect(LocalDate(vietnamese: "8/1/1987") == LocalDate(year: 1987, month: 1, day: 8))
    }

    @Test(arguments: ["1987-02-30", "1987-13-01", "87-01-01", "1987-1-01", "abcd-ef-gh", "", "2023-02-29"])
    func rejectsDaysThatDoNotExist(text: String) {
        #expect(LocalDate(iso: text) == nil)
    }

    @Test func leapDay() {
        #expect(LocalDate(iso: "2024-02-29") != nil)
        #expect(LocalDate(iso: "1900-02-29") == nil)
        #expect(LocalDate(iso: "2000-02-29") != nil)
    }

    @Test func daysSinceEpochRoundTrips() {
        for days in stride(from: -30_000, to: 60_000, by: 97) {
            #expect(LocalDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
        #expect(LocalDate(daysSinceEpoch: 0).description == "1970-01-01")
    }

    @Test func todayIsInVietnamTime() {
        // 2021-07-08 18:00 UTC is already the 9th in Hanoi (UTC+7).
        let instant = Date(timeIntervalSince1970: 1_625_767_200)
        #expect(LocalDate(at: instant).description == "2021-07-09")
    }

    @Test func age() {
        let birth = LocalDate(iso: "1987-03-15")!
        #expect(birth.years(until: LocalDate(iso: "2021-03-14")!) == 33)
        #expect(birth.years(until: LocalDate(iso: "2021-03-15")!) == 34)
    }
}
