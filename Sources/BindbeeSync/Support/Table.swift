/// Plain-text tables with aligned columns, for the run summary and `status`.
public enum Table {
    /// `header` and `rows` padded to their widest cell, two spaces apart; columns in
    /// `rightAligned` (numbers) are padded on the left. The last column is not padded.
    public static func render(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                if rightAligned.contains(i) { return pad + cell }
                return i == row.count - 1 ? cell : cell + pad
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
