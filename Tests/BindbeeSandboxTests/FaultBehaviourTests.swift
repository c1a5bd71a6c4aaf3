import BindbeeSandbox
import BindbeeSync
import Dispatch
import Testing

/// Which requests fail, and the guarantees a client can build on: reproducible decisions,
/// bounded fault streaks, no lost or repeated records, credentials and validation first.
@Suite("Fault injection behaviour")
struct FaultBehaviourTests {
    /// Lists walked by the determinism tests: two tokens, several paths each.
    let lists: [(SandboxConnector, ModelSpec)] = [
        (.acmeHRIS, spec(.hris, "employees")), (.acmeHRIS, spec(.hris, "companies")), (.acmeHRIS, spec(.hris, "time-off")),
        (.globexATS, spec(.ats, "candidates")), (.globexATS, spec(.ats, "jobs")), (.initechLMS, spec(.lms, "users")),
    ]

    /// Walks every list of `lists`, one after another in reverse order or all at once.
    func walkAll(_ plan: FaultPlan, concurrently: Bool) throws -> [FaultyWalk] {
        let sandbox = try startSandbox(faults: plan)
        defer { sandbox.stop() }
        let results = Locked<[Int: Result<FaultyWalk, any Error>]>([:])
        let walkOne: @Sendable (Int) -> Void = { [lists] i in
            let result = Result { try FaultWalker(sandbox).walk(token: lists[i].0.token, path: lists[i].1.path, pageSize: 7) }
            results.withLock { $0[i] = result }
        }
        if concurrently {
            DispatchQueue.concurrentPerform(iterations: lists.count, execute: walkOne)
        } else {
            for i in lists.indices.reversed() { walkOne(i) }
        }
        return try lists.indices.map { i in try results.withLock { $0[i]! }.get() }
    }

    @Test("same fault seed, same request sequence per page → same faults, however the walks interleave")
    func decisionsAreReproducible() throws {
        let plan = quickFaults(FaultPlan.matrix(rate: 0.6).rates, seed: 11)
        let sequential = try walkAll(plan, concurrently: false)
        let concurrent = try walkAll(plan, concurrently: true)
        for (i, (a, b)) in zip(sequential, concurrent).enumerated() {
            #expect(a.log == b.log, "\(lists[i].1.path)")
        }
        let kinds = Set(sequential.flatMap { $0.outcomes.keys })
        #expect(kinds == ["ok", "short", "500", "502", "503", "429", "reset", "truncate", "stall"], "\(kinds)")

        var other = plan
        other.seed = 12
        let reseeded = try walkAll(other, concurrently: false)
        #expect(reseeded.map(\.log) != sequential.map(\.log))
    }

    @Test("progress: at most maxConsecutiveFaults faults in a row for one request, then it is served")
    func progressGuarantee() throws {
        let employees = spec(.hris, "employees")
        let token = SandboxConnector.acmeHRIS.token
        for max in [3, 1] {
            let sandbox = try startSandbox(faults: quickFaults([.serverError: 1], maxConsecutiveFaults: max))
            defer { sandbox.stop() }
            let walk = try FaultWalker(sandbox).walk(token: token, path: employees.path, pageSize: 100)
            let streak = Array(repeating: "500", count: max) + ["ok"]
            let expected = (0..<3).flatMap { page in streak.map { "\(page):\($0)" } }
            #expect(walk.log == expected)
            #expect(walk.ids.count == 250)
        }
        // Every kind at once, always: every walk still ends, complete, with bounded streaks.
        let sandbox = try startSandbox(faults: quickFaults(FaultPlan.matrix(rate: 1).rates, seed: 5))
        defer { sandbox.stop() }
        let walker = try FaultWalker(sandbox)
        for (connector, list) in lists {
            let walk = try walker.walk(token: connector.token, path: list.path, pageSize: 9)
            #expect(walk.maxFaultsInARow <= 3, "\(list.path)")
            #expect(walk.ids == demoDataset.records(connector: connector.name, model: list.model).map(\.id))
        }
    }

    @Test("short pages lose and repeat nothing across full walks, and never repeat a cursor")
    func shortPagesKeepEveryRecord() throws {
        let sandbox = try startSandbox(faults: quickFaults([.shortPage: 0.8], seed: 3))
        defer { sandbox.stop() }
        let walker = try FaultWalker(sandbox)
        var short = 0, empty = 0
        for connector in [SandboxConnector.acmeHRIS, .globexATS, .initechLMS] {
            for list in ModelCatalog.shared.models(in: connector.category) {
                let walk = try walker.walk(token: connector.token, path: list.path, pageSize: 6)
                let expected = demoDataset.records(connector: connector.name, model: list.model).map(\.id)
                #expect(walk.ids == expected, "\(connector.name) \(list.path)")
                #expect(Set(walk.cursors).count == walk.cursors.count, "a cursor came back twice: \(list.path)")
                short += walk.shortPages
                empty += walk.emptyShortPages
            }
        }
        #expect(short > 100 && empty > 10, "\(short) short pages, \(empty) empty")
        // Filters still apply across short pages: only matching records, each once.
        let ids = demoDataset.records(connector: "acme-hris", model: "employees").map(\.id)
        let wanted = stride(from: 0, to: ids.count, by: 3).map { ids[$0] }
        var received: [String] = []
        var cursor: String?
        repeat {
            var query = [("page_size", "4"), ("ids", wanted.joined(separator: ","))]
            if let cursor { query.append(("cursor", cursor)) }
            let page = try SandboxClient(sandbox).page(.acmeHRIS, spec(.hris, "employees"), query: query)
            received += page.items.compactMap { $0["id"]?.stringValue }
            cursor = page.cursor
        } while cursor != nil
        #expect(received == wanted)
    }

