import BindbeeSync

/// Cuts pages out of records in serving order and writes the envelope
/// `{"cursor": ..., "page_size": <items in this page>, "items": [...]}`. Cutting and writing
/// are separate so a short-page fault can serve a prefix of the page it cut.
enum Pager {
    /// The records of one page and whether any matching record follows them.
    struct Page {
        let items: [SandboxRecord]
        let hasMore: Bool
    }

    /// Up to `pageSize` records from `start` on that satisfy `matches`.
    static func cut(_ records: [SandboxRecord], from start: Int, pageSize: Int,
                    matches: (SandboxRecord) -> Bool) -> Page {
        var chosen: [SandboxRecord] = []
        var i = start
        while i < records.count {
            if matches(records[i]) {
                if chosen.count == pageSize { return Page(items: chosen, hasMore: true) }
                chosen.append(records[i])
            }
            i += 1
        }
        return Page(items: chosen, hasMore: false)
    }

    /// The envelope around `items`; `cursor` nil writes `"cursor": null`.
    static func envelope(_ items: ArraySlice<SandboxRecord>, cursor: String?, render: (SandboxRecord) -> String) -> String {
        var out = "{\"cursor\":"
        if let cursor { JSONWriter.writeString(cursor, into: &out) } else { out += "null" }
        out += ",\"page_size\":\(items.count),\"items\":["
        for (k, record) in items.enumerated() {
            if k > 0 { out += "," }
            out += render(record)
        }
        out += "]}"
        return out
    }
}
