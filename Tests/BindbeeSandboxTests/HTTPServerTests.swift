import BindbeeSandbox
import BindbeeSync
import Dispatch
import Glibc
import Testing

/// A handler that answers with what it received, so tests can see the parsed request.
private let echo: HTTPServer.Handler = { request in
    var query = JSONObject()
    for item in request.queryItems { query[item.name] = .string(item.value) }
    let body = JSONValue.object(JSONObject([
        ("method", .string(request.method)),
        ("path", .string(request.path)),
        ("query", .object(query)),
        ("token", request.headers["X-Connector-Token"].map { .string($0) } ?? .null),
        ("body", .string(String(decoding: request.body, as: UTF8.self))),
    ]))
    return .json(200, body.serialized)
}

private func withServer(_ configuration: HTTPServer.Configuration = .init(), handler: @escaping HTTPServer.Handler = echo,
                        _ body: (HTTPServer) throws -> Void) throws {
    let server = try HTTPServer(configuration: configuration, handler: handler)
    defer { server.stop() }
    try body(server)
}

@Suite("HTTP server")
struct HTTPServerTests {
    @Test("listens on 127.0.0.1 on a kernel-chosen port")
    func portZeroGetsARealPort() throws {
        try withServer { server in
            #expect(server.port != 0)
            let client = try RawHTTPClient(port: server.port)
            #expect(try client.request("GET", "/hello").status == 200)
        }
    }

