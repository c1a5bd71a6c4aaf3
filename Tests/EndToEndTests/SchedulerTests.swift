import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// What users run every night, end to end: incremental runs after the sandbox changes,
/// full refreshes with deletions, backfills, discovery, health, dry runs and the ledger.
@Suite(.serialized) struct SchedulerTests {
    static let fast = #", "rate_limit": {"requests": 100000, "per_seconds": 60}"#

    func sandbox(seed: UInt64) throws -> Sandbox {
        try Sandbox(options: Sandbox.Options(seed: seed, rateLimit: 1_000_000))
    }

    func run(_ args: [String], _ sandbox: Sandbox) throws -> BinaryRunner.Outcome {
        try BinaryRunner.run(args, environment: environment(for: sandbox))
    }

    @Test func incrementalCatchesEveryUpdateAndInsertWithFarFewerRequestsAndFullMarksDeletions() throws {
        let dir = try ScratchDirectory()
        let sandbox = try sandbox(seed: 12)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: #", "page_size": 5"# + Self.fast))
        let db = dir.path("m.sqlite")
        #expect(try run(["run", "jobs/nightly.json", "--config", configPath, "--db", db], sandbox).status == 0)
        let firstRequests = sandbox.apiCounters.requests
        let firstItems = sandbox.apiCounters.itemsServedByKey.values.reduce(0, +)
        let watermarks = Dictionary(uniqueKeysWithValues: try MirrorStore(path: db).query("SELECT connector, model, watermark FROM _sync_state")
            .map { ("\($0[0].text!) \($0[1].text!)", $0[2].text!) })

        try sandbox.api.advanceClock(by: 86_400)
        // A night's worth of change: 3 % updated, 2 % new, 2 % deleted, 1 % rewritten unchanged.
        let changes = try sandbox.api.mutate(seed: 3, updateFraction: 0.03, insertFraction: 0.02, deleteFraction: 0.02, touchFraction: 0.01)
        #expect(changes.totals.updated > 20 && changes.totals.inserted > 20 && changes.totals.deleted > 20)
        let second = try run(["run", "jobs/nightly.json", "--config", configPath, "--db", db], sandbox)
        #expect(second.status == 0, "\(second.all)")
        let incrementalRequests = sandbox.apiCounters.requests - firstRequests
        let incrementalItems = sandbox.apiCounters.itemsServedByKey.values.reduce(0, +) - firstItems
        // Every pull costs a request and the LMS lists (no modified_after) are re-listed in full:
        // still far fewer requests.
        #expect(incrementalRequests * 2 < firstRequests, "incremental \(incrementalRequests) vs full \(firstRequests)")
        // Each incremental pull read exactly the records at or after its watermark (inclusive:
        // those sharing the watermark's instant are read again), and nothing else.
        let store = try MirrorStore(path: db)
        for row in try store.query("SELECT connector, model, records, modified_after FROM _sync_run_pulls WHERE run_id = 2") {
            let connector = row[0].text!, model = row[1].text!.split(separator: "/").last.map(String.init)!
            let watermark = watermarks["\(connector) \(row[1].text!)"]
            let expected = sandbox.dataset.records(connector: connector, model: model).filter { record in
                guard let watermark = row[3].text else { return true }
                return record.modifiedAt >= SandboxTimestamp(iso8601: watermark)!
            }.count
            #expect(row[2] == .integer(Int64(expected)), "\(connector) \(model)")
            #expect(row[3].text == (ModelCatalog.shared.models.first { $0.qualifiedName == row[1].text! }!.supports.modifiedAfter ? watermark : nil))
        }

        var checked = 0
        for connector in sandbox.connectors {
            for model in ModelCatalog.shared.models(in: connector.category) {
                let served = Dictionary(uniqueKeysWithValues: sandbox.dataset.records(connector: connector.name, model: model.model).map { ($0.id, $0) })
                let rows = try store.query("SELECT id, _record, _deleted_at FROM \(MirrorSchema.quote(model.tableName)) WHERE _connector = ?", [.text(connector.name)])
                let mirrored = Dictionary(uniqueKeysWithValues: rows.map { ($0[0].text!, (record: $0[1].text!, deleted: $0[2])) })
                guard let change = changes.changes(connector: connector.name, model: model.model) else { continue }
                for id in change.updated + change.inserted + change.touched {
                    #expect(try mirrored[id].map { try JSONValue.parse($0.record) } == served[id]?.item(), "\(model.tableName) \(id)")
                    checked += 1
                }
                for id in change.deleted {
                    // Only a walk that lists everything can see a deletion: LMS lists do every time.
                    #expect((mirrored[id]?.deleted != .null) == !model.supports.modifiedAfter, "\(model.tableName) \(id)")
                }
            }
        }
        #expect(checked == changes.totals.updated + changes.totals.inserted + changes.totals.touched)

        let full = try run(["run", "jobs/weekly-full.json", "--config", configPath, "--db", db], sandbox)
        #expect(full.status == 0, "\(full.all)")
        for change in changes.models {
            let category = try #require(sandbox.connectors.first { $0.name == change.connector }).category
            let model = try #require(ModelCatalog.shared.model(category, change.model))
            for id in change.deleted {
                let row = try store.query("SELECT _deleted_at FROM \(MirrorSchema.quote(model.tableName)) WHERE _connector = ? AND id = ?", [.text(change.connector), .text(id)])
                #expect(row.first?.first != .null && row.count == 1, "\(model.tableName) \(id) not marked deleted")
            }
        }
        try expectLiveRowsEqualSandbox(store, sandbox)
        print("incremental: \(incrementalRequests) requests and \(incrementalItems) records after the mutation vs \(firstRequests) requests and \(firstItems) records for the first full run; \(checked) changed records checked, \(changes.totals.deleted) deletions marked by the full run")
    }

