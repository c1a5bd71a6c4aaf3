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
