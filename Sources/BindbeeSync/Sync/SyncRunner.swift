import Dispatch
import Foundation

/// How one pull ended.
public struct PullResult: Sendable {
    public enum Status: String, Sendable {
        case succeeded, failed, skipped
        /// Not pulled because Bindbee reports the connector unhealthy and the job says skip:
        /// reported, but not a failure of the run.
        case unhealthy
    }

    public let connector: String
    public let model: ModelSpec
    public let status: Status
    /// What the walk asked for (nil for a skipped pull).
    public let spec: WalkSpec?
    /// Pages and records fetched and committed by this run (a resumed walk's earlier pages excluded).
    public let pages: Int
    public let records: Int
    /// Rows marked deleted when the walk completed.
    public let deleted: Int
    /// What the requests cost: retries, 429s, waiting.
    public let requests: RequestStats
    /// The page a resumed walk continued from (nil: started at the first page).
    public let resumedAtPage: Int?
    public let startedAt: String
    public let seconds: Double
    /// Why it failed or was skipped (already redacted).
    public let error: String?

    /// A planned pull that did not run, and why.
    public static func skipped(_ plan: PullPlan, reason: String, status: Status = .skipped) -> PullResult {
        PullResult(connector: plan.connector.name, model: plan.model, status: status, spec: nil, pages: 0, records: 0, deleted: 0,
                   requests: RequestStats(), resumedAtPage: nil, startedAt: Timestamp.now(), seconds: 0, error: "skipped: \(reason)")
    }
}

/// Runs the planned pulls concurrently and mirrors every page into the store.
///
/// `concurrency` workers, each a serial Dispatch queue, take pulls from a `PullScheduler`
/// (which also caps the pulls of one connector); each pull decides its walk from the job's
/// mode and the pull's committed state, walks its model's pages, and hands each page to the
/// `MirrorStore`, whose single writer commits it in one transaction. One connector's failure
/// never stops the others; after a 401/403 the connector's remaining pulls are skipped (the
/// same token would be refused again). Every pull and the run are recorded in the ledger.
public final class SyncRunner: Sendable {
    private let client: BindbeeClient
    private let store: MirrorStore
    private let log: RunLog
    private let concurrency: Int
    private let perConnector: Int
    private let pageSize: Int
    private let progress: PullProgress?
    /// The bounded queue between fetchers and the writer: a fetcher waits for a free slot
    /// before handing over a page, so at most this many fetched pages wait in memory (a slot
    /// frees when the page's rows are in the store's open transaction).
    private let handoff: DispatchSemaphore

    /// Pages fetched and not yet written, at most, however many pulls run: memory stays
    /// bounded at high concurrency (more pages waiting would not make the writer faster).
    static let maxPagesWaiting = 16

    public init(client: BindbeeClient, store: MirrorStore, log: RunLog, concurrency: Int, perConnector: Int = 4, pageSize: Int,
                progress: PullProgress? = nil) {
        self.client = client
        self.store = store
        self.log = log
        self.concurrency = max(1, concurrency)
        self.perConnector = max(1, perConnector)
        self.pageSize = pageSize
        self.progress = progress
        self.handoff = DispatchSemaphore(value: min(2 * max(1, concurrency), Self.maxPagesWaiting))
    }

    /// Runs `plans`, recording them as run `runID` of the ledger when given.
    public func run(_ plans: [PullPlan], runID: Int64? = nil) -> RunReport {
        let started = Date()
        let scheduler = PullScheduler(plans: plans, perConnector: perConnector)
        let results = Locked([PullResult?](repeating: nil, count: plans.count))
        let refused = Locked([String: String]())  // connector → why its token was refused
        let group = DispatchGroup()
        for worker in 0..<min(concurrency, plans.count) {
            DispatchQueue(label: "bindbee-sync.pull-worker-\(worker)").async(group: group) {
                while let index = scheduler.next() {
                    let plan = plans[index]
                    let result: PullResult
                    if let reason = refused.withLock({ $0[plan.connector.name] }) {
                        result = .skipped(plan, reason: "an earlier pull of this connector was refused (\(reason))")
                    } else {
                        result = self.pull(plan) { status in
                            refused.withLock { $0[plan.connector.name] = $0[plan.connector.name] ?? "HTTP \(status)" }
                        }
                    }
                    if let runID {
                        do { try self.store.recordPull(runID: runID, result) } catch {
                            self.log.error("cannot record the pull in the ledger", [("connector", plan.connector.name),
                                                                                     ("model", plan.model.qualifiedName), ("error", "\(error)")])
                        }
                    }
                    results.withLock { $0[index] = result }
                    scheduler.finished(index)
                }
            }
        }
        group.wait()
        return RunReport(started: started, finished: Date(), results: results.withLock { $0.compactMap { $0 } })
    }

