import Foundation
import Testing
@testable import BindbeeSync

/// Watermarks, deletions and backfills at the store level: each rule decided by committed
/// state, never by the local clock.
@Suite struct IncrementalTests {
    let employees = ModelCatalog.shared.model(.hris, "employees")!
    let lmsUsers = ModelCatalog.shared.model(.lms, "users")!
    let connector = ConnectorConfig(name: "acme", category: .hris, token: Secret("token-acme-123456"))

    func page(_ records: [(String, String)], cursor: String?) throws -> ScannedPage {
        try PageScanner.scan(pageJSON(records.map { #"{"id":"\#($0.0)","modified_at":"\#($0.1)"}"# }, cursor: cursor))
    }

    func walk(_ store: MirrorStore, _ plan: PullPlan, pages: [ScannedPage], now: String) throws -> WalkPosition {
        let spec = plan.walkSpec(state: try store.pullState(connector: plan.connector.name, model: plan.model), pageSize: 2)
        let position = try store.beginWalk(connector: plan.connector.name, model: plan.model, spec: spec, now: now)
        for page in pages { try store.write(page: page, model: plan.model, connector: plan.connector.name, walk: position, syncedAt: now) }
        return position
    }

    @Test func serverTimestampsCompareAsInstantsAndKeepTheirText() throws {
        let a = try #require(ServerTimestamp("2026-11-30T10:00:00Z"))
        let b = try #require(ServerTimestamp("2026-11-30T12:00:00.000+02:00"))
        let c = try #require(ServerTimestamp("2026-11-30T10:00:00.000001"))
        #expect(a == b)
        #expect(c > a)
        #expect(b.text == "2026-11-30T12:00:00.000+02:00")
        #expect(ServerTimestamp("1970-01-01T00:00:01Z")?.microseconds == 1_000_000)
        #expect(ServerTimestamp("2024-02-29T00:00:00Z")?.microseconds == 1_709_164_800_000_000)
        for bad in ["", "2026-13-01T00:00:00Z", "2026-11-30", "2026-11-30T10:00:00Q", "2026-11-30T10:00:00.Z", "yesterday"] {
            #expect(ServerTimestamp(bad) == nil, "\(bad)")
        }
    }

    @Test func theWalkSpecFollowsModeWatermarkAndModel() {
        let state = PullState(walkStatus: "complete", cursor: nil, pages: 1, records: 1, watermark: "2026-11-01T00:00:00.000Z",
                              lastCompletedAt: nil, lastDeleted: 0, lastError: nil)
        let incremental = PullPlan(connector: connector, model: employees, mode: .incremental)
        #expect(incremental.walkSpec(state: nil, pageSize: 200).modifiedAfter == nil)
        #expect(incremental.walkSpec(state: nil, pageSize: 200).marksDeletions)
        #expect(incremental.walkSpec(state: state, pageSize: 200).modifiedAfter == "2026-11-01T00:00:00.000Z")
        #expect(!incremental.walkSpec(state: state, pageSize: 200).marksDeletions)
        #expect(incremental.walkSpec(state: state, pageSize: 200).parameters == #"[["page_size","200"],["modified_after","2026-11-01T00:00:00.000Z"]]"#)
        let lms = PullPlan(connector: connector, model: lmsUsers, mode: .incremental)
        #expect(lms.walkSpec(state: state, pageSize: 200).modifiedAfter == nil)  // LMS lists have no modified_after
        #expect(lms.walkSpec(state: state, pageSize: 200).marksDeletions)
        let full = PullPlan(connector: connector, model: employees, mode: .full)
        #expect(full.walkSpec(state: state, pageSize: 200).modifiedAfter == nil)
        #expect(full.walkSpec(state: state, pageSize: 200).marksDeletions)
        let backfill = PullPlan(connector: connector, model: employees, mode: .incremental, since: "2026-10-01T00:00:00Z")
        #expect(backfill.walkSpec(state: state, pageSize: 200) == WalkSpec(
            mode: "backfill", modifiedAfter: "2026-10-01T00:00:00Z", marksDeletions: false,
            parameters: #"[["page_size","200"],["modified_after","2026-10-01T00:00:00Z"]]"#))
    }

    /// Marking deletions visits the connector's stale live rows through the `__live_synced`
    /// index, not every row of the connector (which made each full walk's end cost grow with
    /// the table).
    @Test func deletionMarkingUsesTheLiveRowsIndex() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        for model in ModelCatalog.shared.models {
            let plan = try store.query("EXPLAIN QUERY PLAN " + MirrorSchema.markDeleted(for: model), [.text("T"), .text("acme"), .text("T0")])
            let detail = plan.compactMap { $0.last?.text }.joined(separator: " ")
            #expect(detail.contains("\(model.tableName)__live_synced (_connector=? AND _synced_at<?)"), "\(detail)")
        }
    }

    @Test func theWatermarkIsTheLargestModifiedAtOfACompletedPullOnly() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let plan = PullPlan(connector: connector, model: employees, mode: .incremental)
        // An interrupted walk moves nothing.
        _ = try walk(store, plan, pages: [page([("a", "2026-11-05T00:00:00Z"), ("b", "2026-11-09T00:00:00+01:00")], cursor: "next")], now: "2026-12-01T00:00:00.000Z")
        #expect(try store.pullState(connector: "acme", model: employees)?.watermark == nil)
        // Resumed and completed, the walk sets it to the latest instant (23:00Z, written with
        // an offset) over both of its pages, in the server's own text.
        _ = try walk(store, plan, pages: [page([("c", "2026-11-08T22:30:00Z")], cursor: nil)], now: "2026-12-01T00:00:01.000Z")
        #expect(try store.pullState(connector: "acme", model: employees)?.watermark == "2026-11-09T00:00:00+01:00")
        // An incremental walk that sees only older or no records never moves it back.
        _ = try walk(store, plan, pages: [page([], cursor: nil)], now: "2026-12-02T00:00:00.000Z")
        #expect(try store.pullState(connector: "acme", model: employees)?.watermark == "2026-11-09T00:00:00+01:00")
    }

    @Test func completeWalksThatListEverythingMarkUnseenRowsDeletedAndSeenRowsLive() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let full = PullPlan(connector: connector, model: employees, mode: .full)
        _ = try walk(store, full, pages: [page([("a", "2026-11-01T00:00:00Z"), ("b", "2026-11-01T00:00:00Z"), ("c", "2026-11-01T00:00:00Z")], cursor: nil)],
                     now: "2026-12-01T00:00:00.000Z")
        // b vanished upstream; an interrupted full walk that did not see it marks nothing.
        _ = try walk(store, full, pages: [page([("a", "2026-11-01T00:00:00Z")], cursor: "more")], now: "2026-12-02T00:00:00.000Z")
        #expect(try store.query("SELECT COUNT(*) FROM hris_employees WHERE _deleted_at IS NOT NULL").first?.first == .integer(0))
        // A fresh complete walk without b marks it, and only it.
        _ = try walk(store, PullPlan(connector: connector, model: employees, mode: .full, since: nil),
                     pages: [page([("a", "2026-11-01T00:00:00Z")], cursor: "p2")], now: "2026-12-03T00:00:00.000Z")
        let resumed = try store.beginWalk(connector: "acme", model: employees, spec: full.walkSpec(state: nil, pageSize: 2))
        #expect(resumed.isResumed)
        try store.write(page: page([("c", "2026-11-01T00:00:00Z")], cursor: nil), model: employees, connector: "acme", walk: resumed,
                        syncedAt: "2026-12-03T00:00:05.000Z")
        let deleted = try store.query("SELECT id, _deleted_at FROM hris_employees WHERE _deleted_at IS NOT NULL")
        #expect(deleted.map { $0[0] } == [.text("b")])
        #expect(try store.pullState(connector: "acme", model: employees)?.lastDeleted == 1)
        // b comes back: seen again, live again.
        _ = try walk(store, full, pages: [page([("a", "2026-11-01T00:00:00Z"), ("b", "2026-11-04T00:00:00Z"), ("c", "2026-11-01T00:00:00Z")], cursor: nil)],
                     now: "2026-12-04T00:00:00.000Z")
        #expect(try store.query("SELECT COUNT(*) FROM hris_employees WHERE _deleted_at IS NOT NULL").first?.first == .integer(0))
    }

