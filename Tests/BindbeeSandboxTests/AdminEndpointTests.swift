import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Sandbox admin endpoint")
struct AdminEndpointTests {
    let employees = spec(.hris, "employees")
    static let routes = ["/_admin/advance", "/_admin/mutate", "/_admin/boundary", "/_admin/connectors",
                         "/_admin/connectors/acme-hris/health", "/_admin/expire-cursors"]

    @Test("every route needs the API key and POST; unknown routes are 404; admin calls are not API traffic")
    func authAndRouting() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        for route in Self.routes {
            let missing = try client.admin(route, #"{"seconds": 1}"#, apiKey: .some(nil))
            #expect(missing.status == 401 && missing.headers["WWW-Authenticate"] == "Bearer", "\(route)")
            #expect(try client.admin(route, #"{"seconds": 1}"#, apiKey: "sbx_wrong").status == 401, "\(route)")
            #expect(try client.admin(route, #"{"seconds": 1}"#, apiKey: SandboxConnector.acmeHRIS.token).status == 401)
            let get = try client.admin(route, nil, method: "GET")
            #expect(get.status == 405 && get.headers["Allow"] == "POST", "\(route)")
        }
        for path in ["/_admin", "/_admin/", "/_admin/reset", "/_admin/connectors/acme-hris", "/_admin/connectors//health"] {
            #expect(try client.admin(path, "{}").status == 404, "\(path)")
        }
        #expect(try client.admin("/_admin/connectors/nobody/health", #"{"status": "COMPLETE"}"#).status == 404)
        #expect(sandbox.dataset.now == demoDataset.now)
        #expect(sandbox.apiCounters.requests == 0)
    }

