import Dispatch
import Foundation

/// How one pull ended.
public struct PullResult: Sendable {
    public enum Status: String, Sendable {
        case succeeded, failed, skipped
    }

    public let connector: String
    public let model: ModelSpec
    public let status: Status
    /// Pages and records fetched and committed by this run (a resumed walk's earlier pages excluded).
    public let pages: Int
    public let records: Int
    /// What the requests cost: retries, 429s, waiting.
    public let requests: RequestStats
    /// The page a resumed walk continued from (nil: started at the first page).
    public let resumedAtPage: Int?
    public let seconds: Double
    /// Why it failed or was skipped (already redacted).
    public let error: String?
}

/// Runs the planned pulls concurrently and mirrors every page into the store.
///
/// `concurrency` workers, each a serial Dispatch queue, take pulls from a shared list; each
/// pull walks its model's pages and hands each page to the `MirrorStore`, whose single writer
/// commits it in one transaction. One connector's failure never stops the others; after a
/// 401/403 the connector's remaining pulls are skipped (the same token would be refused again).
public final class SyncRunner: Sendable {
    private let client: BindbeeClient
    private let store: MirrorStore
    private let log: RunLog
    private let concurrency: Int
    private let pageSize: Int

    public init(client: BindbeeClient, store: MirrorStore, log: RunLog, concurrency: Int, pageSize: Int) {
        self.client = client
        self.store = store
        self.log = log
        self.concurrency = max(1, concurrency)
        self.pageSize = pageSize
    }

    public func run(_ plans: [PullPlan]) -> RunReport {
        let started = Date()
        let next = Locked(0)
        let results = Locked([PullResult?](repeating: nil, count: plans.count))
        let refused = Locked([String: String]())  // connector → why its token was refused
        let group = DispatchGroup()
        for worker in 0..<min(concurrency, plans.count) {
            let queue = DispatchQueue(label: "bindbee-sync.pull-worker-\(worker)")
            queue.async(group: group) {
                while true {
                    let index = next.withLock { value -> Int in
                        defer { value += 1 }
                        return value
                    }
                    guard index < plans.count else { return }
                    let plan = plans[index]
                    let result: PullResult
                    if let reason = refused.withLock({ $0[plan.connector.name] }) {
                        result = PullResult(connector: plan.connector.name, model: plan.model, status: .skipped, pages: 0, records: 0,
                                            requests: RequestStats(), resumedAtPage: nil, seconds: 0,
                                            error: "skipped: an earlier pull of this connector was refused (\(reason))")
                    } else {
                        result = self.pull(plan) { status in
                            refused.withLock { $0[plan.connector.name] = $0[plan.connector.name] ?? "HTTP \(status)" }
                        }
                    }
                    results.withLock { $0[index] = result }
                }
            }
        }
        group.wait()
        return RunReport(started: started, finished: Date(), results: results.withLock { $0.compactMap { $0 } })
    }