    @Test func incrementalWalksWithAWatermarkNeverMarkDeletions() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let plan = PullPlan(connector: connector, model: employees, mode: .incremental)
        _ = try walk(store, plan, pages: [page([("a", "2026-11-01T00:00:00Z"), ("b", "2026-11-02T00:00:00Z")], cursor: nil)], now: "2026-12-01T00:00:00.000Z")
        let second = try walk(store, plan, pages: [page([("b", "2026-11-02T00:00:00Z")], cursor: nil)], now: "2026-12-02T00:00:00.000Z")
        #expect(second.spec.modifiedAfter == "2026-11-02T00:00:00Z")
        #expect(try store.rowCounts(employees) == ["acme": 2])
    }

    @Test func aBackfillLeavesTheWatermarkAndOtherConnectorsAlone() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let other = ConnectorConfig(name: "umbrella", category: .hris, token: Secret("token-umbrella-1"))
        _ = try walk(store, PullPlan(connector: connector, model: employees, mode: .incremental),
                     pages: [page([("a", "2026-11-10T00:00:00Z")], cursor: nil)], now: "2026-12-01T00:00:00.000Z")
        _ = try walk(store, PullPlan(connector: other, model: employees, mode: .incremental),
                     pages: [page([("z", "2026-11-20T00:00:00Z")], cursor: nil)], now: "2026-12-01T00:00:00.000Z")
        let before = try store.query("SELECT * FROM _sync_state WHERE connector = 'umbrella'")
        _ = try walk(store, PullPlan(connector: connector, model: employees, mode: .incremental, since: "2026-10-01T00:00:00Z"),
                     pages: [page([("old", "2026-10-02T00:00:00Z"), ("a", "2026-11-10T00:00:00Z"), ("new", "2026-11-30T00:00:00Z")], cursor: nil)],
                     now: "2026-12-02T00:00:00.000Z")
        #expect(try store.pullState(connector: "acme", model: employees)?.watermark == "2026-11-10T00:00:00Z")
        #expect(try store.query("SELECT * FROM _sync_state WHERE connector = 'umbrella'") == before)
        #expect(try store.rowCounts(employees) == ["acme": 3, "umbrella": 1])
        // The next incremental pull still asks from the old watermark: it cannot miss a change.
        let next = PullPlan(connector: connector, model: employees, mode: .incremental)
            .walkSpec(state: try store.pullState(connector: "acme", model: employees), pageSize: 2)
        #expect(next.modifiedAfter == "2026-11-10T00:00:00Z")
    }

    @Test func aRunLeftRunningByADeadProcessIsMarkedInterrupted() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let first = try store.startRun(job: "jobs/nightly.json", mode: "incremental")
        let second = try store.startRun(job: "jobs/nightly.json", mode: "incremental")
        #expect(second == first + 1)
        let statuses = try store.query("SELECT run_id, status FROM _sync_runs ORDER BY run_id")
        #expect(statuses.map { $0[1] } == [.text("interrupted"), .text("running")])
    }
}

/// The scheduler caps pulls per connector and in all.
@Suite struct PullSchedulerTests {
    @Test func aConnectorAtItsLimitLetsOthersGoFirst() {
        let model = ModelCatalog.shared.model(.hris, "employees")!
        let a = ConnectorConfig(name: "a", category: .hris, token: Secret("token-aaaaaa"))
        let b = ConnectorConfig(name: "b", category: .hris, token: Secret("token-bbbbbb"))
        let plans = [a, a, a, b].map { PullPlan(connector: $0, model: model, mode: .full) }
        let scheduler = PullScheduler(plans: plans, perConnector: 2)
        #expect(scheduler.next() == 0)
        #expect(scheduler.next() == 1)
        #expect(scheduler.next() == 3)  // a is at its limit: b's pull goes first
        let waiting = Locked<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            waiting.withLock { $0 = scheduler.next() }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)  // blocked until an a-pull finishes
        scheduler.finished(0)
        #expect(done.wait(timeout: .now() + 5) == .success)
        #expect(waiting.withLock { $0 } == 2)
        #expect(scheduler.next() == nil)
    }
}
