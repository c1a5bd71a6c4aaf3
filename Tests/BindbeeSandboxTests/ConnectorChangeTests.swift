import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Sandbox connector changes")
struct ConnectorChangeTests {
    let employees = spec(.hris, "employees")

    static let hooli = SandboxConnector(
        name: "hooli-hris", category: .hris, token: "sbx_hooli_hris_5c2e8a1f", integrationSlug: "rippling",
        endUser: "Hooli", originID: "hooli-900", recordsPerModel: 3...6, recordCountOverrides: ["employees": 30])

    /// The item the connectors endpoint lists for `origin` (nil when absent).
    func item(_ client: SandboxClient, _ category: Category = .hris, origin: String,
              query: [(String, String)] = []) throws -> JSONValue? {
        let items = try client.get("/api/\(category.rawValue)/v1/connectors", query: query).json()["items"]?.arrayValue ?? []
        return items.first { $0["origin_id"]?.stringValue == origin }
    }

    @Test("an added connector is listed, its token serves its data, and nobody else's data moves")
    func addedConnectorAppears() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        #expect(try item(client, origin: "hooli-900") == nil)
        #expect(try client.get(employees.path, token: Self.hooli.token).status == 401)
        try sandbox.advanceClock(by: 86_400)
        try sandbox.addConnector(Self.hooli)

        let listed = try #require(try item(client, origin: "hooli-900"))
        #expect(listed["connector_token"]?.stringValue == Self.hooli.token)
        #expect(listed["total_employees"] == .int(30))
        #expect(listed["created_at"]?.stringValue == sandbox.dataset.now.iso8601)
        #expect(listed["is_active"] == .bool(true) && listed["status"]?.stringValue == "COMPLETE")
        #expect(sandbox.connectors.map(\.name) == SandboxConnector.demo.map(\.name) + ["hooli-hris"])

        let ids = try client.ids(Self.hooli, employees, query: [("page_size", "7")])
        #expect(ids == sandbox.dataset.records(connector: "hooli-hris", model: "employees").map(\.id) && ids.count == 30)
        #expect(try client.get(spec(.ats, "jobs").path, token: Self.hooli.token).status == 403)
        for connector in SandboxConnector.demo {
            for model in ModelCatalog.shared.models(in: connector.category) {
                #expect(sandbox.dataset.records(connector: connector.name, model: model.model).map(\.defaultJSON)
                    == demoDataset.records(connector: connector.name, model: model.model).map(\.defaultJSON))
            }
        }
        // Names and tokens stay unique.
        var twin = Self.hooli
        twin.token = "sbx_other"
        #expect(refusedField { () throws(SandboxChangeError) in try sandbox.addConnector(twin) } == "name")
        twin = Self.hooli
        twin.name = "hooli-2"
        #expect(refusedField { () throws(SandboxChangeError) in try sandbox.addConnector(twin) } == "token")
        twin.token = "has space"
        #expect(refusedField { () throws(SandboxChangeError) in try sandbox.addConnector(twin) } == "token")
        #expect(sandbox.connectors.count == 5)
    }

    @Test("RELINK_NEEDED and Failed show in the connectors endpoint while data endpoints keep serving the same data")
    func healthChangesKeepDataServing() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let before = try client.walk(.acmeHRIS, employees, query: [("page_size", "200")]).map(\.response.body)
        let stale = SandboxTimestamp(iso8601: "2026-11-20T03:00:00Z")!
        try sandbox.advanceClock(by: 90)
        try sandbox.setConnectorHealth(name: "acme-hris", status: "RELINK_NEEDED", syncStatus: "Failed", lastSyncStartTime: stale)
        let broken = try #require(try item(client, origin: "acme-001"))
        #expect(broken["status"]?.stringValue == "RELINK_NEEDED" && broken["sync_status"]?.stringValue == "Failed")
        #expect(broken["last_sync_start_time"]?.stringValue == stale.iso8601)
        #expect(broken["next_sync_start_time"]?.stringValue == stale.adding(milliseconds: SandboxTimestamp.millisecondsPerDay).iso8601)
        #expect(broken["relink_needed_at"]?.stringValue == sandbox.dataset.now.iso8601)
        #expect(try client.walk(.acmeHRIS, employees, query: [("page_size", "200")]).map(\.response.body) == before)

        // Still broken an hour later: relink_needed_at stays when it was first reported.
        let since = sandbox.dataset.now
        try sandbox.advanceClock(by: 3600)
        try sandbox.setConnectorHealth(name: "acme-hris", status: "RELINK_NEEDED", syncStatus: nil)
        let still = try #require(try item(client, origin: "acme-001"))
        #expect(still["relink_needed_at"]?.stringValue == since.iso8601 && still["sync_status"] == .null)

        try sandbox.setConnectorHealth(name: "acme-hris", status: "COMPLETE", syncStatus: "Failed")
        let failed = try #require(try item(client, origin: "acme-001"))
        #expect(failed["relink_needed_at"] == .null && failed["sync_status"]?.stringValue == "Failed")
        #expect(try client.walk(.acmeHRIS, employees, query: [("page_size", "200")]).map(\.response.body) == before)

        #expect(refusedField { () throws(SandboxChangeError) in
            try sandbox.setConnectorHealth(name: "acme-hris", status: "BROKEN", syncStatus: nil)
        } == "status")
        #expect(refusedField { () throws(SandboxChangeError) in
            try sandbox.setConnectorHealth(name: "acme-hris", status: "COMPLETE", syncStatus: "Stuck")
        } == "sync_status")
        #expect(refusedField { () throws(SandboxChangeError) in
            try sandbox.setConnectorHealth(name: "nobody", status: "COMPLETE", syncStatus: nil)
        } == "name")
    }

    @Test("is_active follows setActive, and the is_active filter with it; the token keeps working")
    func activeFlag() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        try sandbox.setActive(name: "umbrella-hris", false)
        #expect(try item(client, origin: "umbrella-042")?["is_active"] == .bool(false))
        #expect(try item(client, origin: "umbrella-042", query: [("is_active", "true")]) == nil)
        #expect(try item(client, origin: "umbrella-042", query: [("is_active", "false")]) != nil)
        #expect(try item(client, origin: "acme-001", query: [("is_active", "false")]) == nil)
        #expect(try client.get(employees.path, token: SandboxConnector.umbrellaHRIS.token).status == 200)
        try sandbox.setActive(name: "umbrella-hris", true)
        #expect(try item(client, origin: "umbrella-042", query: [("is_active", "true")]) != nil)
    }

    @Test("advancing the clock moves derived sync times; a fixed last_sync_start_time stays")
    func clockMovesSyncTimes() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        func start(_ origin: String, _ category: Category = .hris) throws -> SandboxTimestamp {
            try #require(SandboxTimestamp(iso8601: try item(client, category, origin: origin)?["last_sync_start_time"]?.stringValue ?? ""))
        }
        let (acme, globex) = (try start("acme-001"), try start("globex-007", .ats))
        try sandbox.setConnectorHealth(name: "acme-hris", status: "COMPLETE", syncStatus: "Done", lastSyncStartTime: acme)
        try sandbox.advanceClock(by: 2 * 86_400)
        #expect(try start("acme-001") == acme)
        #expect(try start("globex-007", .ats) == globex.adding(milliseconds: 2 * SandboxTimestamp.millisecondsPerDay))
    }
}
