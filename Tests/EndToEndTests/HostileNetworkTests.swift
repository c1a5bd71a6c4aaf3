import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// The built binary against a sandbox that fails in every way Bindbee and the network can:
/// the mirror must still equal the source, and the rate limiter must never be provoked.
@Suite(.serialized) struct HostileNetworkTests {
    /// Fast backoff and short timeouts so a test with hundreds of faults finishes in seconds.
    static let impatient = #", "retry": {"base_delay_seconds": 0.01, "max_delay_seconds": 0.2, "max_attempts": 8}, "connect_timeout_seconds": 1, "request_timeout_seconds": 3"#

    @Test func aSeededFaultMatrixStillGivesExactlyTheSource() throws {
        let dir = try ScratchDirectory()
        var faults = FaultPlan.matrix(rate: 0.35, seed: 42)
        faults.stallSeconds = 2.5
        let sandbox = try Sandbox(options: Sandbox.Options(seed: 21, rateLimit: 100_000, faults: faults))
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: #", "page_size": 10, "concurrency": 8, "rate_limit": {"requests": 100000, "per_seconds": 60}"# + Self.impatient))
        let outcome = try BinaryRunner.run(["run", "--config", configPath, "--db", dir.path("m.sqlite")], environment: environment(for: sandbox))
        #expect(outcome.status == 0, "\(outcome.all)")
        for secret in secrets(of: sandbox) { #expect(!outcome.all.contains(secret)) }

        let counters = sandbox.apiCounters
        for kind in FaultKind.allCases {
            #expect(counters.faultsInjected[kind, default: 0] > 0, "no \(kind) fault was injected")
        }
        let compared = try expectMirrorEqualsSandbox(try MirrorStore(path: dir.path("m.sqlite")), sandbox)
        #expect(counters.earlyRequests == 0)
        let retries = outcome.stdout.split(separator: "\n").first { $0.hasPrefix("total") }.map(String.init) ?? ""
        print("fault matrix: \(counters.faults) faults injected (\(FaultKind.allCases.map { "\($0.rawValue) \(counters.faultsInjected[$0, default: 0])" }.joined(separator: ", "))), \(counters.requests) requests, \(compared) records checked; summary: \(retries)")
    }

    @Test func aSyncNeedingThreeTimesTheBudgetGetsNoThrottling() throws {
        let dir = try ScratchDirectory()
        // 20 requests per 3 s, enforced by the sandbox; the worker is told the same budget.
        let sandbox = try Sandbox(options: Sandbox.Options(seed: 2, rateLimit: 20, rateLimitWindowSeconds: 3))
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: #", "page_size": 5, "concurrency": 6, "rate_limit": {"requests": 20, "per_seconds": 3}"#))
        let started = Date()
        let outcome = try BinaryRunner.run(["run", "--config", configPath, "--db", dir.path("m.sqlite"), "--connector", "acme-hris",
                                            "--model", "employees", "--model", "employments", "--model", "compensations"],
                                           environment: environment(for: sandbox))
        let elapsed = Date().timeIntervalSince(started)
        #expect(outcome.status == 0, "\(outcome.all)")
        let counters = sandbox.apiCounters
        let token = try #require(sandbox.connectors.first { $0.name == "acme-hris" }).token
        let requests = counters.requestsByKey[token, default: 0]
        #expect(requests >= 60, "the sync needs at least three budgets")
        #expect(counters.rateLimited == 0)
        #expect(elapsed >= 6)  // three budgets cannot go faster than two windows
        print("rate limit: \(requests) requests under a budget of 20 per 3 s in \(String(format: "%.1f", elapsed)) s, \(counters.rateLimited) answered 429")
    }

    @Test func noRequestIsSentWhileARetryAfterIsPending() throws {
        let dir = try ScratchDirectory()
        let faults = FaultPlan(rates: [.throttle: 0.3], seed: 9, throttleRetryAfter: 0...2, burstLength: 1...4)
        let sandbox = try Sandbox(options: Sandbox.Options(seed: 4, rateLimit: 100_000, faults: faults))
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: #", "page_size": 20, "concurrency": 6, "rate_limit": {"requests": 100000, "per_seconds": 60}"#))
        let outcome = try BinaryRunner.run(["run", "--config", configPath, "--db", dir.path("m.sqlite"), "--connector", "acme-hris"],
                                           environment: environment(for: sandbox))
        #expect(outcome.status == 0, "\(outcome.all)")
        let counters = sandbox.apiCounters
        #expect(counters.rateLimited > 10, "the test must actually throttle")
        #expect(counters.earlyRequests == 0)
        try expectMirrorEqualsSandbox(try MirrorStore(path: dir.path("m.sqlite")), sandbox, connectors: ["acme-hris"])
        print("Retry-After: \(counters.rateLimited) answered 429 across \(counters.throttleBursts) bursts, \(counters.earlyRequests) requests sent inside a pending Retry-After")
    }

    @Test func anExpiredStoredCursorRestartsThatPullFromItsBeginning() throws {
        let dir = try ScratchDirectory()
        let sandbox = try Sandbox(options: Sandbox.Options(seed: 8, rateLimit: 100_000))
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: #", "page_size": 10, "rate_limit": {"requests": 100000, "per_seconds": 60}"#))
        let db = dir.path("m.sqlite")
        let args = ["run", "--config", configPath, "--db", db, "--connector", "acme-hris", "--model", "employees"]
        // Leave the walk unfinished, as a crash would: commit three pages with their cursor.
        do {
            let store = try MirrorStore(path: db)
            let model = ModelCatalog.shared.model(.hris, "employees")!
            let token = Secret(sandbox.connectors.first { $0.name == "acme-hris" }!.token)
            let client = BindbeeClient(baseURL: sandbox.baseURL, apiKey: Secret(sandbox.apiKey))
            let query = ListQuery(path: model.path, token: token, connector: "acme-hris", pageSize: 10)
            let spec = PullPlan(connector: ConnectorConfig(name: "acme-hris", category: .hris, token: token), model: model, mode: .incremental)
                .walkSpec(state: nil, pageSize: 10)
            let walk = try store.beginWalk(connector: "acme-hris", model: model, spec: spec)
            var cursor: String?
            for number in 1...3 {
                var stats = RequestStats()
                let page = try client.fetchPage(query, cursor: cursor, pageNumber: number, stats: &stats)
                try store.write(page: page, model: model, connector: "acme-hris", walk: walk)
                cursor = page.cursor
            }
        }
        sandbox.expireCursors()
        let outcome = try BinaryRunner.run(args, environment: environment(for: sandbox))
        #expect(outcome.status == 0, "\(outcome.all)")
        #expect(outcome.stderr.contains("pull resumed"))
        #expect(outcome.stderr.contains("the stored cursor was refused; the pull starts over from its first page"))
        let store = try MirrorStore(path: db)
        let served = sandbox.dataset.records(connector: "acme-hris", model: "employees")
        #expect(try store.rowCounts(ModelCatalog.shared.model(.hris, "employees")!)["acme-hris"] == served.count)
        #expect(try store.pullState(connector: "acme-hris", model: ModelCatalog.shared.model(.hris, "employees")!)?.walkStatus == WalkStatus.complete)
    }
}
