import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// Pulls run concurrently under both limits: the server never sees more requests at once
/// than `concurrency`, nor more than `perConnector` for one token, and latency overlaps.
@Suite struct ConcurrencyTests {
    @Test func pullsOverlapWithinTheGlobalAndPerConnectorLimits() throws {
        let inFlightByToken = Locked<[String: (now: Int, max: Int)]>([:])
        let server = try ScriptedServer { request, _ in
            let token = request.headers["X-Connector-Token"] ?? ""
            inFlightByToken.withLock { all in
                var entry = all[token] ?? (0, 0)
                entry.now += 1
                entry.max = max(entry.max, entry.now)
                all[token] = entry
            }
            Thread.sleep(forTimeInterval: 0.2)  // injected latency
            inFlightByToken.withLock { $0[token]?.now -= 1 }
            return .json(200, #"{"cursor": null, "page_size": 1, "items": [{"id": "\#(request.path)"}]}"#)
        }
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let models = Array(ModelCatalog.shared.models(in: .hris).prefix(6))
        let connectors = (1...4).map { ConnectorConfig(name: "c\($0)", category: .hris, token: Secret("token-concurrency-\($0)")) }
        let plans = connectors.flatMap { c in models.map { PullPlan(connector: c, model: $0, mode: .full) } }
        let client = BindbeeClient(baseURL: server.baseURL, apiKey: Secret("key-concurrency-test"))
        let runner = SyncRunner(client: client, store: store, log: RunLog(redactor: Redactor(), sink: { _ in }),
                                concurrency: 6, perConnector: 2, pageSize: 200)
        let started = Date()
        let report = runner.run(plans)
        let wall = Date().timeIntervalSince(started)
        #expect(report.exitCode == 0)
        #expect(report.records == plans.count)
        let serialSum = Double(plans.count) * 0.2  // 24 pulls of one 200 ms request each
        // Overlap is proven by the in-flight counts, not by timing (a loaded machine stretches
        // wall time); the wall time is printed for the record.
        #expect(server.server.counters.maxInFlightRequests <= 6)
        #expect(server.server.counters.maxInFlightRequests >= 4, "the pulls did not overlap")
        for (_, entry) in inFlightByToken.withLock({ $0 }) { #expect(entry.max <= 2) }
        print("concurrency: \(plans.count) pulls with 200 ms latency in \(String(format: "%.2f", wall)) s (serial \(serialSum) s), max \(server.server.counters.maxInFlightRequests) in flight")
    }
}