    private func pull(_ plan: PullPlan, onAuthFailure: (Int) -> Void) -> PullResult {
        let fields = [("connector", plan.connector.name), ("model", plan.model.qualifiedName)]
        let startedAt = Timestamp.now()
        let started = DispatchTime.now()
        var pages = 0
        var records = 0
        var deleted = 0
        var requests = RequestStats()
        var resumedAtPage: Int?
        var position: WalkPosition?
        var spec: WalkSpec?
        func seconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9 }
        let live = progress?.begin(connector: plan.connector.name, model: plan.model.qualifiedName)
        defer { live.map { progress?.end($0) } }
        do {
            let decided = plan.walkSpec(state: try store.pullState(connector: plan.connector.name, model: plan.model), pageSize: pageSize)
            spec = decided
            let query = ListQuery(path: plan.model.path, token: plan.connector.token, connector: plan.connector.name, pageSize: pageSize,
                                  parameters: plan.queryParameters(modifiedAfter: decided.modifiedAfter))
            // Fetching goes on while the writer commits the previous pages; the walk stops at the
            // first failed write, and every handed-over page is committed (or failed) before it returns.
            func walk(from position: WalkPosition) throws {
                let written = DispatchGroup()
                let outcome = Locked<(records: Int, deleted: Int, pages: Int, failure: Error?)>((0, 0, 0, nil))
                var walkError: Error?
                do {
                    _ = try client.walk(query, from: position.cursor, firstPageNumber: position.pages + 1) { page, number, cost in
                        if let failure = outcome.withLock({ $0.failure }) { throw failure }
                        if log.enables(.debug) {
                            log.debug("page fetched", fields + [("page", String(number)), ("records", String(page.items.count)),
                                                                ("retries", String(cost.retries)), ("throttled", String(cost.throttled))])
                        }
                        requests.add(cost)
                        handoff.wait()
                        written.enter()
                        store.enqueueWrite(page: page, model: plan.model, connector: plan.connector.name, walk: position,
                                           accepted: { self.handoff.signal() }) { result in
                            let totals = outcome.withLock { totals in
                                switch result {
                                case .success(let page):
                                    totals.records += page.records
                                    totals.deleted += page.deleted
                                    totals.pages += 1
                                case .failure(let error):
                                    totals.failure = totals.failure ?? error
                                }
                                return totals
                            }
                            live.map { self.progress?.update($0, pages: totals.pages, records: totals.records) }
                            written.leave()
                        }
                    }
                } catch {
                    walkError = error
                }
                written.wait()
                let totals = outcome.withLock { $0 }
                records += totals.records
                deleted += totals.deleted
                pages += totals.pages
                // A failed write is the cause; the walk only stopped because of it.
                if let failure = totals.failure ?? walkError { throw failure }
            }
            var current = try store.beginWalk(connector: plan.connector.name, model: plan.model, spec: decided)
            position = current
            if current.isResumed {
                resumedAtPage = current.pages + 1
                log.info("pull resumed", fields + [("page", String(current.pages + 1)), ("records_before", String(current.records))])
            } else {
                log.info("pull started", fields + [("mode", decided.mode), ("modified_after", decided.modifiedAfter ?? "-")])
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
            log.info("pull finished", fields + [("pages", String(pages)), ("records", String(records)), ("deleted", String(deleted)),
                                                 ("retries", String(requests.retries)), ("throttled", String(requests.throttled)),
                                                 ("seconds", String(format: "%.2f", elapsed))])
            return PullResult(connector: plan.connector.name, model: plan.model, status: .succeeded, spec: decided, pages: pages,
                              records: records, deleted: deleted, requests: requests, resumedAtPage: resumedAtPage,
                              startedAt: startedAt, seconds: elapsed, error: nil)
        } catch {
            if let apiError = error as? APIError, apiError.isAuthFailure, let status = apiError.status { onAuthFailure(status) }
            let message = client.redactor.redact("\(error)")
            if let position { try? store.recordWalkFailure(position, error: message) }
            log.error("pull failed", fields + [("pages", String(pages)), ("records", String(records)),
                                               ("retries", String(requests.retries)), ("error", message)])
            return PullResult(connector: plan.connector.name, model: plan.model, status: .failed, spec: spec, pages: pages,
                              records: records, deleted: deleted, requests: requests, resumedAtPage: resumedAtPage,
                              startedAt: startedAt, seconds: seconds(), error: message)
        }
    }
}