    @Test("faults never replace 401, 403, 422 or 400, even at rate 1 and inside a throttle window")
    func faultsComeAfterAuthAndValidation() throws {
        let employees = spec(.hris, "employees")
        let hris = SandboxConnector.acmeHRIS.token, ats = SandboxConnector.globexATS.token
        let sandbox = try startSandbox(faults: quickFaults(FaultPlan.matrix(rate: 1).rates))
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        for _ in 0..<5 {
            #expect(try client.get(employees.path, token: hris, apiKey: .some(nil)).status == 401)
            #expect(try client.get(employees.path, token: hris, apiKey: "wrong").status == 401)
            #expect(try client.get(employees.path, token: nil).status == 401)
            #expect(try client.get(employees.path, token: "no-such-token").status == 401)
            #expect(try client.get(employees.path, token: ats).status == 403)
            #expect(try client.get(employees.path, token: hris, query: [("page_size", "0")]).status == 422)
            #expect(try client.get(employees.path, token: hris, query: [("cursor", "abc")]).status == 400)
            #expect(try client.get("/api/hris/v1/nope", token: hris).status == 404)
        }
        #expect(sandbox.apiCounters.faults == 0)

        // Inside a throttle window of the token, too.
        let throttling = try startSandbox(faults: FaultPlan(rates: [.throttle: 1], throttleRetryAfter: 30...30,
                                                            burstLength: 50...50))
        defer { throttling.stop() }
        let inWindow = try SandboxClient(throttling)
        #expect(try inWindow.get(employees.path, token: hris).headers["Retry-After"] == "30")
        #expect(try inWindow.get(employees.path, token: hris, query: [("page_size", "500")]).status == 422)
        #expect(try inWindow.get(employees.path, token: hris, query: [("cursor", "abc")]).status == 400)
        #expect(try inWindow.get(spec(.ats, "jobs").path, token: hris).status == 403)
        #expect(try inWindow.get(employees.path, token: hris, query: [("page_size", "5")]).status == 429)
        #expect(throttling.apiCounters.faultsInjected == [.throttle: 2])
    }

    @Test("the connectors endpoint is left alone unless the plan includes it")
    func connectorsEndpoint() throws {
        let path = "/api/hris/v1/connectors"
        for included in [false, true] {
            var plan = quickFaults([.serverError: 1])
            plan.includesConnectorsEndpoint = included
            let sandbox = try startSandbox(faults: plan)
            defer { sandbox.stop() }
            let client = try SandboxClient(sandbox)
            #expect(try client.get(path).status == (included ? 500 : 200))
            #expect(sandbox.apiCounters.faultsInjected[.serverError] == (included ? 1 : nil))
        }
    }

    @Test("counters: faults by kind, requests, pages and items per token and path match what the client saw")
    func counters() throws {
        let sandbox = try startSandbox(faults: quickFaults(FaultPlan.matrix(rate: 0.5).rates, seed: 21))
        defer { sandbox.stop() }
        let walker = try FaultWalker(sandbox)
        let acme = SandboxConnector.acmeHRIS, globex = SandboxConnector.globexATS
        let walks = [
            try walker.walk(token: acme.token, path: spec(.hris, "employees").path, pageSize: 20),
            try walker.walk(token: acme.token, path: spec(.hris, "groups").path, pageSize: 20),
            try walker.walk(token: globex.token, path: spec(.ats, "jobs").path, pageSize: 20),
        ]
        let seen = walks.reduce(into: [String: Int]()) { total, walk in total.merge(walk.outcomes, uniquingKeysWith: +) }
        let counters = sandbox.apiCounters
        for kind in FaultKind.allCases {
            #expect(counters.faultsInjected[kind] == seen[kind == .throttle ? "429" : kind.rawValue], "\(kind)")
        }
        #expect(counters.throttleBursts == seen["429", default: 0])
        #expect(counters.requestsByKey[acme.token] == walks[0].log.count + walks[1].log.count)
        #expect(counters.requestsByKey[globex.token] == walks[2].log.count)
        #expect(counters.rateLimited == seen["429", default: 0])
        #expect(counters.pagesServedByKey[acme.token] == [walks[0], walks[1]].map { $0.outcomes["ok", default: 0] + $0.shortPages }.reduce(0, +))
        #expect(counters.itemsServedByKey[acme.token] == walks[0].ids.count + walks[1].ids.count)
        #expect(counters.itemsServedByKey[globex.token] == walks[2].ids.count)
        #expect(counters.pagesServedByPath[globex.token] == [spec(.ats, "jobs").path: walks[2].outcomes["ok", default: 0] + walks[2].shortPages])
        #expect(counters.earlyRequests == 0)
    }
}