    private func pull(_ plan: PullPlan, onAuthFailure: (Int) -> Void) -> PullResult {
        let fields = [("connector", plan.connector.name), ("model", plan.model.qualifiedName)]
        let started = DispatchTime.now()
        var pages = 0
        var records = 0
        var requests = RequestStats()
        var resumedAtPage: Int?
        let query = ListQuery(path: plan.model.path, token: plan.connector.token, connector: plan.connector.name, pageSize: pageSize)
        func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }
        func walk(from position: WalkPosition) throws {
            _ = try client.walk(query, from: position.cursor, firstPageNumber: position.pages + 1) { page, _, cost in
                requests.add(cost)
                records += try store.write(page: page, model: plan.model, connector: plan.connector.name, walk: position)
                pages += 1
            }
        }
        var position: WalkPosition?
        do {
            var current = try store.beginWalk(connector: plan.connector.name, model: plan.model, parameters: query.fingerprint)
            position = current
            if current.isResumed {
                resumedAtPage = current.pages + 1
                log.info("pull resumed", fields + [("page", String(current.pages + 1)), ("records_before", String(current.records))])
            } else {
                log.info("pull started", fields + [("mode", plan.mode.rawValue)])
            }
            do {
                try walk(from: current)
            } catch let error as APIError where current.isResumed && pages == 0 && error.refusesRequest {
                log.warning("the stored cursor was refused; the pull starts over from its first page",
                            fields + [("error", client.redactor.redact("\(error)"))])
                current = try store.restartWalk(current)
                position = current
                resumedAtPage = nil
                try walk(from: current)
            }
            let elapsed = seconds()
            log.info("pull finished", fields + [("pages", String(pages)), ("records", String(records)),
                                                 ("retries", String(requests.retries)), ("throttled", String(requests.throttled)),
                                                 ("seconds", String(format: "%.2f", elapsed))])
            return PullResult(connector: plan.connector.name, model: plan.model, status: .succeeded, pages: pages, records: records,
                              requests: requests, resumedAtPage: resumedAtPage, seconds: elapsed, error: nil)
        } catch {
            if let apiError = error as? APIError, apiError.isAuthFailure, let status = apiError.status { onAuthFailure(status) }
            let message = client.redactor.redact("\(error)")
            if let position { try? store.recordWalkFailure(position, error: message) }
            log.error("pull failed", fields + [("pages", String(pages)), ("records", String(records)),
                                               ("retries", String(requests.retries)), ("error", message)])
            return PullResult(connector: plan.connector.name, model: plan.model, status: .failed, pages: pages, records: records,
                              requests: requests, resumedAtPage: resumedAtPage, seconds: seconds(), error: message)
        }
    }
}

/// The outcome of a run: every pull's result, the exit status and a summary table.
public struct RunReport: Sendable {
    public let started: Date
    public let finished: Date
    public let results: [PullResult]

    public var succeeded: [PullResult] { results.filter { $0.status == .succeeded } }
    public var unsuccessful: [PullResult] { results.filter { $0.status != .succeeded } }
    public var records: Int { results.reduce(0) { $0 + $1.records } }
    public var pages: Int { results.reduce(0) { $0 + $1.pages } }
    public var seconds: Double { finished.timeIntervalSince(started) }

    /// 0 when every planned pull finished, 1 otherwise.
    public var exitCode: Int32 { unsuccessful.isEmpty ? 0 : 1 }

    /// One line per connector (pulls, pages, records, failures), then every failure's reason.
    public func summary() -> String {
        var lines: [String] = []
        let connectors = Array(Set(results.map(\.connector))).sorted()
        let header = ["connector", "pulls", "ok", "failed", "pages", "records", "retries", "429s"]
        var rows: [[String]] = []
        for connector in connectors {
            let mine = results.filter { $0.connector == connector }
            rows.append([connector, String(mine.count), String(mine.filter { $0.status == .succeeded }.count),
                         String(mine.filter { $0.status != .succeeded }.count),
                         String(mine.reduce(0) { $0 + $1.pages }), String(mine.reduce(0) { $0 + $1.records }),
                         String(mine.reduce(0) { $0 + $1.requests.retries }), String(mine.reduce(0) { $0 + $1.requests.throttled })])
        }
        rows.append(["total", String(results.count), String(succeeded.count), String(unsuccessful.count), String(pages), String(records),
                     String(results.reduce(0) { $0 + $1.requests.retries }), String(results.reduce(0) { $0 + $1.requests.throttled })])
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func format(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
        lines.append(format(header))
        lines += rows.map(format)
        for failure in unsuccessful {
            lines.append("\(failure.status.rawValue.uppercased()) \(failure.connector) \(failure.model.qualifiedName): \(failure.error ?? "")")
        }
        let verdict = exitCode == 0 ? "run succeeded" : "run FAILED"
        lines.append("\(verdict) in \(String(format: "%.1f", seconds))s: \(succeeded.count) of \(results.count) pulls ok, \(records) records")
        return lines.joined(separator: "\n")
    }
}