    @Test("keep-alive: several requests reuse one connection")
    func keepAliveReusesOneConnection() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            for i in 0..<5 {
                let response = try client.request("GET", "/r\(i)")
                #expect(response.status == 200)
                #expect(!response.closes)
                #expect(try response.json()["path"]?.stringValue == "/r\(i)")
            }
            #expect(server.counters.connectionsAccepted == 1)
            #expect(server.counters.requestsServed == 5)
        }
    }

    @Test("Connection: close is honoured")
    func connectionCloseIsHonoured() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            let response = try client.request("GET", "/bye", headers: [("Connection", "close")])
            #expect(response.status == 200)
            #expect(response.closes)
            #expect(client.peerClosed())
        }
    }

    @Test("HTTP/1.0 closes unless it asks for keep-alive")
    func http10() throws {
        try withServer { server in
            let plain = try RawHTTPClient(port: server.port)
            try plain.send("GET /old HTTP/1.0\r\n\r\n")
            #expect(try plain.readResponse().status == 200)
            #expect(plain.peerClosed())

            let keepAlive = try RawHTTPClient(port: server.port)
            for _ in 0..<2 {
                try keepAlive.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let response = try keepAlive.readResponse()
                #expect(response.headers["Connection"]?.lowercased() == "keep-alive")
            }
            #expect(server.counters.connectionsAccepted == 2)
        }
    }

    @Test("pipelined requests are answered in order from one read buffer")
    func pipelinedRequests() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            let batch = (0..<4).map { RawHTTPClient.requestText("GET", "/p\($0)") }.joined()
                + RawHTTPClient.requestText("POST", "/p4", body: "{\"a\":1}")
                + RawHTTPClient.requestText("GET", "/p5")
            try client.send(batch)
            for i in 0..<6 {
                let json = try client.readResponse().json()
                #expect(json["path"]?.stringValue == "/p\(i)")
                if i == 4 { #expect(json["body"]?.stringValue == "{\"a\":1}") }
            }
            #expect(server.counters.connectionsAccepted == 1)
            #expect(server.counters.requestsServed == 6)
        }
    }

    @Test("query items are form-decoded: + is a space, %2B is a plus")
    func queryDecoding() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            let json = try client.request("GET", "/a%20b?cursor=ab+c%2Bd%3D%3D&check=%E2%9C%93&flag&bad=%zz").json()
            #expect(json["path"]?.stringValue == "/a b")
            #expect(json["query"]?["cursor"]?.stringValue == "ab c+d==")
            #expect(json["query"]?["check"]?.stringValue == "✓")
            #expect(json["query"]?["flag"]?.stringValue == "")
            #expect(json["query"]?["bad"]?.stringValue == "%zz")
        }
    }

    @Test("header names are case-insensitive")
    func headerLookupIgnoresCase() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            let json = try client.request("GET", "/", headers: [("x-CONNECTOR-token", "abc")]).json()
            #expect(json["token"]?.stringValue == "abc")
        }
    }

    @Test("HEAD gets the headers without the body")
    func headHasNoBody() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send(RawHTTPClient.requestText("HEAD", "/x"))
            let head = try client.readResponse(headOnly: true)
            #expect(head.status == 200)
            #expect(Int(head.headers["Content-Length"] ?? "") ?? 0 > 0)
            // The next response on the connection starts right away: no body bytes were sent.
            #expect(try client.request("GET", "/y").json()["path"]?.stringValue == "/y")
        }
    }

    @Test("oversized headers get 431 and the connection closes")
    func oversizedHeaders() throws {
        try withServer(.init(maxHeaderBytes: 4096)) { server in
            let client = try RawHTTPClient(port: server.port)
            let big = String(repeating: "a", count: 8000)
            let response = try client.request("GET", "/", headers: [("X-Big", big)])
            #expect(response.status == 431)
            #expect(response.closes)
            #expect(client.peerClosed())
            #expect(server.counters.requestsServed == 0)
        }
    }

    @Test("a malformed request line gets 400 and the connection closes")
    func malformedRequestLine() throws {
        try withServer { server in
            let client = try RawHTTPClient(port: server.port)
            try client.send("NONSENSE\r\n\r\n")
            #expect(try client.readResponse().status == 400)
            #expect(client.peerClosed())
        }
    }

    @Test("an idle connection is closed after the idle timeout")
    func idleTimeout() throws {
        try withServer(.init(idleTimeout: 0.2)) { server in
            let client = try RawHTTPClient(port: server.port)
            #expect(try client.request("GET", "/").status == 200)
            usleep(600_000)
            #expect(client.peerClosed())
            #expect(server.counters.openConnections == 0)
        }
    }

    @Test("stop() closes open connections and the listener")
    func stopClosesEverything() throws {
        let server = try HTTPServer(handler: echo)
        let client = try RawHTTPClient(port: server.port)
        #expect(try client.request("GET", "/").status == 200)
        // The idle connection is shut down, not waited out (the idle timeout is 30 s).
        let elapsed = ContinuousClock().measure { server.stop() }
        #expect(elapsed < .seconds(5))
        #expect(client.peerClosed())
        #expect(server.counters.openConnections == 0)
        #expect(throws: ClientError.self) { try RawHTTPClient(port: server.port) }
        server.stop()  // idempotent
    }

    @Test("concurrent connections are served in parallel and counted in flight")
    func concurrentRequests() throws {
        let parallel = 3
        let arrived = Locked(0)
        let server = try HTTPServer { request in
            arrived.withLock { $0 += 1 }
            // Hold every handler until all of them are running (or give up after 5 s).
            for _ in 0..<5000 where arrived.withLock({ $0 }) < parallel { usleep(1000) }
            return echo(request)
        }
        defer { server.stop() }
        let statuses = Locked<[Int]>([])
        let group = DispatchGroup()
        let port = server.port
        for i in 0..<parallel {
            group.enter()
            DispatchQueue(label: "test-client-\(i)").async {
                let status = (try? RawHTTPClient(port: port).request("GET", "/c\(i)").status) ?? -1
                statuses.withLock { $0.append(status) }
                group.leave()
            }
        }
        #expect(group.wait(timeout: .now() + 10) == .success)
        #expect(statuses.withLock { $0 } == [200, 200, 200])
        let counters = server.counters
        #expect(counters.maxInFlightRequests == parallel)
        #expect(counters.inFlightRequests == 0)
        #expect(counters.connectionsAccepted == parallel)
    }
}
