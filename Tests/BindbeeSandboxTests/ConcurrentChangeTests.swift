import BindbeeSandbox
import BindbeeSync
import Dispatch
import Foundation
import Testing

@Suite("Sandbox changes under concurrent requests")
struct ConcurrentChangeTests {
    @Test("requests during a stream of changes see the data before or after each change, never part of one")
    func readersNeverSeeHalfAChange() throws {
        let sandbox = try startSandbox(dataset: SandboxDataset(seed: 5, connectors: [.umbrellaHRIS, .globexATS]))
        defer { sandbox.stop() }
        let employees = spec(.hris, "employees")
        let connectorsPath = "/api/hris/v1/connectors"
        let initial = try #require(try SandboxClient(sandbox).get(connectorsPath).json()["items"]?.arrayValue?.first)
        let initialStart = try #require(SandboxTimestamp(iso8601: initial["last_sync_start_time"]?.stringValue ?? ""))
        let startOffset = sandbox.dataset.now.millisecondsSince1970 - initialStart.millisecondsSince1970

        // Every state the data will go through, computed on a private copy: the whole employees
        // list as served, and which employee count goes with which clock in the connectors item.
        let rounds = 12
        func change(_ dataset: inout SandboxDataset, round: Int) throws(SandboxChangeError) -> SandboxMutationSummary {
            try dataset.advanceClock(by: 1)
            return try dataset.mutate(seed: UInt64(round), updateFraction: 0.3, insertFraction: 0.1, deleteFraction: 0.05,
                                      touchFraction: 0.2, connectors: ["umbrella-hris"])
        }
        var shadow = sandbox.dataset
        var bodies: [String: Int] = [:]
        var totals: [String: Int64] = [:]
        func record(_ dataset: SandboxDataset, _ round: Int) {
            let records = dataset.records(connector: "umbrella-hris", model: "employees")
            bodies[wholeListBody(records)] = round
            totals[dataset.now.adding(milliseconds: -startOffset).iso8601] = Int64(records.count)
        }
        record(shadow, 0)
        for round in 1...rounds {
            _ = try change(&shadow, round: round)
            record(shadow, round)
        }
        #expect(bodies.count == rounds + 1)
        let expectedBodies = bodies, expectedTotals = totals

        let done = Locked(false)
        let problems = Locked<[String]>([])
        let seen = Locked<Set<Int>>([])
        let readers = DispatchGroup()
        for reader in 0..<3 {
            DispatchQueue(label: "reader-\(reader)").async(group: readers) {
                do {
                    let client = try SandboxClient(sandbox)
                    while !done.withLock({ $0 }) {
                        let list = try client.get(employees.path, token: SandboxConnector.umbrellaHRIS.token,
                                                  query: [("page_size", "200")])
                        if let round = expectedBodies[list.text] {
                            seen.withLock { _ = $0.insert(round) }
                        } else {
                            problems.withLock { $0.append("reader \(reader): a list of no state: \(list.text.prefix(200))") }
                        }
                        let item = try client.get(connectorsPath).json()["items"]?.arrayValue?.first
                        let start = item?["last_sync_start_time"]?.stringValue ?? ""
                        if expectedTotals[start] == nil || expectedTotals[start] != item?["total_employees"]?.intValue {
                            problems.withLock { $0.append("reader \(reader): \(start) with \(String(describing: item?["total_employees"]))") }
                        }
                    }
                } catch {
                    problems.withLock { $0.append("reader \(reader): \(error)") }
                }
            }
        }
        // Each state stays until a reader has seen it, so readers and changes surely overlap.
        func waitUntilSeen(_ round: Int) {
            for _ in 0..<20_000 where !seen.withLock({ $0.contains(round) }) && problems.withLock({ $0.isEmpty }) {
                usleep(500)
            }
        }
        waitUntilSeen(0)
        for round in 1...rounds {
            _ = try sandbox.change { (dataset) throws(SandboxChangeError) in try change(&dataset, round: round) }
            waitUntilSeen(round)
        }
        done.withLock { $0 = true }
        readers.wait()

        #expect(problems.withLock { $0 }.isEmpty, "\(problems.withLock { $0.prefix(5) })")
        #expect(seen.withLock { $0 } == Set(0...rounds))
        let final = sandbox.dataset
        #expect(final.now == shadow.now)
        #expect(wholeListBody(final.records(connector: "umbrella-hris", model: "employees"))
            == wholeListBody(shadow.records(connector: "umbrella-hris", model: "employees")))
    }
}
