import BindbeeSandbox
import BindbeeSync
import Dispatch
import Foundation
import Glibc
import Testing

/// Each fault kind, at rate 1, exactly as it looks on the wire.
@Suite("Fault injection on the wire")
struct FaultWireTests {
    let employees = spec(.hris, "employees")
    let token = SandboxConnector.acmeHRIS.token

    /// The first answer to `GET employees?page_size=10` from a sandbox injecting `plan`.
    func firstAnswer(_ plan: FaultPlan, clock: @escaping SandboxClock = systemClock) throws -> (Sandbox, WireOutcome) {
        let sandbox = try startSandbox(faults: plan, clock: clock)
        let client = try RawHTTPClient(port: sandbox.port)
        try client.send(RawHTTPClient.requestText("GET", "\(employees.path)?page_size=10", headers: [
            ("Authorization", "Bearer \(sandbox.apiKey)"), ("X-Connector-Token", token),
        ]))
        return (sandbox, try client.readOutcome())
    }

    /// The same page from a sandbox without faults.
    func normalPage() throws -> RawResponse {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        return try SandboxClient(sandbox).get(employees.path, token: token, query: [("page_size", "10")])
    }

    func response(_ outcome: WireOutcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> RawResponse {
        guard case .response(let response) = outcome else {
            Issue.record("expected a complete response, got \(outcome)", sourceLocation: sourceLocation)
            throw ClientError(description: "no response")
        }
        return response
    }

    @Test("500: JSON {\"detail\": \"Internal Server Error\"}")
    func serverError() throws {
        let (sandbox, outcome) = try firstAnswer(quickFaults([.serverError: 1]))
        defer { sandbox.stop() }
        let answer = try response(outcome)
        #expect(answer.status == 500)
        #expect(answer.headers["Content-Type"] == "application/json")
        #expect(try answer.json() == JSONValue.parse(#"{"detail":"Internal Server Error"}"#))
        #expect(sandbox.apiCounters.faultsInjected == [.serverError: 1])
    }

    @Test("502: an HTML body with Content-Type text/html, not JSON")
    func badGateway() throws {
        let (sandbox, outcome) = try firstAnswer(quickFaults([.badGateway: 1]))
        defer { sandbox.stop() }
        let answer = try response(outcome)
        #expect(answer.status == 502)
        #expect(answer.headers["Content-Type"] == "text/html")
        #expect(answer.text.hasPrefix("<html>") && answer.text.contains("<h1>502 Bad Gateway</h1>"))
        #expect(throws: (any Error).self) { try answer.json() }
        #expect(sandbox.apiCounters.faultsInjected == [.badGateway: 1])
    }

    @Test("503: Retry-After from the seeded range 0...2, JSON detail")
    func unavailable() throws {
        let sandbox = try startSandbox(faults: FaultPlan(rates: [.unavailable: 1]))
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        var seen = Set<Int>()
        for model in ModelCatalog.shared.models(in: .hris) {
            let answer = try client.get(model.path, token: token)
            #expect(answer.status == 503)
            #expect(try answer.json() == JSONValue.parse(#"{"detail":"Service Unavailable"}"#))
            let seconds = try #require(answer.headers["Retry-After"].flatMap { Int($0) })
            #expect((0...2).contains(seconds))
            seen.insert(seconds)
        }
        #expect(seen == [0, 1, 2])
    }

    @Test("reset: status line and headers with the full Content-Length, then a TCP RST and no body byte")
    func resetAfterHeaders() throws {
        let (sandbox, outcome) = try firstAnswer(quickFaults([.reset: 1]))
        defer { sandbox.stop() }
        guard case .cutAfterHead(let status, let headers, let bodyBytes, let reset) = outcome else {
            Issue.record("expected headers then a reset, got \(outcome)")
            return
        }
        #expect(status == 200)
        #expect(headers["Content-Type"] == "application/json")
        #expect(headers["Content-Length"] == String(try normalPage().body.count))
        #expect(bodyBytes == 0)
        #expect(reset, "the connection must end with RST, not FIN")
        #expect(sandbox.apiCounters.faultsInjected == [.reset: 1])
        #expect(sandbox.apiCounters.pagesServedByKey[token] == nil)
    }

    @Test("truncate: 200 application/json, Content-Length = the cut length, a strict prefix that does not parse")
    func truncatedBody() throws {
        let sandbox = try startSandbox(faults: quickFaults([.truncate: 1]))
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        let full = try normalPage().body
        let answer = try client.get(employees.path, token: token, query: [("page_size", "10")])
        #expect(answer.status == 200)
        #expect(answer.headers["Content-Type"] == "application/json")
        #expect(answer.headers["Content-Length"] == String(answer.body.count))
        #expect(answer.body.count > 0 && answer.body.count < full.count)
        #expect(Array(full.prefix(answer.body.count)) == answer.body)
        #expect(throws: (any Error).self) { try answer.json() }
        // The framing was honest, so the same connection serves the next request.
        #expect(try client.get("/api/hris/v1/connectors").status == 200)
        #expect(sandbox.httpCounters.connectionsAccepted == 1)
    }

    @Test("stall: nothing is written for stallSeconds, then the connection closes")
    func stall() throws {
        let started = ContinuousClock.now
        let (sandbox, outcome) = try firstAnswer(FaultPlan(rates: [.stall: 1], stallSeconds: 0.4))
        defer { sandbox.stop() }
        let elapsed = ContinuousClock.now - started
        guard case .closed(let reset) = outcome else {
            Issue.record("expected a silent close, got \(outcome)")
            return
        }
        #expect(!reset)
        #expect(elapsed >= .milliseconds(400) && elapsed < .seconds(5), "\(elapsed)")
        #expect(sandbox.apiCounters.faultsInjected == [.stall: 1])
        #expect(sandbox.apiCounters.responsesByStatus.isEmpty)
    }

    @Test("a stall ends at once when stop() is called or when the client hangs up")
    func stallIsInterruptible() throws {
        let sandbox = try startSandbox(faults: FaultPlan(rates: [.stall: 1], stallSeconds: 60))
        let request = RawHTTPClient.requestText("GET", employees.path, headers: [
            ("Authorization", "Bearer \(sandbox.apiKey)"), ("X-Connector-Token", token),
        ])
        // A client that gives up: the server stops holding its connection.
        do {
            let impatient = try RawHTTPClient(port: sandbox.port)
            try impatient.send(request)
            try waitUntil { sandbox.apiCounters.faultsInjected[.stall] == 1 }
        }
        try waitUntil { sandbox.httpCounters.openConnections == 0 }

        let held = try RawHTTPClient(port: sandbox.port)
        try held.send(request)
        try waitUntil { sandbox.apiCounters.faultsInjected[.stall] == 2 }
        let elapsed = ContinuousClock().measure { sandbox.stop() }
        #expect(elapsed < .seconds(2), "stop() waited for the stall: \(elapsed)")
        guard case .closed = try held.readOutcome() else {
            Issue.record("the stalled request got an answer")
            return
        }
    }

    @Test("429 (injected): JSON detail, Retry-After from the range, X-RateLimit-Remaining 0 and the window's Reset")
    func throttled() throws {
        let clock = ManualClock(unixSeconds: 1_800_000_000.5)
        let plan = FaultPlan(rates: [.throttle: 1], throttleRetryAfter: 2...2, burstLength: 1...1)
        let (sandbox, outcome) = try firstAnswer(plan, clock: clock.clock)
        defer { sandbox.stop() }
        let answer = try response(outcome)
        #expect(answer.status == 429)
        #expect(try answer.json() == JSONValue.parse(#"{"detail":"Rate limit exceeded"}"#))
        #expect(answer.headers["Retry-After"] == "2")
        #expect(answer.headers["X-RateLimit-Remaining"] == "0")
        #expect(answer.headers["X-RateLimit-Reset"] == "1800000003")
        #expect(answer.headers["X-RateLimit-Limit"] == "100000")
        #expect(sandbox.apiCounters.rateLimitedByKey[token] == 1)
        #expect(sandbox.apiCounters.throttleBursts == 1)
    }

    @Test("short page: fewer items than asked, page_size = items, a cursor right after the last item")
    func shortPage() throws {
        let sandbox = try startSandbox(faults: quickFaults([.shortPage: 1]))
        defer { sandbox.stop() }
        let walker = try FaultWalker(sandbox)
        let records = demoDataset.records(connector: SandboxConnector.acmeHRIS.name, model: "employees")
        var served: [String] = []
        var query = [("page_size", "10")]
        var sizes: [Int] = []
        for _ in 0..<12 {
            let (outcome, page, _) = try walker.attempt(token: token, path: employees.path, query: query)
            let json = try #require(page)
            let items = json["items"]?.arrayValue ?? []
            sizes.append(items.count)
            #expect(json["page_size"]?.intValue == Int64(items.count))
            #expect(outcome == (items.count < 10 ? "short" : "ok"))
            served += items.compactMap { $0["id"]?.stringValue }
            query = [("page_size", "10"), ("cursor", try #require(json["cursor"]?.stringValue))]
        }
        #expect(served == records.prefix(served.count).map(\.id))
        #expect(sizes.contains(0) && sizes.contains { $0 > 0 && $0 < 10 }, "\(sizes)")
    }
}

/// Polls `condition` every 10 ms for up to 5 s.
func waitUntil(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
    for _ in 0..<500 {
        if condition() { return }
        usleep(10_000)
    }
    Issue.record("condition not met within 5 s", sourceLocation: sourceLocation)
    throw ClientError(description: "timed out")
}
