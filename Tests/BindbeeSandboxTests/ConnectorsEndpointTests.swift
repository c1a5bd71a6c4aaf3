import BindbeeSandbox
import BindbeeSync
import Foundation
import Testing

@Suite("Sandbox connectors endpoint")
struct ConnectorsEndpointTests {
    /// Field names of a meta schema in the repository's models.json.
    func metaSchemaFields(_ name: String) throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/BindbeeSync/Catalog/models.json")
        let json = try JSONValue.parse(Array(try Data(contentsOf: url)))
        let fields = try #require(json["meta_schemas"]?[name]?.arrayValue)
        return fields.compactMap { $0["name"]?.stringValue }
    }

    @Test("items have the ConnectorResponse fields; HRIS adds the HrisConnectorResponse ones")
    func fieldsFollowMetaSchemas() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        for category in Category.allCases {
            let response = try client.get("/api/\(category.rawValue)/v1/connectors")
            #expect(response.status == 200)
            let json = try response.json()
            let items = try #require(json["items"]?.arrayValue)
            let expected = try metaSchemaFields(category == .hris ? "HrisConnectorResponse" : "ConnectorResponse")
            #expect(items.count == demoDataset.connectors.filter { $0.category == category }.count)
            #expect(json["page_size"]?.intValue == Int64(items.count))
            #expect(json["cursor"] == .null)
            for item in items {
                #expect(item.objectValue?.keys == expected)
                #expect(item["category"]?.stringValue == category.rawValue.uppercased())
                #expect(isLowercaseUUIDv4(item["id"]?.stringValue ?? ""))
                #expect(item["status"]?.stringValue == "COMPLETE")
                #expect(item["is_test_connector"] == .bool(true))
                for field in ["last_sync_start_time", "next_sync_start_time", "completed_at", "created_at"] {
                    let text = item[field]?.stringValue ?? ""
                    #expect(SandboxTimestamp(iso8601: text) != nil, "\(field): \(text)")
                }
            }
        }
    }

    @Test("the listed tokens open their connector's data; HRIS reports employee totals")
    func tokensAndTotals() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let items = try #require(client.get("/api/hris/v1/connectors").json()["items"]?.arrayValue)
        let acme = try #require(items.first { $0["origin_id"]?.stringValue == "acme-001" })
        #expect(acme["total_employees"] == .int(250))
        let active = demoDataset.records(connector: "acme-hris", model: "employees")
            .filter { $0.fields["employment_status"] == .string("ACTIVE") }.count
        #expect(acme["active_employees"] == .int(Int64(active)))
        let token = try #require(acme["connector_token"]?.stringValue)
        #expect(try client.get(spec(.hris, "employees").path, token: token).status == 200)
    }

    @Test("filters connector_token, origin_id, is_active; pages with cursors")
    func filtersAndPaging() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let path = "/api/hris/v1/connectors"
        func origins(_ query: [(String, String)]) throws -> [String] {
            try #require(client.get(path, query: query).json()["items"]?.arrayValue).compactMap { $0["origin_id"]?.stringValue }
        }
        #expect(try origins([("connector_token", SandboxConnector.umbrellaHRIS.token)]) == ["umbrella-042"])
        #expect(try origins([("origin_id", "acme-001")]) == ["acme-001"])
        #expect(try origins([("is_active", "false")]).isEmpty)
        #expect(try origins([("is_active", "true")]).count == 2)
        #expect(try client.get(path, query: [("is_active", "perhaps")]).status == 422)

        let first = try client.get(path, query: [("page_size", "1")]).json()
        let cursor = try #require(first["cursor"]?.stringValue)
        let second = try client.get(path, query: [("page_size", "1"), ("cursor", cursor)]).json()
        #expect(second["cursor"] == .null)
        #expect(second["items"]?.arrayValue?.count == 1)
        #expect(second["items"]?[0] != first["items"]?[0])
    }

    @Test("needs only the API key")
    func apiKeyOnly() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        #expect(try client.get("/api/ats/v1/connectors").status == 200)
        #expect(try client.get("/api/ats/v1/connectors", apiKey: .some(nil)).status == 401)
    }
}

extension JSONValue {
    fileprivate subscript(index: Int) -> JSONValue? {
        arrayValue.flatMap { index < $0.count ? $0[index] : nil }
    }
}
