import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// The metrics file: the exposition text rendered from a run (checked by a strict parser, value
/// by value), the atomic write and its modes, and the built binary writing it after a run that
/// succeeds or fails, never after bad input.
@Suite struct MetricsTextTests {
    static let employees = ModelCatalog.shared.model(.hris, "employees")!
    static let candidates = ModelCatalog.shared.model(.ats, "candidates")!

    static func pull(_ connector: String, _ model: ModelSpec, _ status: PullResult.Status, pages: Int, records: Int, deleted: Int = 0,
                     requests: Int, retries: Int, throttled: Int, seconds: Double) -> PullResult {
        var stats = RequestStats()
        stats.requests = requests
        stats.retries = retries
        stats.throttled = throttled
        return PullResult(connector: connector, model: model, status: status, spec: nil, pages: pages, records: records, deleted: deleted,
                          requests: stats, resumedAtPage: nil, startedAt: "2026-12-01T02:00:00.000Z", seconds: seconds,
                          error: status == .succeeded ? nil : "boom")
    }

    @Test func everyCountOfTheRunIsExportedUnderAStrictGrammar() throws {
        let weird = "we\"ird\\name\nx"
        let pulls = [
            Self.pull("acme", Self.employees, .succeeded, pages: 3, records: 41, deleted: 2, requests: 6, retries: 3, throttled: 1, seconds: 1.25),
            Self.pull("acme", Self.candidates, .failed, pages: 1, records: 7, requests: 9, retries: 8, throttled: 4, seconds: 0.5),
            Self.pull(weird, Self.employees, .skipped, pages: 0, records: 0, requests: 0, retries: 0, throttled: 0, seconds: 0),
        ]
        let started = Date(timeIntervalSince1970: 1_800_000_000.25)
        let finished = started.addingTimeInterval(90.5)
        let earlier = started.addingTimeInterval(-86_400)
        let metrics = RunMetrics(job: "nightly", started: started, finished: finished, exitCode: 1, pulls: pulls,
                                 lastSuccess: [PullKey(connector: "acme", model: "hris/employees"): finished.addingTimeInterval(-1),
                                               PullKey(connector: "acme", model: "ats/candidates"): earlier])
        let text = metrics.rendered()
        let parsed = try Exposition.parse(text)

        let run = ["sync_job": "nightly"]
        #expect(parsed.value("bindbee_sync_run_success", run) == 0)
        #expect(parsed.value("bindbee_sync_run_exit_code", run) == 1)
        #expect(parsed.value("bindbee_sync_run_status", run.merging(["status": "failed"]) { $1 }) == 1)
        #expect(parsed.value("bindbee_sync_run_status", run.merging(["status": "succeeded"]) { $1 }) == 0)
        #expect(parsed.value("bindbee_sync_run_start_timestamp_seconds", run) == started.timeIntervalSince1970)
        #expect(parsed.value("bindbee_sync_run_end_timestamp_seconds", run) == finished.timeIntervalSince1970)
        #expect(parsed.value("bindbee_sync_run_duration_seconds", run) == 90.5)
        for (result, count) in [("succeeded", 1.0), ("failed", 1), ("skipped", 1), ("unhealthy", 0)] {
            #expect(parsed.value("bindbee_sync_run_pulls", run.merging(["result": result]) { $1 }) == count)
        }
        for pull in pulls {
            let labels = ["sync_job": "nightly", "connector": pull.connector, "model": pull.model.qualifiedName]
            #expect(parsed.value("bindbee_sync_pull_success", labels) == (pull.status == .succeeded ? 1 : 0))
            #expect(parsed.value("bindbee_sync_pull_records", labels) == Double(pull.records))
            #expect(parsed.value("bindbee_sync_pull_pages", labels) == Double(pull.pages))
            #expect(parsed.value("bindbee_sync_pull_deleted", labels) == Double(pull.deleted))
            #expect(parsed.value("bindbee_sync_pull_requests", labels) == Double(pull.requests.requests))
            #expect(parsed.value("bindbee_sync_pull_retries", labels) == Double(pull.requests.retries))
            #expect(parsed.value("bindbee_sync_pull_throttled", labels) == Double(pull.requests.throttled))
            #expect(parsed.value("bindbee_sync_pull_duration_seconds", labels) == pull.seconds)
        }
        // Last success: this run's, an earlier run's for the failed pull, none for one that never completed.
        let failed = ["sync_job": "nightly", "connector": "acme", "model": "ats/candidates"]
        #expect(parsed.value("bindbee_sync_pull_last_success_timestamp_seconds", failed) == earlier.timeIntervalSince1970)
        #expect(parsed.value("bindbee_sync_pull_data_age_seconds", failed) == finished.timeIntervalSince(earlier))
        #expect(parsed.value("bindbee_sync_pull_data_age_seconds", ["sync_job": "nightly", "connector": "acme", "model": "hris/employees"]) == 1)
        #expect(parsed.family("bindbee_sync_pull_last_success_timestamp_seconds").count == 2)
        #expect(parsed.family("bindbee_sync_pull_data_age_seconds").allSatisfy { $0.labels["connector"] != weird })
        // The label value needing every escape is written escaped and reads back unchanged.
        #expect(text.contains(#"connector="we\"ird\\name\nx""#))
        #expect(parsed.family("bindbee_sync_pull_records").contains { $0.labels["connector"] == weird })
        // Every family is a gauge with help.
        #expect(Set(parsed.types.values) == ["gauge"])
        #expect(parsed.help.count == parsed.types.count && parsed.types.count == 17)
        // Same run, same text.
        #expect(metrics.rendered() == text)
    }

