import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// A scripted HTTP server on loopback: `respond` sees every request and the number of requests
/// before it; the test inspects what was received.
final class ScriptedServer: Sendable {
    /// Requests in arrival order (written on the server's connection queues).
    final class RequestLog: Sendable {
        let list = Locked<[HTTPRequest]>([])
    }

    let server: HTTPServer
    private let received = RequestLog()

    init(_ respond: @escaping @Sendable (HTTPRequest, Int) -> HTTPResponse) throws {
        let log = received
        server = try HTTPServer { request in
            let index = log.list.withLock { list -> Int in
                list.append(request)
                return list.count - 1
            }
            return respond(request, index)
        }
    }

    var requests: [HTTPRequest] { received.list.withLock { $0 } }
    var baseURL: URL { URL(string: "http://127.0.0.1:\(server.port)")! }
    deinit { server.stop() }
}

/// Pages for a list of item texts, chunked as given; cursors are base64 with `+`, `/`, `=`.
func scriptedPages(_ chunks: [[String]]) -> @Sendable (HTTPRequest, Int) -> HTTPResponse {
    let cursors = chunks.indices.map { "c\($0)+/x=" }
    return { request, _ in
        let position = request.queryValue("cursor").flatMap { cursors.firstIndex(of: $0).map { $0 + 1 } } ?? 0
        guard position < chunks.count else { return .json(400, #"{"detail":"Invalid cursor"}"#) }
        let next = position + 1 < chunks.count ? cursors[position] : nil
        return HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: pageJSON(chunks[position], cursor: next))
    }
}

@Suite struct BindbeeClientTests {
    let token = Secret("tok_live_CONNECTOR_abcdef123456")
    let apiKey = Secret("key_live_API_zyxwvu987654")

    /// A client without retries unless a policy is given (retries have their own tests).
    func client(_ server: ScriptedServer, maxPages: Int = 1000, retry: RetryPolicy = RetryPolicy(maxAttempts: 1)) -> BindbeeClient {
        BindbeeClient(baseURL: server.baseURL, apiKey: apiKey, redactor: Redactor([token]), retryPolicy: retry, maxPages: maxPages)
    }

    func query(pageSize: Int = 200) -> ListQuery {
        ListQuery(path: "/api/hris/v1/employees", token: token, connector: "acme", pageSize: pageSize,
                  parameters: [("modified_after", "2026-11-01T00:00:00+00:00")])
    }

    func walk(_ client: BindbeeClient, _ query: ListQuery) throws -> [String] {
        var ids: [String] = []
        _ = try client.walk(query) { page, _, _ in ids += page.items.map { page.id(of: $0) } }
        return ids
    }

    @Test func followsCursorsAcrossShortAndEmptyPagesKeepingEveryOtherParameter() throws {
        let items = (0..<6).map { #"{"id":"e\#($0)"}"# }
        let server = try ScriptedServer(scriptedPages([Array(items[0..<2]), [], Array(items[2..<3]), Array(items[3...])]))
        let ids = try walk(client(server), query(pageSize: 3))
        #expect(ids == (0..<6).map { "e\($0)" })
        let requests = server.requests
        #expect(requests.count == 4)
        for request in requests {
            #expect(request.queryValue("page_size") == "3")
            #expect(request.queryValue("modified_after") == "2026-11-01T00:00:00+00:00")  // `+` survived
            #expect(request.headers["Authorization"] == "Bearer \(apiKey.revealed)")
            #expect(request.headers["X-Connector-Token"] == token.revealed)
            #expect(!request.target.contains(token.revealed) && !request.target.contains(apiKey.revealed))
        }
        // Cursors with + / = arrive intact (a raw `+` would have been read as a space).
        #expect(requests.dropFirst().map { $0.queryValue("cursor") } == ["c0+/x=", "c1+/x=", "c2+/x="])
        #expect(requests[1].rawQuery?.contains("c0%2B%2Fx%3D") == true)
        // One long-lived session: every page over one connection.
        #expect(server.server.counters.connectionsAccepted == 1)
    }

    @Test func reachesTheEndAcrossPageSizePlusOneRecords() throws {
        let items = (0..<201).map { #"{"id":"r\#($0)"}"# }
        let server = try ScriptedServer(scriptedPages([Array(items[0..<200]), [items[200]]]))
        #expect(try walk(client(server), query()).count == 201)
        #expect(server.requests.count == 2)
    }

    @Test func aRepeatedCursorStopsTheWalkWithAnError() throws {
        let server = try ScriptedServer { _, index in
            .json(200, #"{"cursor":"same","page_size":1,"items":[{"id":"x\#(index)"}]}"#)
        }
        #expect {
            _ = try walk(client(server), query())
        } throws: { error in
            guard case APIError.repeatedCursor(let request) = error else { return false }
            return request.page == 2
        }
        #expect(server.requests.count == 2)
    }

    @Test func aPageBoundStopsAnEndlessWalk() throws {
        let server = try ScriptedServer { _, index in
            .json(200, #"{"cursor":"c\#(index)","page_size":0,"items":[]}"#)
        }
        #expect {
            _ = try walk(client(server, maxPages: 5), query())
        } throws: { error in
            if case APIError.tooManyPages(5, _) = error { return true }
            return false
        }
        #expect(server.requests.count == 5)
    }

    @Test func authFailuresCarryStatusAndDetailButNeverTheToken() throws {
        let server = try ScriptedServer { request, _ in
            // A careless server echoing the credentials back.
            let echoed = request.headers["X-Connector-Token"] ?? ""
            let key = request.headers["Authorization"] ?? ""
            return .json(401, #"{"detail":"Invalid connector token \#(echoed) for \#(key)"}"#, headers: ["WWW-Authenticate": "Bearer"])
        }
        do {
            _ = try walk(client(server), query())
            Issue.record("a 401 was accepted")
        } catch let error as APIError {
            #expect(error.status == 401)
            #expect(error.isAuthFailure)
            let text = "\(error)"
            #expect(text.contains("HTTP 401"))
            #expect(text.contains("Invalid connector token <redacted>"))
            #expect(text.contains("GET /api/hris/v1/employees (connector acme, page 1)"))
            #expect(!text.contains(token.revealed))
            #expect(!text.contains(apiKey.revealed))
        }
    }

    @Test func validationErrorsAndNonJSONBodiesBecomeReadableDetails() throws {
        let server = try ScriptedServer { _, index in
            index == 0
                ? .json(422, #"{"detail":[{"loc":["query","page_size"],"msg":"Input should be less than or equal to 200","type":"less_than_equal","input":"500"}]}"#)
                : HTTPResponse(status: 502, headers: ["Content-Type": "text/html"], body: Array("<html>\n<body>Bad Gateway</body>\n</html>".utf8))
        }
        let c = client(server)
        #expect {
            var stats = RequestStats()
            _ = try c.fetchPage(query(), cursor: nil, pageNumber: 1, stats: &stats)
        } throws: { "\($0)".contains("HTTP 422: query.page_size: Input should be less than or equal to 200") }
        #expect {
            var stats = RequestStats()
            _ = try c.fetchPage(query(), cursor: nil, pageNumber: 1, stats: &stats)
        } throws: { "\($0)".contains("HTTP 502: <html> <body>Bad Gateway</body> </html> (gave up after 1 attempts)") }
    }

    @Test func anInvalidPageBodyIsATypedError() throws {
        let server = try ScriptedServer { _, _ in .json(200, #"{"cursor":null,"page_size":1,"items":[{"name":"no id"}]}"#) }
        #expect {
            _ = try walk(client(server), query())
        } throws: { error in
            guard case APIError.gaveUp(_, .invalidPage(let message, _)) = error else { return false }
            return message.contains("has no \"id\"")
        }
    }

    @Test func aRefusedConnectionIsATransportError() throws {
        let server = try ScriptedServer { _, _ in .json(200, "{}") }
        let url = server.baseURL
        server.server.stop()
        let c = BindbeeClient(baseURL: url, apiKey: apiKey, transport: HTTPTransport(timeouts: HTTPTimeouts(request: 5)),
                              retryPolicy: RetryPolicy(maxAttempts: 1))
        #expect {
            var stats = RequestStats()
            _ = try c.fetchPage(query(), cursor: nil, pageNumber: 1, stats: &stats)
        } throws: { error in
            if case APIError.gaveUp(_, .transport) = error { return true }
            return false
        }
    }

    @Test func queryEncodingLeavesOnlyUnreservedCharacters() {
        #expect(QueryEncoding.encode("aZ09-._~") == "aZ09-._~")
        #expect(QueryEncoding.encode("a+b/c=d e&f") == "a%2Bb%2Fc%3Dd%20e%26f")
        #expect(QueryEncoding.encode("é") == "%C3%A9")
    }

    @Test func secretsNeverPrint() {
        let secret = Secret("super-secret-value")
        #expect("\(secret)" == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("super-secret-value"))
        let redactor = Redactor([secret])
        #expect(redactor.redact("x super-secret-value y super-secret-value") == "x <redacted> y <redacted>")
    }
}
