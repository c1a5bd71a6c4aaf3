import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// Health and discovery from the connectors endpoint: configured connectors matched by token,
/// discovered ones named by origin_id, test and inactive ones left out, failures reported.
@Suite struct ConnectorCheckTests {
    static func item(id: String, origin: String?, token: String, test: Bool = false, active: Bool = true, status: String = "COMPLETE") -> String {
        #"{"id": "\#(id)", "is_active": \#(active), "status": "\#(status)", "integration_slug": "x", "end_user": "E", "origin_id": \#(origin.map { "\"\($0)\"" } ?? "null"), "sync_status": "Done", "last_sync_start_time": "2026-12-01T00:00:00Z", "next_sync_start_time": null, "connector_token": "\#(token)", "category": "HRIS", "relink_needed_at": null, "is_test_connector": \#(test)}"#
    }

    @Test func matchesConfiguredConnectorsAndDiscoversTheRest() throws {
        let server = try ScriptedServer { request, _ in
            guard request.path == "/api/hris/v1/connectors" else { return .json(500, #"{"detail": "listing failed"}"#) }
            let items = [
                Self.item(id: "b-1", origin: "acme-001", token: "tok-configured-123456", status: "RELINK_NEEDED"),
                Self.item(id: "b-2", origin: "globex-7", token: "tok-discovered-123456"),
                Self.item(id: "b-3", origin: nil, token: "tok-no-origin-1234567"),
                Self.item(id: "b-4", origin: "test-1", token: "tok-test-connector-12", test: true),
                Self.item(id: "b-5", origin: "gone-1", token: "tok-inactive-12345678", active: false),
            ].joined(separator: ",")
            return .json(200, "{\"cursor\": null, \"page_size\": 5, \"items\": [" + items + "]}")
        }
        let configured = ConnectorConfig(name: "acme", category: .hris, token: Secret("tok-configured-123456"))
        var config = SyncConfig(endpoint: .url(server.baseURL), apiKey: Secret("key-check-1234567"), connectors: [configured])
        config.discovery = DiscoverySettings(categories: [.hris, .ats], includeTest: false)
        let client = BindbeeClient(baseURL: server.baseURL, apiKey: Secret("key-check-1234567"), retryPolicy: RetryPolicy(maxAttempts: 1))
        let check = ConnectorCheck.run(config: config, directory: ConnectorDirectory(client: client))
        #expect(check.connectors.map(\.name) == ["acme", "globex-7", "b-3"])
        #expect(check.health["acme"]?.problem?.hasPrefix("relink needed") == true)
        #expect(check.health["globex-7"]?.discovered == true)
        #expect(Set(check.ignored.map(\.name)) == ["test-1", "gone-1"])
        #expect(check.failures.map(\.category) == [.ats])
        #expect(check.failures.first?.error.contains("listing failed") == true)
        // Tokens found by discovery are secrets from then on.
        #expect(client.redactor.redact("x tok-discovered-123456 y") == "x <redacted> y")
    }
}