    @Test func aSuccessfulRunWithoutPullsStillExportsTheRun() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let parsed = try Exposition.parse(RunMetrics(job: "weekly-full", started: now, finished: now, exitCode: 0, pulls: [], lastSuccess: [:]).rendered())
        #expect(parsed.value("bindbee_sync_run_success", ["sync_job": "weekly-full"]) == 1)
        #expect(parsed.family("bindbee_sync_pull_records").isEmpty)
    }

    @Test(arguments: [("jobs/nightly.json", "nightly"), ("/etc/bindbee/weekly-full.json", "weekly-full"), ("<defaults>", "default"), ("x.job", "x.job")])
    func theJobLabelIsTheJobFilesName(_ source: String, _ label: String) {
        #expect(RunMetrics.jobLabel(source: source) == label)
    }

    @Test(arguments: [
        "m 1\n",  // no HELP/TYPE
        "# HELP m h\n# TYPE m gauge\nm 1 1700000000\n",  // timestamp
        "# HELP m h\n# TYPE m gauge\nm{a=\"x\\t\"} 1\n",  // bad escape
        "# HELP m h\n# TYPE m gauge\nm{a=\"x\",a=\"y\"} 1\n",  // label twice
        "# HELP m h\n# TYPE m gauge\nm 1\nm 2\n",  // series twice
        "# HELP m h\n# TYPE m gauge\n# TYPE m gauge\nm 1\n",  // TYPE twice
        "# HELP m h\n# TYPE m gauge\nm 1\n# HELP n h\n# TYPE n gauge\nn 1\nm{a=\"b\"} 2\n",  // family not together
        "# HELP m h\n# TYPE m gauge\nm one\n",  // not a float
        "# HELP 1m h\n# TYPE 1m gauge\n1m 1\n",  // bad name
        "# HELP m h\n# TYPE m gauge\nm{1a=\"b\"} 1\n",  // bad label name
        "# HELP m h\n# TYPE m gauge\nm 1\n# HELP m again\n",  // HELP after samples
        "# HELP m h\n# TYPE m gauge\nm 1",  // no final newline
    ])
    func theParserRejectsWhatTheFormatForbids(_ text: String) {
        #expect(throws: Exposition.Failure.self) { try Exposition.parse(text) }
    }

    @Test func theParserAcceptsTheFormsPrometheusWrites() throws {
        let parsed = try Exposition.parse("# a comment\n# HELP m h \\\\ \\n\n# TYPE m gauge\nm{a=\"\\\"\\\\\\n\",b=\"\"} -1.5e+3\nm NaN\n\n# HELP n h\n# TYPE n counter\nn{x=\"y\",} +Inf\n")
        #expect(parsed.value("m", ["a": "\"\\\n", "b": ""]) == -1500)
        #expect(parsed.value("n", ["x": "y"]) == .infinity)
    }
}

/// The write itself: atomic, mode 0600 for a new file, an existing file's mode kept.
@Suite struct MetricsFileWriteTests {
    func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test func aNewFileIsOwnerOnlyAndAnExistingFilesModeIsKept() throws {
        let dir = try ScratchDirectory()
        let path = dir.path("bindbee.prom")
        // A leftover temporary file of a crashed run with our pid, world-readable: not reused.
        try dir.write("bindbee.prom.tmp.\(getpid())", "stale")
        #expect(chmod(dir.path("bindbee.prom.tmp.\(getpid())"), 0o644) == 0)
        try MetricsFile.write("first\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first\n")
        #expect(mode(path) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["bindbee.prom"])

        #expect(chmod(path, 0o644) == 0)
        try MetricsFile.write("second\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "second\n")
        #expect(mode(path) == 0o644)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path) == ["bindbee.prom"])
    }

    @Test func aMissingDirectoryIsAnErrorNamingTheFile() throws {
        let dir = try ScratchDirectory()
        let path = dir.path("missing/bindbee.prom")
        #expect { try MetricsFile.write("x\n", to: path) } throws: { error in
            "\(error)".hasPrefix("cannot write the metrics file \(path): create \(path).tmp.\(getpid()): No such file or directory")
        }
    }
}

/// `run --metrics-file` with the built binary: the values are the ledger's, a failed run writes
/// the file too (carrying each pull's last success), bad input writes nothing.
@Suite(.serialized) struct MetricsEndToEndTests {
    static func date(_ text: String?) -> Double? {
        text.flatMap(ServerTimestamp.init).map { Double($0.microseconds) / 1e6 }
    }

