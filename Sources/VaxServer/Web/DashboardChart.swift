import Foundation

/// A dashboard table as a server-rendered SVG bar chart: for units, a ranked bar per unit (the one furthest
/// behind first, as the table is ordered); for days, a bar per day. No script, no library.
enum DashboardChart {
    /// The columns a chart can show, in order of preference, and the label column for each row.
    static let valueColumns = [
        "coverage1", "coverage2", "dose1", "doses", "dropoutRate", "onHand", "daysOfCover", "registered",
    ]
    static let labelColumns = [
        "unitName", "day", "priorityGroup", "storeName", "product", "lot", "organisation", "facilityId", "name",
    ]

    static func svg(keys: [String], titles: [String], rows: [[String]]) -> String? {
        // The first value column with a figure in it (coverage needs target populations, so doses come next).
        let valueIndex = valueColumns.lazy.compactMap({ keys.firstIndex(of: $0) }).first { index in
            rows.contains { index < $0.count && Double($0[index]) != nil }
        }
        guard let valueIndex,
            let labelIndex = labelColumns.lazy.compactMap({ keys.firstIndex(of: $0) }).first ?? (keys.isEmpty ? nil : 0)
        else { return nil }
        let points = rows.prefix(40).compactMap { row -> (String, Double)? in
            guard valueIndex < row.count, labelIndex < row.count, let value = Double(row[valueIndex]) else {
                return nil
            }
            return (row[labelIndex], value)
        }
        guard !points.isEmpty else { return nil }
        let maximum = max(points.map(\.1).max() ?? 0, keys[valueIndex].hasPrefix("coverage") ? 100 : 1)
        let barHeight = 22
        let labelWidth = 200
        let width = 640
        let height = points.count * barHeight + 30
        var parts = [
            #"<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(width) \#(height)" role="img" aria-label="\#(escape(titles[valueIndex]))">"#,
            #"<text x="0" y="16" font-size="13" fill="rgb(26,26,26)">\#(escape(titles[valueIndex]))</text>"#,
        ]
        for (index, point) in points.enumerated() {
            let y = 24 + index * barHeight
            let length = Int((Double(width - labelWidth - 60) * point.1 / maximum).rounded())
            parts.append(
                #"<text x="\#(labelWidth - 6)" y="\#(y + 15)" font-size="12" text-anchor="end" fill="rgb(26,26,26)">\#(escape(String(point.0.prefix(30))))</text>"#
            )
            parts.append(
                #"<rect x="\#(labelWidth)" y="\#(y + 3)" width="\#(max(length, 1))" height="\#(barHeight - 6)" fill="rgb(11,83,148)"/>"#
            )
            parts.append(
                #"<text x="\#(labelWidth + max(length, 1) + 4)" y="\#(y + 15)" font-size="12" fill="rgb(26,26,26)">\#(format(point.1))</text>"#
            )
        }
        parts.append("</svg>")
        return parts.joined()
    }

    static func format(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
