import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Cursors and modified_after across changes")
struct CursorAcrossChangeTests {
    let employees = spec(.hris, "employees")

    @Test("a walk continued with a cursor issued before a mutation loses no record that still exists")
    func oldCursorSurvivesMutation() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let before = sandbox.dataset.records(connector: "acme-hris", model: "employees").map(\.id)
        var served: [String] = []
        var cursor: String?
        for _ in 0..<2 {
            let page = try client.page(.acmeHRIS, employees, query: [("page_size", "50")] + (cursor.map { [("cursor", $0)] } ?? []))
            served += page.items.compactMap { $0["id"]?.stringValue }
            cursor = page.cursor
        }
        let passed = Set(served)
        try sandbox.advanceClock(by: 60)
        let summary = try sandbox.mutate(seed: 21, updateFraction: 0.2, insertFraction: 0.1, deleteFraction: 0.1,
                                         touchFraction: 0.1, connectors: ["acme-hris"], models: ["employees"])
        let changes = try #require(summary.changes(connector: "acme-hris", model: "employees"))
        let deleted = Set(changes.deleted)
        #expect(!deleted.intersection(passed).isEmpty && !deleted.subtracting(passed).isEmpty)
        var afterwards: [String] = []
        while let next = cursor {
            let page = try client.page(.acmeHRIS, employees, query: [("page_size", "50"), ("cursor", next)])
            afterwards += page.items.compactMap { $0["id"]?.stringValue }
            cursor = page.cursor
        }
        let rewritten = Set(changes.updated + changes.touched)
        // Nothing that exists is lost; what was changed or inserted comes (again) at the end.
        #expect(Set(served + afterwards).isSuperset(of: Set(before).subtracting(deleted)))
        #expect(Set(afterwards).isSuperset(of: rewritten.union(changes.inserted)))
        #expect(Set(afterwards).isDisjoint(with: deleted))
        #expect(Set(afterwards).intersection(passed).isSubset(of: rewritten))
        #expect(afterwards.count == Set(afterwards).count)
        #expect(Set(served + afterwards) == Set(before).union(changes.inserted).subtracting(deleted.subtracting(passed)))
    }

    @Test("300 records sharing one modified_at all come back from an inclusive modified_after equal to it, in pages of 50 and 200")
    func boundaryTimestampAcrossPages() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        try sandbox.advanceClock(by: 1)
        let summary = try sandbox.setBoundaryTimestamp(connector: "acme-hris", model: "employees", count: 300)
        let changes = try #require(summary.changes(connector: "acme-hris", model: "employees"))
        #expect(changes.touched.count == 250 && changes.inserted.count == 50 && changes.updated.isEmpty)
        let boundary = summary.now
        let expected = Set(changes.touched + changes.inserted)
        #expect(sandbox.dataset.records(connector: "acme-hris", model: "employees").allSatisfy { $0.modifiedAt == boundary })
        let client = try SandboxClient(sandbox)
        for (pageSize, pageCount) in [(50, 6), (200, 2)] {
            let pages = try client.walk(.acmeHRIS, employees,
                                        query: [("modified_after", boundary.iso8601), ("page_size", String(pageSize))])
            let ids = pages.flatMap(\.items).compactMap { $0["id"]?.stringValue }
            #expect(pages.count == pageCount)
            #expect(ids.count == 300 && Set(ids) == expected, "page_size \(pageSize)")
            #expect(pages.flatMap(\.items).allSatisfy { $0["modified_at"]?.stringValue == boundary.iso8601 })
        }
        // The same instant written with an offset and microseconds is the same filter.
        let shifted = try client.ids(.acmeHRIS, employees, query: [("modified_after", offsetForm(boundary)), ("page_size", "200")])
        #expect(Set(shifted) == expected)
        let later = try client.page(.acmeHRIS, employees, query: [("modified_after", boundary.adding(milliseconds: 1).iso8601)])
        #expect(later.items.isEmpty && later.cursor == nil)
    }

    @Test("a boundary smaller than the model touches that many records and inserts none")
    func boundaryWithinModel() throws {
        var dataset = demoDataset
        try dataset.advanceClock(by: 1)
        let summary = try dataset.setBoundaryTimestamp(connector: "umbrella-hris", model: "employees", count: 30)
        let changes = try #require(summary.changes(connector: "umbrella-hris", model: "employees"))
        #expect(changes.touched.count == 30 && changes.inserted.isEmpty)
        let records = dataset.records(connector: "umbrella-hris", model: "employees")
        #expect(records.count == 40)
        #expect(records.filter { $0.modifiedAt == dataset.now }.map(\.id).sorted() == changes.touched)
    }
}

/// `instant` as `+02:00` local time with microseconds (`2026-12-01T02:00:01.000000+02:00`).
private func offsetForm(_ instant: SandboxTimestamp) -> String {
    let local = instant.adding(milliseconds: 2 * 3_600_000).iso8601
    return String(local.dropLast()) + "000+02:00"
}
