import Dispatch
import Foundation
import Testing
@testable import BindbeeSync

/// A walk's position is committed with its page, so a crash resumes exactly after the last
/// committed page; anything that makes the position unusable starts the walk over.
@Suite struct WalkStateTests {
    let model = ModelCatalog.shared.model(.hris, "employees")!
    let spec = WalkSpec(mode: "full", modifiedAfter: nil, marksDeletions: true, parameters: #"[["page_size","2"]]"#)

    func page(_ ids: [String], cursor: String?) throws -> ScannedPage {
        try PageScanner.scan(pageJSON(ids.map { #"{"id":"\#($0)"}"# }, cursor: cursor))
    }

    @Test func aPageAndItsCursorCommitTogetherAndAnUnfinishedWalkResumes() throws {
        let dir = try TemporaryDirectory()
        do {
            let store = try MirrorStore(path: dir.path("m.sqlite"))
            let walk = try store.beginWalk(connector: "acme", model: model, spec: spec, now: "T0")
            #expect(!walk.isResumed)
            try store.write(page: page(["a", "b"], cursor: "c+1="), model: model, connector: "acme", walk: walk)
            try store.write(page: page(["c", "d"], cursor: "c+2="), model: model, connector: "acme", walk: walk)
        }  // the process "dies" here
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let resumed = try store.beginWalk(connector: "acme", model: model, spec: spec, now: "T1")
        #expect(resumed.isResumed)
        #expect(resumed.cursor == "c+2=")
        #expect(resumed.pages == 2)
        #expect(resumed.records == 4)
        #expect(resumed.startedAt == "T0")  // the walk keeps its start across the resume
        try store.write(page: page(["e"], cursor: nil), model: model, connector: "acme", walk: resumed)
        let state = try #require(try store.pullState(connector: "acme", model: model))
        #expect(state.walkStatus == WalkStatus.complete)
        #expect(state.cursor == nil)
        #expect(state.pages == 3)
        #expect(state.records == 5)
        // A complete walk is not resumed: the next one starts at the first page.
        #expect(try !store.beginWalk(connector: "acme", model: model, spec: spec).isResumed)
    }

    @Test func otherParametersStartTheWalkOver() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let walk = try store.beginWalk(connector: "acme", model: model, spec: spec)
        try store.write(page: page(["a"], cursor: "next"), model: model, connector: "acme", walk: walk)
        let other = try store.beginWalk(connector: "acme", model: model, spec: WalkSpec(mode: "full", modifiedAfter: nil, marksDeletions: true, parameters: #"[["page_size","200"]]"#))
        #expect(!other.isResumed)
        #expect(other.pages == 0)
    }

    @Test func aFailedPageLeavesThePositionWhereItWas() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let walk = try store.beginWalk(connector: "acme", model: model, spec: spec)
        try store.write(page: page(["a"], cursor: "after-a"), model: model, connector: "acme", walk: walk)
        _ = try store.query("CREATE TRIGGER refuse BEFORE INSERT ON hris_employees WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END")
        #expect(throws: SQLiteError.self) {
            try store.write(page: page(["b", "bad"], cursor: "after-bad"), model: model, connector: "acme", walk: walk)
        }
        try store.recordWalkFailure(walk, error: "refused")
        let state = try #require(try store.pullState(connector: "acme", model: model))
        #expect(state.cursor == "after-a")
        #expect(state.pages == 1)
        #expect(state.lastError == "refused")
        #expect(try store.rowCounts(model) == ["acme": 1])
    }

    @Test func restartingAWalkForgetsItsCursor() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let walk = try store.beginWalk(connector: "acme", model: model, spec: spec)
        try store.write(page: page(["a"], cursor: "expired"), model: model, connector: "acme", walk: walk)
        let resumed = try store.beginWalk(connector: "acme", model: model, spec: spec)
        let restarted = try store.restartWalk(resumed)
        #expect(restarted.cursor == nil)
        #expect(try store.pullState(connector: "acme", model: model)?.pages == 0)
        #expect(try store.rowCounts(model) == ["acme": 1])  // rows already mirrored stay
    }
}

/// The writer commits pages in batches (see `CommitPolicy`) without weakening what a commit
/// means: a page's rows and its cursor are committed together, a walk's last page is committed
/// before the pull hears of it, and a page that fails stops its walk.
@Suite struct PageBatchTests {
    let model = ModelCatalog.shared.model(.hris, "employees")!
    let spec = WalkSpec(mode: "full", modifiedAfter: nil, marksDeletions: true, parameters: #"[["page_size","2"]]"#)

    func page(_ ids: [String], cursor: String?) throws -> ScannedPage {
        try PageScanner.scan(pageJSON(ids.map { #"{"id":"\#($0)"}"# }, cursor: cursor))
    }

    /// Hands `pages` to the writer without waiting and returns each page's outcome.
    func enqueue(_ store: MirrorStore, _ pages: [ScannedPage], walk: WalkPosition, connector: String = "acme") -> () -> [Result<WrittenPage, Error>?] {
        let outcomes = Locked([Result<WrittenPage, Error>?](repeating: nil, count: pages.count))
        let group = DispatchGroup()
        for (i, page) in pages.enumerated() {
            group.enter()
            store.enqueueWrite(page: page, model: model, connector: connector, walk: walk) { result in
                outcomes.withLock { $0[i] = result }
                group.leave()
            }
        }
        return {
            // A page whose completion never runs fails the test instead of hanging it.
            if group.wait(timeout: .now() + 30) == .timedOut { Issue.record("a page's completion did not run within 30 s") }
            return outcomes.withLock { $0 }
        }
    }

    /// Another connection's view: what is committed.
    func committed(_ path: String) throws -> (pages: Int, rows: Int) {
        let reader = try SQLiteDatabase(path: path, readOnly: true)
        let pages = try reader.scalar("SELECT COALESCE(SUM(walk_pages), 0) FROM _sync_state")?.integer ?? -1
        let rows = try reader.scalar("SELECT COUNT(*) FROM hris_employees")?.integer ?? -1
        return (Int(pages), Int(rows))
    }

    @Test func pagesBeforeTheLastWaitInOneOpenTransactionUntilTheBatchCommits() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        let store = try MirrorStore(path: path, commitPolicy: CommitPolicy(maxBytes: 1 << 30, maxSeconds: 600))
        let walk = try store.beginWalk(connector: "acme", model: model, spec: spec)
        let accepted = DispatchSemaphore(value: 0)
        for (i, ids) in [["a", "b"], ["c", "d"], ["e"]].enumerated() {
            store.enqueueWrite(page: try page(ids, cursor: "c\(i)"), model: model, connector: "acme", walk: walk,
                               accepted: { accepted.signal() }, completion: { _ in })
        }
        for _ in 0..<3 { accepted.wait() }
        #expect(try committed(path) == (0, 0))  // written into the open transaction, not committed
        store.flush()
        #expect(try committed(path) == (3, 5))
        #expect(try store.pullState(connector: "acme", model: model)?.cursor == "c2")
    }

    @Test func aWalksLastPageIsCommittedBeforeItsCompletionRuns() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        let store = try MirrorStore(path: path, commitPolicy: CommitPolicy(maxBytes: 1 << 30, maxSeconds: 600))
        let walk = try store.beginWalk(connector: "acme", model: model, spec: spec)
        let outcomes = enqueue(store, [try page(["a", "b"], cursor: "c1"), try page(["c"], cursor: nil)], walk: walk)()
        #expect(outcomes.allSatisfy { (try? $0?.get()) != nil })
        #expect(try committed(path) == (2, 3))
    }

    @Test func anOpenBatchCommitsWithinMaxSecondsWhenNoPageComes() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        let store = try MirrorStore(path: path, commitPolicy: CommitPolicy(maxBytes: 1 << 30, maxSeconds: 0.2))
        let walk = try store.beginWalk(connector: "acme", model: model, spec: spec)
        let outcomes = enqueue(store, [try page(["a"], cursor: "c1")], walk: walk)()
        #expect((try? outcomes[0]?.get())?.records == 1)
        #expect(try committed(path) == (1, 1))
    }

    @Test func aFailedPageStopsItsWalkSoNoLaterCursorSkipsItsRows() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        let store = try MirrorStore(path: path)
        _ = try store.query("CREATE TRIGGER refuse BEFORE INSERT ON hris_employees WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END")
        let walk = try store.beginWalk(connector: "acme", model: model, spec: spec)
        let other = try store.beginWalk(connector: "globex", model: model, spec: spec)
        let wait = enqueue(store, [try page(["a", "b"], cursor: "c1"), try page(["c", "bad"], cursor: "c2"), try page(["d"], cursor: "c3")],
                           walk: walk)
        let otherOutcome = enqueue(store, [try page(["x"], cursor: nil)], walk: other, connector: "globex")()
        let outcomes = wait()
        #expect((try? outcomes[0]?.get())?.records == 2)
        #expect(throws: SQLiteError.self) { try outcomes[1]?.get() }
        #expect(throws: MirrorStoreError.self) { try outcomes[2]?.get() }
        #expect((try? otherOutcome[0]?.get())?.records == 1)  // another walk is not affected
        store.flush()
        #expect(try store.pullState(connector: "acme", model: model)?.cursor == "c1")
        #expect(try store.rowCounts(model) == ["acme": 2, "globex": 1])
        // A new walk of the same pull starts clean.
        let again = try store.beginWalk(connector: "acme", model: model, spec: spec)
        #expect(throws: Never.self) { try store.write(page: page(["e"], cursor: "c9"), model: model, connector: "acme", walk: again) }
    }

    @Test func theCommitPolicyTable() {
        let policy = CommitPolicy()
        #expect(!policy.shouldCommit(bytes: 0, secondsOpen: 0, completesWalk: false))
        #expect(!policy.shouldCommit(bytes: (32 << 20) - 1, secondsOpen: 0.99, completesWalk: false))
        #expect(policy.shouldCommit(bytes: 32 << 20, secondsOpen: 0, completesWalk: false))
        #expect(policy.shouldCommit(bytes: 0, secondsOpen: 1.0, completesWalk: false))
        #expect(policy.shouldCommit(bytes: 0, secondsOpen: 0, completesWalk: true))
    }
}

/// One run per database.
@Suite struct RunLockTests {
    @Test func aSecondHolderIsRefusedWithTheFirstOnesDetails() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path("m.sqlite")
        var first: RunLock? = try RunLock(database: db, wait: false)
        do {
            _ = try RunLock(database: db, wait: false)
            Issue.record("a second lock was granted")
        } catch {
            guard case .held(_, let holder) = error else { Issue.record("\(error)"); return }
            #expect(holder?.pid == getpid())
            #expect("\(error)".contains("another run holds \(db).lock (pid \(getpid())"))
        }
        first = nil
        _ = first
        #expect(throws: Never.self) { _ = try RunLock(database: db, wait: false) }
    }

    @Test func waitingTakesTheLockWhenTheHolderLetsGo() throws {
        let dir = try TemporaryDirectory()
        let db = dir.path("m.sqlite")
        let holder = Locked<RunLock?>(nil)
        holder.withLock { $0 = try? RunLock(database: db, wait: false) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { holder.withLock { $0 = nil } }
        let started = Date()
        _ = try RunLock(database: db, wait: true)
        #expect(Date().timeIntervalSince(started) >= 0.25)
    }
}