    @Test func theMetricsFileHoldsTheRunsCountsAndAFailedRunCarriesTheLastSuccess() throws {
        let fixture = try OperationsFixture(seed: 41, faults: .quickMatrix(rate: 0.25, seed: 3), refusedConnector: true)
        let metricsPath = fixture.dir.path("bindbee.prom")
        let selection = ["--model", "employees", "--model", "candidates", "--model", "users"]
        let first = try fixture.run(["jobs/nightly.json", "--metrics-file", metricsPath] + selection)
        #expect(first.status == 1, "the refused connector fails the run: \(first.all)")
        let parsed = try Exposition.parse(try String(contentsOfFile: metricsPath, encoding: .utf8))
        let run = ["sync_job": "nightly"]
        #expect(parsed.value("bindbee_sync_run_exit_code", run) == 1)
        #expect(parsed.value("bindbee_sync_run_success", run) == 0)
        let store = try MirrorStore(path: fixture.db)
        let pulls = try store.query("""
            SELECT p.connector, p.model, p.status, p.records, p.pages, p.retries, p.throttled, p.deleted, s.last_completed_at
            FROM _sync_run_pulls p LEFT JOIN _sync_state s ON s.connector = p.connector AND s.model = p.model WHERE p.run_id = 1
            """)
        #expect(pulls.count == parsed.family("bindbee_sync_pull_success").count)
        #expect(pulls.count >= 5)
        var retries = 0
        for row in pulls {
            let labels = ["sync_job": "nightly", "connector": row[0].text!, "model": row[1].text!]
            #expect(parsed.value("bindbee_sync_pull_success", labels) == (row[2].text == "succeeded" ? 1 : 0), "\(labels)")
            #expect(parsed.value("bindbee_sync_pull_records", labels) == Double(row[3].integer!), "\(labels)")
            #expect(parsed.value("bindbee_sync_pull_pages", labels) == Double(row[4].integer!), "\(labels)")
            #expect(parsed.value("bindbee_sync_pull_retries", labels) == Double(row[5].integer!), "\(labels)")
            #expect(parsed.value("bindbee_sync_pull_throttled", labels) == Double(row[6].integer!), "\(labels)")
            #expect(parsed.value("bindbee_sync_pull_deleted", labels) == Double(row[7].integer!), "\(labels)")
            let last = parsed.value("bindbee_sync_pull_last_success_timestamp_seconds", labels)
            if let completed = Self.date(row[8].text) {
                #expect(last.map { abs($0 - completed) < 0.001 } == true, "\(labels)")
            } else {
                #expect(last == nil, "\(labels)")
                #expect(row[0].text == OperationsFixture.wrongConnector, "only the refused connector never completed: \(labels)")
            }
            retries += Int(row[5].integer!)
        }
        #expect(retries > 0, "the faults must cause retries")
        for (result, status) in [("succeeded", "succeeded"), ("failed", "failed"), ("skipped", "skipped")] {
            #expect(parsed.value("bindbee_sync_run_pulls", run.merging(["result": result]) { $1 }) == Double(pulls.filter { $0[2].text == status }.count))
        }
        var info = stat()
        #expect(stat(metricsPath, &info) == 0 && info.st_mode & 0o777 == 0o600)

        // The API is gone: the next run fails every pull, and each keeps its last success.
        fixture.stop()
        let second = try fixture.run(["jobs/nightly.json", "--metrics-file", metricsPath, "--connector", "acme-hris", "--model", "employees"])
        #expect(second.status == 1, "\(second.all)")
        let after = try Exposition.parse(try String(contentsOfFile: metricsPath, encoding: .utf8))
        let labels = ["sync_job": "nightly", "connector": "acme-hris", "model": "hris/employees"]
        #expect(after.value("bindbee_sync_pull_success", labels) == 0)
        let completed = try #require(Self.date(pulls.first { $0[0].text == "acme-hris" && $0[1].text == "hris/employees" }?[8].text))
        #expect(abs(try #require(after.value("bindbee_sync_pull_last_success_timestamp_seconds", labels)) - completed) < 0.001)
        let end = try #require(after.value("bindbee_sync_run_end_timestamp_seconds", run))
        #expect(abs(try #require(after.value("bindbee_sync_pull_data_age_seconds", labels)) - (end - completed)) < 0.001)
        #expect(after.family("bindbee_sync_pull_success").count == 1)
    }

    @Test(arguments: [["--mode", "sometimes"], ["--quiet", "--verbose"], ["--connector", "nobody"]])
    func badInputWritesNoMetricsFile(_ flags: [String]) throws {
        let dir = try ScratchDirectory()
        let outcome = try BinaryRunner.run(["run", "--config", "config/sandbox.json", "--db", dir.path("m.sqlite"),
                                            "--metrics-file", dir.path("bindbee.prom")] + flags)
        #expect(outcome.status == 2, "\(outcome.all)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }
}