    @Test("bad bodies get 422 with an entry whose loc names the field, and change nothing")
    func validation() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let cases: [(String, String, [String], String)] = [
            ("/_admin/advance", "{}", ["body", "seconds"], "missing"),
            ("/_admin/advance", #"{"seconds": "soon"}"#, ["body", "seconds"], "float_type"),
            ("/_admin/advance", #"{"seconds": -5}"#, ["body", "seconds"], "value_error"),
            ("/_admin/advance", #"{"seconds": 1, "minutes": 2}"#, ["body", "minutes"], "extra_forbidden"),
            ("/_admin/advance", #"{"seconds": 1"#, ["body", "13"], "json_invalid"),
            ("/_admin/advance", "[1]", ["body"], "model_attributes_type"),
            ("/_admin/mutate", #"{"update": 0.1}"#, ["body", "seed"], "missing"),
            ("/_admin/mutate", #"{"seed": -1}"#, ["body", "seed"], "greater_than_equal"),
            ("/_admin/mutate", #"{"seed": 1.5}"#, ["body", "seed"], "int_type"),
            ("/_admin/mutate", #"{"seed": 1, "update": 1.2}"#, ["body", "update"], "value_error"),
            ("/_admin/mutate", #"{"seed": 1, "updates": 0.1}"#, ["body", "updates"], "extra_forbidden"),
            ("/_admin/mutate", #"{"seed": 1, "delete": 0.7, "touch": 0.7}"#, ["body", "update"], "value_error"),
            ("/_admin/mutate", #"{"seed": 1, "connectors": "acme-hris"}"#, ["body", "connectors"], "list_type"),
            ("/_admin/mutate", #"{"seed": 1, "connectors": ["nobody"]}"#, ["body", "connectors"], "value_error"),
            ("/_admin/mutate", #"{"seed": 1, "connectors": ["globex-ats"], "models": ["employees"]}"#, ["body", "models"], "value_error"),
            ("/_admin/boundary", #"{"connector": "acme-hris", "model": "employees", "count": 0}"#, ["body", "count"], "value_error"),
            ("/_admin/boundary", #"{"connector": "nobody", "model": "employees", "count": 5}"#, ["body", "connector"], "value_error"),
            ("/_admin/boundary", #"{"connector": "acme-hris", "count": 5}"#, ["body", "model"], "missing"),
            ("/_admin/connectors", #"{"name": "x", "token": "t", "origin_id": "o"}"#, ["body", "category"], "missing"),
            ("/_admin/connectors", #"{"name": "x", "category": "crm", "token": "t", "origin_id": "o"}"#, ["body", "category"], "value_error"),
            ("/_admin/connectors", #"{"name": "x", "category": "ats", "token": "\#(SandboxConnector.globexATS.token)", "origin_id": "o"}"#,
             ["body", "token"], "value_error"),
            ("/_admin/connectors", #"{"name": "a b", "category": "ats", "token": "t", "origin_id": "o"}"#, ["body", "name"], "value_error"),
            ("/_admin/connectors", #"{"name": "x", "category": "ats", "token": "t", "origin_id": "o", "record_counts": {"employees": 3}}"#,
             ["body", "record_counts"], "value_error"),
            ("/_admin/connectors/acme-hris/health", "{}", ["body", "status"], "value_error"),
            ("/_admin/connectors/acme-hris/health", #"{"status": "BROKEN"}"#, ["body", "status"], "value_error"),
            ("/_admin/connectors/acme-hris/health", #"{"sync_status": 3}"#, ["body", "sync_status"], "string_type"),
            ("/_admin/connectors/acme-hris/health", #"{"last_sync_start_time": "yesterday"}"#, ["body", "last_sync_start_time"], "value_error"),
            ("/_admin/connectors/acme-hris/health", #"{"is_active": "no"}"#, ["body", "is_active"], "bool_type"),
            ("/_admin/expire-cursors", #"{"now": true}"#, ["body", "now"], "extra_forbidden"),
        ]
        for (route, body, loc, type) in cases {
            let response = try client.admin(route, body)
            #expect(response.status == 422, "\(route) \(body): \(response.status) \(response.text)")
            let entries = try response.json()["detail"]?.arrayValue ?? []
            #expect(entries.contains { entry in
                entry["loc"]?.arrayValue?.map { $0.stringValue ?? String($0.intValue ?? -1) } == loc
                    && entry["type"]?.stringValue == type
            },
                    "\(route) \(body): \(response.text)")
            #expect(entries.allSatisfy { $0["msg"]?.stringValue?.isEmpty == false })
        }
        let after = sandbox.dataset
        #expect(after.now == demoDataset.now && after.connectors == demoDataset.connectors)
        #expect(after.records(connector: "acme-hris", model: "employees").map(\.defaultJSON)
            == demoDataset.records(connector: "acme-hris", model: "employees").map(\.defaultJSON))
    }

    @Test("changes made through the admin routes show through the API")
    func effectsAreVisible() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let previous = sandbox.dataset.now
        let oldCursor = try #require(try client.page(.acmeHRIS, employees, query: [("page_size", "10")]).cursor)

        let advanced = try client.admin("/_admin/advance", #"{"seconds": 90.5}"#)
        #expect(advanced.status == 200)
        #expect(try advanced.json() == .object(JSONObject([("now", .string(previous.adding(milliseconds: 90_500).iso8601))])))

        let mutated = try client.admin("/_admin/mutate", #"{"seed": 9, "update": 0.1, "insert": 0.05, "delete": 0.02, "models": ["employees"]}"#)
        #expect(mutated.status == 200)
        let summary = try mutated.json()
        let changes = try #require(summary["changes"]?.arrayValue)
        #expect(changes.compactMap { $0["connector"]?.stringValue } == ["acme-hris", "umbrella-hris"])
        let acme = try #require(changes.first)
        #expect([acme["updated"], acme["inserted"], acme["deleted"]] == [.int(25), .int(13), .int(5)])
        #expect(summary["totals"]?["inserted"] == .int(15))
        let deleted = Set(acme["deleted_ids"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let fresh = (acme["updated_ids"]?.arrayValue ?? []) + (acme["inserted_ids"]?.arrayValue ?? [])
        let ids = try client.ids(.acmeHRIS, employees, query: [("page_size", "200")])
        #expect(ids.count == 258 && Set(ids).isDisjoint(with: deleted))
        let recent = try client.ids(.acmeHRIS, employees, query: [("modified_after", previous.iso8601)])
        #expect(Set(recent) == Set(fresh.compactMap(\.stringValue)))
        // The same body on a fresh sandbox gives the same answer.
        let twin = try startSandbox()
        defer { twin.stop() }
        let twinClient = try SandboxClient(twin)
        _ = try twinClient.admin("/_admin/advance", #"{"seconds": 90.5}"#)
        #expect(try twinClient.admin("/_admin/mutate", #"{"seed": 9, "update": 0.1, "insert": 0.05, "delete": 0.02, "models": ["employees"]}"#).body
            == mutated.body)

        let boundary = try client.admin("/_admin/boundary", #"{"connector": "umbrella-hris", "model": "employees", "count": 12}"#)
        #expect(try boundary.json()["totals"]?["touched"] == .int(12))

        let added = try client.admin("/_admin/connectors", """
            {"name": "soylent-ats", "category": "ATS", "token": "sbx_soylent_ats_77", "origin_id": "soylent-1",
             "records_per_model": 4, "record_counts": {"jobs": 9}, "sync_status": null}
            """)
        #expect(added.status == 201)
        let item = try added.json()
        #expect(item["origin_id"]?.stringValue == "soylent-1" && item["integration_slug"]?.stringValue == "greenhouse")
        #expect(item["sync_status"] == .null && item["category"]?.stringValue == "ATS")
        let listed = try client.get("/api/ats/v1/connectors", query: [("origin_id", "soylent-1")]).json()["items"]?.arrayValue
        #expect(listed == [item])
        let soylent = try #require(sandbox.dataset.connector(named: "soylent-ats"))
        #expect(try client.ids(soylent, spec(.ats, "jobs")).count == 9)
        #expect(try client.ids(soylent, spec(.ats, "offers")).count == 4)

        let health = try client.admin("/_admin/connectors/soylent-ats/health", #"{"status": "RELINK_NEEDED", "is_active": false}"#)
        #expect(health.status == 200)
        let healthItem = try health.json()
        #expect(healthItem["status"]?.stringValue == "RELINK_NEEDED" && healthItem["is_active"] == .bool(false))
        #expect(healthItem["sync_status"] == .null, "absent fields stay as they were")
        #expect(healthItem["relink_needed_at"]?.stringValue == sandbox.dataset.now.iso8601)
        #expect(try client.get("/api/ats/v1/connectors", query: [("is_active", "false")]).json()["items"]?.arrayValue == [healthItem])

        let expired = try client.admin("/_admin/expire-cursors")
        #expect(try expired.json() == .object(JSONObject([("expired", .bool(true))])))
        let refused = try client.get(employees.path, token: SandboxConnector.acmeHRIS.token, query: [("cursor", oldCursor)])
        #expect(refused.status == 400)
    }
}
