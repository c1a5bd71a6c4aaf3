import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Sandbox list endpoints")
struct ListEndpointTests {
    let catalog = ModelCatalog.shared

    @Test("all 44 list endpoints serve items with exactly the catalog's fields (raw_data only on request)")
    func everyEndpointServesCatalogFields() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        var endpoints = 0
        for category in Category.allCases {
            let connector = demoDataset.firstConnector(category)
            for spec in catalog.models(in: category) {
                endpoints += 1
                let page = try client.page(connector, spec, query: [("page_size", "200")])
                let expected = demoDataset.records(connector: connector.name, model: spec.model)
                #expect(!page.items.isEmpty, "\(spec.path)")
                #expect(page.items.count == min(200, expected.count))
                let names = spec.fields.map(\.name).filter { $0 != "raw_data" }
                for (item, record) in zip(page.items, expected) {
                    #expect(item.objectValue?.keys == names, "\(spec.path)")
                    #expect(item["custom_fields"] == .null)
                    #expect(item == record.item())
                }
                let full = try client.page(connector, spec, query: [("include_raw_data", "true"), ("include_custom_fields", "1")])
                for item in full.items {
                    #expect(item.objectValue?.keys == spec.fields.map(\.name), "\(spec.path)")
                    #expect(item["raw_data"]?.objectValue != nil)
                    #expect(item["custom_fields"]?.objectValue != nil)
                }
            }
        }
        #expect(endpoints == 44)
        #expect(sandbox.httpCounters.connectionsAccepted == 1)
    }

    @Test("the same seed serves byte-identical pages; another seed different ones")
    func pagesAreDeterministic() throws {
        func bodies(seed: UInt64) throws -> [[UInt8]] {
            let sandbox = try Sandbox(options: Sandbox.Options(seed: seed, connectors: [.umbrellaHRIS]))
            defer { sandbox.stop() }
            let client = try SandboxClient(sandbox)
            return try client.walk(.umbrellaHRIS, spec(.hris, "employees"), query: [("page_size", "15")]).map(\.response.body)
        }
        let first = try bodies(seed: 42)
        #expect(first.count == 3)
        #expect(try bodies(seed: 42) == first)
        #expect(try bodies(seed: 43) != first)
    }

    @Test("walking every model with page_size 7 reaches each record exactly once; the last page has cursor null")
    func walkReachesEveryRecordOnce() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        for category in Category.allCases {
            let connector = demoDataset.firstConnector(category)
            for spec in catalog.models(in: category) {
                let pages = try client.walk(connector, spec, query: [("page_size", "7")])
                let ids = pages.flatMap(\.items).compactMap { $0["id"]?.stringValue }
                let expected = demoDataset.records(connector: connector.name, model: spec.model).map(\.id)
                #expect(ids == expected, "\(spec.path)")  // every record, once, in serving order
                #expect(pages.count == (expected.count + 6) / 7)
                for page in pages.dropLast() {
                    #expect(page.items.count == 7 && page.pageSize == 7 && page.cursor != nil)
                }
                let last = try #require(pages.last)
                #expect(last.json["cursor"] == .null)
                #expect(last.pageSize == Int64(last.items.count) && !last.items.isEmpty)
            }
        }
    }

    @Test("employees: default page of 50; 250 employees take two pages of 200")
    func employeePages() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let employees = spec(.hris, "employees")
        let first = try client.page(.acmeHRIS, employees)
        #expect(first.items.count == 50 && first.pageSize == 50 && first.cursor != nil)
        let pages = try client.walk(.acmeHRIS, employees, query: [("page_size", "200")])
        #expect(pages.map(\.items.count) == [200, 50])
        #expect(pages.map(\.pageSize) == [200, 50])
    }

    @Test("cursors contain + / =; a cursor whose + arrived as a space is refused with 400")
    func cursorCharacters() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let candidates = spec(.ats, "candidates")
        let pages = try client.walk(.globexATS, candidates, query: [("page_size", "5")])
        let cursors = pages.compactMap(\.cursor)
        #expect(cursors.count >= 3)
        // The sandbox puts all three in every cursor, so a client that fails to encode them fails at once.
        for cursor in cursors {
            #expect(cursor.contains("+") && cursor.contains("/") && cursor.hasSuffix("="), "\(cursor)")
        }
        let cursor = try #require(cursors.first)

        // Sent raw, form decoding turns `+` into a space.
        let raw = try client.http.request("GET", "\(candidates.path)?page_size=5&cursor=\(cursor)", headers: [
            ("Authorization", "Bearer \(sandbox.apiKey)"), ("X-Connector-Token", SandboxConnector.globexATS.token),
        ])
        #expect(raw.status == 400)
        #expect(try raw.json() == JSONValue.parse(#"{"detail":"Invalid cursor"}"#))
        let spaced = try client.get(candidates.path, token: SandboxConnector.globexATS.token,
                                    query: [("cursor", cursor.replacingOccurrences(of: "+", with: " "))])
        #expect(spaced.status == 400)
        // Properly encoded it works, and gives the second page.
        let good = try client.page(.globexATS, candidates, query: [("page_size", "5"), ("cursor", cursors[0])])
        #expect(good.items == pages[1].items)
        // A cursor of another model, or garbage, is refused too.
        for bad in ["abc", "", "not base64!", String(cursor.dropLast(4))] where !bad.isEmpty {
            #expect(try client.get(candidates.path, token: SandboxConnector.globexATS.token, query: [("cursor", bad)]).status == 400)
        }
        let jobsCursor = try #require(client.page(.globexATS, spec(.ats, "jobs"), query: [("page_size", "5")]).cursor)
        #expect(try client.get(candidates.path, token: SandboxConnector.globexATS.token,
                               query: [("cursor", jobsCursor)]).status == 400)
    }

    @Test("modified_after is inclusive, UTC without an offset, and honours offsets")
    func modifiedAfterIsInclusive() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let employees = spec(.hris, "employees")
        let records = demoDataset.records(connector: "acme-hris", model: "employees")
        let pivot = records[records.count / 2].modifiedAt
        let sharing = records.filter { $0.modifiedAt == pivot }.count
        #expect(sharing >= 2)

        func ids(_ value: String) throws -> [String] {
            try client.walk(.acmeHRIS, employees, query: [("page_size", "200"), ("modified_after", value)])
                .flatMap(\.items).compactMap { $0["id"]?.stringValue }
        }
        let expected = records.filter { $0.modifiedAt >= pivot }.map(\.id)
        #expect(try ids(pivot.iso8601) == expected)
        #expect(try ids(String(pivot.iso8601.dropLast())) == expected)  // no offset: UTC
        // The same instant written at +02:00.
        let shifted = pivot.adding(milliseconds: 2 * 3_600_000).iso8601.dropLast()
        #expect(try ids(shifted + "+02:00") == expected)
        // One millisecond later drops every record of that timestamp.
        let later = try ids(pivot.adding(milliseconds: 1).iso8601)
        #expect(later.count == expected.count - sharing)
        #expect(try ids("2100-01-01T00:00:00Z").isEmpty)
    }

    @Test("modified_after is ignored on LMS lists, even when it does not parse")
    func modifiedAfterIgnoredOnLMS() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let users = spec(.lms, "users")
        let all = demoDataset.records(connector: "initech-lms", model: "users").count
        for value in ["2100-01-01T00:00:00Z", "not a date"] {
            let pages = try client.walk(.initechLMS, users, query: [("page_size", "200"), ("modified_after", value)])
            #expect(pages.flatMap(\.items).count == all)
        }
    }

    @Test("ids and remote_id filter the list")
    func idsAndRemoteIDFilters() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let records = demoDataset.records(connector: "acme-hris", model: "employees")
        let wanted = [records[3].id, records[200].id]
        let page = try client.page(.acmeHRIS, spec(.hris, "employees"), query: [("ids", wanted.joined(separator: ","))])
        #expect(Set(page.items.compactMap { $0["id"]?.stringValue }) == Set(wanted))
        #expect(page.cursor == nil)
        let remote = try #require(records[10].remoteID)
        let byRemote = try client.page(.acmeHRIS, spec(.hris, "employees"), query: [("remote_id", remote)])
        #expect(byRemote.items.compactMap { $0["id"]?.stringValue } == [records[10].id])
        // With a filter, pages still walk to the end without repeats.
        let many = records.prefix(30).map(\.id)
        let walked = try client.walk(.acmeHRIS, spec(.hris, "employees"),
                                     query: [("ids", many.joined(separator: ",")), ("page_size", "7")])
        #expect(walked.flatMap(\.items).compactMap { $0["id"]?.stringValue } == Array(many))
    }

    @Test("2^53+1 is served exactly")
    func bigIntegerOnTheWire() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        for connector in demoDataset.connectors {
            let location = try #require(demoDataset.bigIntegerLocations[connector.name])
            let pages = try client.walk(connector, spec(connector.category, location.model), query: [("page_size", "200")])
            #expect(pages.contains { $0.response.text.contains("9007199254740993") }, "\(connector.name)")
        }
    }
}