    @Test func aBoundaryTimestampSharedByHundredsOfRecordsAcrossPagesLosesNone() throws {
        let dir = try ScratchDirectory()
        let sandbox = try sandbox(seed: 13)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: #", "page_size": 50"# + Self.fast))
        let db = dir.path("m.sqlite")
        let args = ["run", "--config", configPath, "--db", db, "--connector", "acme-hris", "--model", "employees"]
        try sandbox.api.advanceClock(by: 3600)
        _ = try sandbox.api.setBoundaryTimestamp(connector: "acme-hris", model: "employees", count: 120)
        #expect(try run(args, sandbox).status == 0)
        let model = ModelCatalog.shared.model(.hris, "employees")!
        let watermark = try #require(try MirrorStore(path: db).pullState(connector: "acme-hris", model: model)?.watermark)
        // Bindbee writes 120 more records at that same instant after our pull read it.
        let boundary = try sandbox.api.setBoundaryTimestamp(connector: "acme-hris", model: "employees", count: 240)
        #expect(boundary.now.iso8601 == watermark)
        #expect(try run(args, sandbox).status == 0)
        let store = try MirrorStore(path: db)
        let atBoundary = try store.query("SELECT COUNT(*) FROM hris_employees WHERE _connector = 'acme-hris' AND modified_at = ?", [.text(watermark)])
        #expect(atBoundary.first?.first == .integer(240))
        try expectMirrorEqualsSandbox(store, sandbox, connectors: ["acme-hris"], models: ["employees"])
    }

