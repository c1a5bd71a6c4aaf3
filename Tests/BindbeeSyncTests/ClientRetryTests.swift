import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// Retries over a real loopback server: what is retried, on which cursor, after how long.
@Suite struct ClientRetryTests {
    let token = Secret("tok_retry_tests_0123456789")
    let apiKey = Secret("key_retry_tests_9876543210")
    let fast = RetryPolicy(baseDelay: 0.01, maxDelay: 0.05, maxAttempts: 4, maxTotalWait: 30)

    func client(_ server: ScriptedServer, retry: RetryPolicy? = nil) -> BindbeeClient {
        BindbeeClient(baseURL: server.baseURL, apiKey: apiKey, redactor: Redactor([token]), retryPolicy: retry ?? fast)
    }

    var query: ListQuery { ListQuery(path: "/api/ats/v1/candidates", token: token, connector: "globex", pageSize: 2) }

    /// Answers `failures[i]` to the i-th request, then a valid two-page walk.
    static func failing(_ failures: [HTTPResponse]) -> @Sendable (HTTPRequest, Int) -> HTTPResponse {
        let pages = scriptedPages([[#"{"id":"a"}"#, #"{"id":"b"}"#], [#"{"id":"c"}"#]])
        return { request, index in index < failures.count ? failures[index] : pages(request, index) }
    }

    func walk(_ client: BindbeeClient) throws -> (ids: [String], stats: RequestStats) {
        var ids: [String] = []
        var total = RequestStats()
        _ = try client.walk(query) { page, _, stats in
            ids += page.items.map { page.id(of: $0) }
            total.add(stats)
        }
        return (ids, total)
    }

    @Test func transientFailuresAreRetriedUntilTheWalkCompletes() throws {
        let server = try ScriptedServer(Self.failing([
            .json(500, #"{"detail":"Internal Server Error"}"#),
            HTTPResponse(status: 502, headers: ["Content-Type": "text/html"], body: Array("<html>Bad Gateway</html>".utf8)),
            .json(200, #"{"cursor": null, "page_size": 2, "items": [{"id": "a"}, {"#),  // truncated JSON
            .json(503, #"{"detail":"busy"}"#, headers: ["Retry-After": "0"]),
        ]))
        let (ids, stats) = try walk(client(server))
        #expect(ids == ["a", "b", "c"])
        #expect(stats.retries == 4)
        #expect(stats.requests == 6)
        // Every retry asked for the same page again: the first page, without a cursor.
        #expect(server.requests.prefix(5).allSatisfy { $0.queryValue("cursor") == nil })
    }

    @Test func retryAfterZeroRetriesAtOnce() throws {
        let server = try ScriptedServer(Self.failing([.json(429, #"{"detail":"Rate limit exceeded"}"#, headers: ["Retry-After": "0"])]))
        let started = Date()
        let (ids, stats) = try walk(client(server, retry: RetryPolicy(baseDelay: 5, maxDelay: 5)))  // jitter would take seconds
        #expect(ids.count == 3)
        #expect(stats.throttled == 1)
        #expect(Date().timeIntervalSince(started) < 2)
    }

    @Test func aLargeRetryAfterIsWaitedOutAndNothingIsSentBeforeIt() throws {
        let arrivals = Locked<[Date]>([])
        let inner = Self.failing([.json(429, #"{"detail":"Rate limit exceeded"}"#, headers: ["Retry-After": "2"])])
        let server = try ScriptedServer { request, index in
            arrivals.withLock { $0.append(Date()) }
            return inner(request, index)
        }
        let (ids, stats) = try walk(client(server))
        #expect(ids.count == 3)
        #expect(stats.waited >= 1.9)
        let times = arrivals.withLock { $0 }
        #expect(times.count == 3)
        #expect(times[1].timeIntervalSince(times[0]) >= 1.95)
    }

    @Test(arguments: [400, 401, 403, 404, 422])
    func clientErrorsFailAtOnceWithOneRequest(_ status: Int) throws {
        let server = try ScriptedServer(Self.failing([.json(status, #"{"detail":"no"}"#)]))
        #expect(throws: APIError.self) { try walk(client(server)) }
        #expect(server.requests.count == 1)
    }

    @Test func retriesStopAfterMaxAttemptsWithTheLastFailure() throws {
        let server = try ScriptedServer { _, _ in .json(500, #"{"detail":"still broken"}"#) }
        do {
            _ = try walk(client(server))
            Issue.record("a permanently failing server was accepted")
        } catch let error as APIError {
            #expect("\(error)".contains("HTTP 500: still broken (gave up after 4 attempts)"))
            #expect(error.status == 500)
        }
        #expect(server.requests.count == 4)
    }

    @Test func aStalledResponseTimesOutAndIsRetried() throws {
        let server = try ScriptedServer { request, index in
            if index == 0 { Thread.sleep(forTimeInterval: 2.5) }
            return scriptedPages([[#"{"id":"a"}"#]])(request, index)
        }
        let client = BindbeeClient(baseURL: server.baseURL, apiKey: apiKey, transport: HTTPTransport(timeouts: HTTPTimeouts(connect: 1, request: 5)),
                                   retryPolicy: fast)
        let started = Date()
        var stats = RequestStats()
        let page = try client.fetchPage(query, cursor: nil, pageNumber: 1, stats: &stats)
        #expect(page.items.count == 1)
        #expect(stats.retries == 1)
        #expect(Date().timeIntervalSince(started) < 2.4)  // the connect timeout fired before the stall ended
    }
}
