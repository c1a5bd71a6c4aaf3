import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// The worker survives crashes and concurrent starts: `kill -9` at any moment, then a rerun,
/// gives the mirror the source holds, refetching little; a second run on the same database is
/// refused while the first holds it.
@Suite(.serialized) struct ResilienceTests {
    /// Pages committed so far, read through a second connection while the worker writes (WAL).
    func committedPages(_ db: String) -> Int {
        guard FileManager.default.fileExists(atPath: db), let database = try? SQLiteDatabase(path: db) else { return 0 }
        return Int((try? database.scalar("SELECT COALESCE(SUM(walk_pages), 0) FROM _sync_state"))??.integer ?? 0)
    }

    /// Walks with a committed cursor: what a rerun resumes. (Pages are committed in batches, so
    /// a moment with committed pages may still have none: every open walk's pages in the batch.)
    func resumableWalks(_ db: String) -> Int {
        guard FileManager.default.fileExists(atPath: db), let database = try? SQLiteDatabase(path: db) else { return 0 }
        return Int((try? database.scalar("SELECT COUNT(*) FROM _sync_state WHERE walk_cursor IS NOT NULL"))??.integer ?? 0)
    }

    func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return condition()
    }

    @Test(arguments: [3, 30, 120])
    func killDashNineThenRerunGivesTheSourceWithLittleRefetched(afterPages killPoint: Int) throws {
        let dir = try ScratchDirectory()
        // A clean run's cost, on its own database and sandbox.
        // Budgets out of the way: this test is about crashes, not throttling.
        let options = Sandbox.Options(seed: 11, rateLimit: 1_000_000)
        let extra = #", "page_size": 5, "rate_limit": {"requests": 100000, "per_seconds": 60}"#
        let clean = try Sandbox(options: options)
        let cleanConfig = try dir.write("clean.json", config(for: clean, extra: extra))
        #expect(try BinaryRunner.run(["run", "--config", cleanConfig, "--db", dir.path("clean.sqlite")], environment: environment(for: clean)).status == 0)
        let cleanRequests = clean.apiCounters.requests
        clean.stop()

        let sandbox = try Sandbox(options: options)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: extra))
        let db = dir.path("m.sqlite")
        let args = ["run", "--config", configPath, "--db", db]
        let victim = try BinaryRunner.start(args, environment: environment(for: sandbox), log: dir.path("killed.log"))
        let reached = waitUntil(timeout: 60) { (committedPages(db) >= killPoint && resumableWalks(db) > 0) || !victim.isRunning }
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        #expect(reached)
        #expect(victim.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
        let before = committedPages(db)
        #expect(before >= killPoint)

        let rerun = try BinaryRunner.run(args, environment: environment(for: sandbox))
        #expect(rerun.status == 0, "\(rerun.all)")
        #expect(rerun.stderr.contains("pull resumed"))
        let store = try MirrorStore(path: db)
        try expectMirrorEqualsSandbox(store, sandbox)
        // No duplicates: one row per (connector, id) in every table.
        for model in ModelCatalog.shared.models {
            let dupes = try store.query("SELECT COUNT(*) - COUNT(DISTINCT _connector || '/' || id) FROM \(MirrorSchema.quote(model.tableName))")
            #expect(dupes.first?.first == .integer(0))
        }
        let ratio = Double(sandbox.apiCounters.requests) / Double(cleanRequests)
        #expect(ratio <= 1.3, "requests across both runs: \(sandbox.apiCounters.requests), clean run: \(cleanRequests)")
        print("kill -9 after \(killPoint) pages (\(before) committed): \(sandbox.apiCounters.requests) requests across both runs vs \(cleanRequests) clean (\(String(format: "%.3f", ratio))x)")
    }

    @Test func aSecondRunIsRefusedWhileTheFirstHoldsTheDatabaseAndAKilledHolderDoesNotBlock() throws {
        let dir = try ScratchDirectory()
        // A slow worker budget keeps the first run busy: 4 requests per 2 s for 65 pulls.
        let sandbox = try Sandbox(seed: 5)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: #", "rate_limit": {"requests": 4, "per_seconds": 2}"#))
        let db = dir.path("m.sqlite")
        let first = try BinaryRunner.start(["run", "--config", configPath, "--db", db], environment: environment(for: sandbox))
        #expect(waitUntil(timeout: 30) { committedPages(db) >= 1 })

        let second = try BinaryRunner.run(["run", "--config", configPath, "--db", db], environment: environment(for: sandbox))
        #expect(second.status == 3)
        #expect(second.stderr.contains("another run holds \(db).lock (pid \(first.processIdentifier)"), "\(second.stderr)")

        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // The killed holder's lock file is still there, but it no longer blocks.
        #expect(FileManager.default.fileExists(atPath: RunLock.path(forDatabase: db)))
        let third = try BinaryRunner.run(["run", "--config", configPath, "--db", db, "--model", "companies"], environment: environment(for: sandbox))
        #expect(third.status == 0, "\(third.all)")
    }
}