    @Test func aBackfillLeavesWatermarksAndOtherConnectorsUntouched() throws {
        let dir = try ScratchDirectory()
        let sandbox = try sandbox(seed: 14)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: Self.fast))
        let db = dir.path("m.sqlite")
        #expect(try run(["run", "--config", configPath, "--db", db], sandbox).status == 0)
        let before = try MirrorStore(path: db).query("SELECT connector, model, watermark, walk_status, last_completed_at FROM _sync_state ORDER BY 1, 2")
        let backfill = try run(["run", "--config", configPath, "--db", db, "--connector", "acme-hris", "--since", "2026-11-20T00:00:00Z"], sandbox)
        #expect(backfill.status == 0, "\(backfill.all)")
        let store = try MirrorStore(path: db)
        let after = try store.query("SELECT connector, model, watermark, walk_status, last_completed_at FROM _sync_state ORDER BY 1, 2")
        #expect(before.map { Array($0.prefix(3)) } == after.map { Array($0.prefix(3)) })  // no watermark moved
        #expect(before.filter { $0[0] != .text("acme-hris") } == after.filter { $0[0] != .text("acme-hris") })
        let modes = try store.query("SELECT DISTINCT mode, modified_after FROM _sync_run_pulls WHERE run_id = 2 AND model LIKE 'hris/employees'")
        #expect(modes == [[.text("backfill"), .text("2026-11-20T00:00:00Z")]])
    }

    @Test func discoveryMirrorsEveryActiveConnectorAndPicksUpNewOnes() throws {
        let dir = try ScratchDirectory()
        let sandbox = try sandbox(seed: 15)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", #"{"base_url": "\#(sandbox.baseURL.absoluteString)", "api_key_env": "SANDBOX_KEY", "discover": {"categories": ["hris", "ats", "lms"], "include_test": true}, "connectors": []\#(Self.fast)}"#)
        let db = dir.path("m.sqlite")
        let dry = try run(["run", "--config", configPath, "--db", db, "--dry-run"], sandbox)
        #expect(dry.status == 0, "\(dry.all)")
        for connector in sandbox.connectors { #expect(dry.stdout.contains("discovered \(connector.originID)")) }
        #expect(!FileManager.default.fileExists(atPath: db))

        let first = try run(["run", "--config", configPath, "--db", db], sandbox)
        #expect(first.status == 0, "\(first.all)")
        let store = try MirrorStore(path: db)
        for connector in sandbox.connectors {
            #expect(try store.rowCounts(ModelCatalog.shared.models(in: connector.category)[0]).keys.contains(connector.originID))
        }
        var newcomer = SandboxConnector.globexATS
        newcomer.name = "hooli-ats"
        newcomer.token = "sbx_hooli_ats_5b3c1d7e9f2a4680"
        newcomer.originID = "hooli-900"
        newcomer.endUser = "Hooli"
        try sandbox.api.addConnector(newcomer)
        let second = try run(["run", "--config", configPath, "--db", db], sandbox)
        #expect(second.status == 0, "\(second.all)")
        #expect(try store.query("SELECT COUNT(*) FROM ats_candidates WHERE _connector = 'hooli-900'").first?.first != .integer(0))
        #expect(try store.query("SELECT discovered FROM _connectors WHERE name = 'hooli-900'").first?.first == .integer(1))
        for output in [dry.all, first.all, second.all] {
            for secret in secrets(of: sandbox) + [newcomer.token] { #expect(!output.contains(secret)) }
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        for secret in secrets(of: sandbox) + [newcomer.token] { #expect(bytes.range(of: Data(secret.utf8)) == nil) }
    }

    @Test func unhealthyConnectorsAreReportedAndSkippedWhenTheJobSaysSo() throws {
        let dir = try ScratchDirectory()
        let sandbox = try sandbox(seed: 16)
        defer { sandbox.stop() }
        try sandbox.api.setConnectorHealth(name: "acme-hris", status: "RELINK_NEEDED", syncStatus: "Done")
        let configPath = try dir.write("config.json", config(for: sandbox, extra: Self.fast))
        let job = try dir.write("job.json", #"{"mode": "incremental", "unhealthy": "skip"}"#)
        let db = dir.path("m.sqlite")
        let outcome = try run(["run", job, "--config", configPath, "--db", db], sandbox)
        #expect(outcome.status == 0, "\(outcome.all)")
        #expect(outcome.stderr.contains("connector unhealthy: relink needed"))
        #expect(outcome.stdout.contains("UNHEALTHY acme-hris hris/employees: skipped: relink needed"))
        let store = try MirrorStore(path: db)
        #expect(try store.rowCounts(ModelCatalog.shared.model(.hris, "employees")!)["acme-hris"] == nil)
        #expect(try store.query("SELECT status, last_sync_start_time IS NOT NULL FROM _connectors WHERE name = 'acme-hris'").first == [.text("RELINK_NEEDED"), .integer(1)])
    }

    @Test func dryRunChangesNothingAndStatusShowsTheLedger() throws {
        let dir = try ScratchDirectory()
        let sandbox = try sandbox(seed: 17)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox, extra: Self.fast))
        let db = dir.path("m.sqlite")
        #expect(try run(["run", "--config", configPath, "--db", db, "--connector", "globex-ats"], sandbox).status == 0)
        let requests = sandbox.apiCounters.requests
        let before = try Data(contentsOf: URL(fileURLWithPath: db))
        let dry = try run(["run", "--config", configPath, "--db", db, "--dry-run"], sandbox)
        #expect(dry.status == 0)
        #expect(dry.stdout.contains("globex-ats ats/candidates: incremental, modified_after=20"))
        #expect(dry.stdout.contains("acme-hris hris/employees: incremental, modified_after=none, marks deletions"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)
        #expect(sandbox.apiCounters.requests - requests <= 3)  // the connectors listings only
        let status = try BinaryRunner.run(["status", "--db", db])
        #expect(status.status == 0)
        #expect(status.stdout.contains("globex-ats"))
        #expect(status.stdout.contains("succeeded"))
        #expect(try BinaryRunner.run(["status", "--db", dir.path("missing.sqlite")]).status == 2)
    }
}

/// Every live row is a record the sandbox serves, and every record it serves is live.
func expectLiveRowsEqualSandbox(_ store: MirrorStore, _ sandbox: Sandbox, sourceLocation: SourceLocation = #_sourceLocation) throws {
    for connector in sandbox.connectors {
        for model in ModelCatalog.shared.models(in: connector.category) {
            let served = Set(sandbox.dataset.records(connector: connector.name, model: model.model).map(\.id))
            let live = Set(try store.query("SELECT id FROM \(MirrorSchema.quote(model.tableName)) WHERE _connector = ? AND _deleted_at IS NULL",
                                           [.text(connector.name)]).map { $0[0].text! })
            #expect(live == served, "\(connector.name) \(model.tableName)", sourceLocation: sourceLocation)
        }
    }
}
