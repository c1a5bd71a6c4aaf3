import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Sandbox error responses")
struct ErrorResponseTests {
    let employees = spec(.hris, "employees")

    /// `{"detail": "<string>"}` with no credential anywhere in the body.
    func expectErrorBody(_ response: RawResponse, _ sandbox: Sandbox, extraSecrets: [String] = [],
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let json = try response.json()
        #expect(json.objectValue?.keys == ["detail"], sourceLocation: sourceLocation)
        #expect(json["detail"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
        for secret in secrets(of: sandbox) + extraSecrets {
            #expect(!response.text.contains(secret), "body echoes a credential", sourceLocation: sourceLocation)
            for (_, value) in response.headers where !["X-RateLimit-Limit"].contains(value) {
                #expect(!value.contains(secret), sourceLocation: sourceLocation)
            }
        }
    }

    @Test("401 without or with a wrong API key, with WWW-Authenticate: Bearer")
    func badAPIKey() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let token = SandboxConnector.acmeHRIS.token
        let wrongKey = "sbx_wrong_key_123"
        for response in [
            try client.get(employees.path, token: token, apiKey: .some(nil)),
            try client.get(employees.path, token: token, apiKey: wrongKey),
            try client.get(employees.path, token: token, apiKey: .some(nil), headers: [("Authorization", "Basic abc")]),
            try client.get("/api/hris/v1/connectors", apiKey: wrongKey),
        ] {
            #expect(response.status == 401)
            #expect(response.headers["WWW-Authenticate"] == "Bearer")
            try expectErrorBody(response, sandbox, extraSecrets: [wrongKey])
        }
    }

    @Test("401 without or with an unknown connector token; the token is never echoed")
    func badConnectorToken() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let unknown = "sbx_unknown_token_987"
        for response in [try client.get(employees.path), try client.get(employees.path, token: unknown)] {
            #expect(response.status == 401)
            #expect(response.headers["WWW-Authenticate"] == "Bearer")
            try expectErrorBody(response, sandbox, extraSecrets: [unknown])
        }
    }

    @Test("403 for a token of another category")
    func wrongCategory() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        for (token, path) in [(SandboxConnector.globexATS.token, employees.path),
                              (SandboxConnector.acmeHRIS.token, spec(.lms, "users").path),
                              (SandboxConnector.initechLMS.token, spec(.ats, "jobs").path)] {
            let response = try client.get(path, token: token)
            #expect(response.status == 403)
            try expectErrorBody(response, sandbox)
        }
    }

    @Test("422 in FastAPI's HTTPValidationError shape; page_size is rejected, not clamped")
    func validationErrors() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let token = SandboxConnector.acmeHRIS.token
        let cases: [(query: [(String, String)], type: String)] = [
            ([("page_size", "0")], "greater_than_equal"),
            ([("page_size", "201")], "less_than_equal"),
            ([("page_size", "-3")], "greater_than_equal"),
            ([("page_size", "ten")], "int_parsing"),
            ([("page_size", "")], "int_parsing"),
            ([("modified_after", "yesterday")], "datetime_from_date_parsing"),
            ([("modified_after", "2026-13-01T00:00:00Z")], "datetime_from_date_parsing"),
            ([("include_raw_data", "maybe")], "bool_parsing"),
        ]
        for (query, type) in cases {
            let response = try client.get(employees.path, token: token, query: query)
            #expect(response.status == 422, "\(query)")
            let detail = try #require(response.json()["detail"]?.arrayValue)
            #expect(detail.count == 1)
            let entry = try #require(detail.first)
            #expect(entry["type"]?.stringValue == type)
            #expect(entry["loc"] == .array([.string("query"), .string(query[0].0)]))
            #expect(entry["msg"]?.stringValue?.isEmpty == false)
            #expect(entry["input"] == .string(query[0].1))
            #expect(!response.text.contains(token) && !response.text.contains(sandbox.apiKey))
        }
        // Every problem is reported, in parameter order.
        let both = try client.get(employees.path, token: token, query: [("modified_after", "x"), ("page_size", "500")])
        let locs = try #require(both.json()["detail"]?.arrayValue).map { $0["loc"]?.arrayValue?.last?.stringValue }
        #expect(locs == ["page_size", "modified_after"])
        // Bounds themselves are fine.
        for size in ["1", "200"] {
            #expect(try client.get(employees.path, token: token, query: [("page_size", size)]).status == 200)
        }
    }

    @Test("404 for unknown paths, 405 for other methods")
    func routing() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let token = SandboxConnector.acmeHRIS.token
        let someID = demoDataset.records(connector: "acme-hris", model: "employees")[0].id
        for path in ["/", "/api/hris/v1/nothing", "/api/hris/v2/employees", "\(employees.path)/\(someID)",
                     "/api/ats/v1/employees"] {
            let response = try client.get(path, token: token)
            #expect(response.status == 404, "\(path)")
            #expect(try response.json() == JSONValue.parse(#"{"detail":"Not Found"}"#))
        }
        let post = try client.http.request("POST", employees.path, headers: [
            ("Authorization", "Bearer \(sandbox.apiKey)"), ("X-Connector-Token", token),
        ], body: "{}")
        #expect(post.status == 405)
        #expect(post.headers["Allow"] == "GET")
        try expectErrorBody(post, sandbox)
    }
}
