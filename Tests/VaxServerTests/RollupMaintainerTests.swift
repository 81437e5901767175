import Testing

@testable import VaxServer

/// The rollup maintainer sizes its batches so that one transaction takes about 10 ms.
struct RollupMaintainerTests {
    @Test func batchesShrinkWhenSlowGrowWhenFastAndStayWithinBounds() {
        #expect(RollupMaintainer.nextLimit(after: 400, took: .milliseconds(900)) == 200)
        #expect(RollupMaintainer.nextLimit(after: 12, took: .seconds(1)) == 10)
        #expect(RollupMaintainer.nextLimit(after: 50, took: .milliseconds(2)) == 100)
        #expect(RollupMaintainer.nextLimit(after: 400, took: .milliseconds(1)) == 500)
        #expect(RollupMaintainer.nextLimit(after: 80, took: .milliseconds(15)) == 80)
        // A batch of 500 that took a second (what a 100,000-row import left behind) is down to ten
        // events within six batches.
        var limit = 500
        for _ in 0..<6 { limit = RollupMaintainer.nextLimit(after: limit, took: .seconds(1)) }
        #expect(limit == 10)
    }
}
