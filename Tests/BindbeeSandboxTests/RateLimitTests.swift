import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Sandbox rate limit")
struct RateLimitTests {
    let employees = spec(.hris, "employees")

    @Test("limit 5: the 6th request gets 429 with Retry-After; after the window it serves again")
    func sixthRequestIsLimited() throws {
        let clock = ManualClock(unixSeconds: 1_800_000_000)
        let sandbox = try startSandbox(rateLimit: 5, clock: clock.clock)
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let token = SandboxConnector.acmeHRIS.token
        for expectedRemaining in (0..<5).reversed() {
            let response = try client.get(employees.path, token: token, query: [("page_size", "1")])
            #expect(response.status == 200)
            #expect(response.headers["X-RateLimit-Limit"] == "5")
            #expect(response.headers["X-RateLimit-Remaining"] == String(expectedRemaining))
            #expect(response.headers["X-RateLimit-Reset"] == "1800000060")
            #expect(response.headers["Retry-After"] == nil)
            clock.advance(by: 1)
        }
        let limited = try client.get(employees.path, token: token)
        #expect(limited.status == 429)
        #expect(try limited.json() == JSONValue.parse(#"{"detail":"Rate limit exceeded"}"#))
        #expect(limited.headers["Retry-After"] == "55")
        #expect(limited.headers["X-RateLimit-Remaining"] == "0")
        #expect(limited.headers["X-RateLimit-Reset"] == "1800000060")
        #expect(limited.headers["X-RateLimit-Limit"] == "5")

        let counters = sandbox.apiCounters
        #expect(counters.requestsByKey[token] == 6)
        #expect(counters.rateLimitedByKey[token] == 1)
        #expect(counters.responsesByStatus[429] == 1)

        clock.advance(by: 56)
        let again = try client.get(employees.path, token: token)
        #expect(again.status == 200)
        #expect(again.headers["X-RateLimit-Remaining"] == "4")
        #expect(again.headers["X-RateLimit-Reset"] == "1800000121")
    }

    @Test("limits are per connector token; the connectors endpoint counts against the API key")
    func limitsArePerKey() throws {
        let clock = ManualClock()
        let sandbox = try startSandbox(rateLimit: 2, clock: clock.clock)
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let acme = SandboxConnector.acmeHRIS.token, umbrella = SandboxConnector.umbrellaHRIS.token
        let statuses = try [acme, acme, acme, umbrella, umbrella, umbrella].map {
            try client.get(employees.path, token: $0).status
        }
        #expect(statuses == [200, 200, 429, 200, 200, 429])
        #expect(try client.get("/api/hris/v1/connectors").status == 200)
        #expect(try client.get("/api/ats/v1/connectors").status == 200)
        #expect(try client.get("/api/lms/v1/connectors").status == 429)
        #expect(sandbox.apiCounters.requestsByKey[sandbox.apiKey] == 3)
        #expect(sandbox.apiCounters.rateLimited == 3)
    }

    @Test("rate-limit headers come with errors too, and errors count against the limit")
    func headersOnErrors() throws {
        let clock = ManualClock()
        let sandbox = try startSandbox(rateLimit: 3, clock: clock.clock)
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let ats = SandboxConnector.globexATS.token
        let forbidden = try client.get(employees.path, token: ats)
        let invalid = try client.get(spec(.ats, "jobs").path, token: ats, query: [("page_size", "0")])
        #expect(forbidden.status == 403 && invalid.status == 422)
        #expect(forbidden.headers["X-RateLimit-Remaining"] == "2")
        #expect(invalid.headers["X-RateLimit-Remaining"] == "1")
        #expect(invalid.headers["X-RateLimit-Reset"] != nil && invalid.headers["X-RateLimit-Limit"] == "3")
    }
}
