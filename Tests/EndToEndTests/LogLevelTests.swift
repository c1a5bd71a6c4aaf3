import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// `--quiet`, `--verbose` and what every log line carries: a line about a pull always names
/// its connector and model, in logfmt and in JSON.
@Suite(.serialized) struct LogLevelTests {
    /// Lines that concern the whole run or a whole connector, not one pull: the only ones
    /// allowed to go without `model`. A new message must be added here on purpose.
    static let runLevelMessages: Set<String> = [
        "embedded sandbox started", "run started", "connector discovered", "connector found but not mirrored",
        "cannot list connectors; health unknown and discovery skipped for this category",
    ]

    /// Every line parsed; each one that names no model must be a run-level message.
    func expectEveryPullLineNamesConnectorAndModel(_ stderr: String, sourceLocation: SourceLocation = #_sourceLocation) -> [[String: String]] {
        var lines: [[String: String]] = []
        for text in stderr.split(separator: "\n") {
            guard let fields = logFields(String(text)), let message = fields["msg"], fields["level"] != nil else {
                Issue.record("not a log line: \(text)", sourceLocation: sourceLocation)
                continue
            }
            lines.append(fields)
            if fields["model"] == nil {
                #expect(Self.runLevelMessages.contains(message) || message.hasPrefix("connector unhealthy"),
                        "a line without model=: \(text)", sourceLocation: sourceLocation)
            } else {
                #expect(fields["connector"]?.isEmpty == false, "a line with model= but no connector=: \(text)", sourceLocation: sourceLocation)
                #expect(fields["model"]?.contains("/") == true, "model= is the qualified name: \(text)", sourceLocation: sourceLocation)
            }
        }
        return lines
    }

    @Test(arguments: [["--verbose"], ["--verbose", "--log-format", "json"]])
    func verboseLogsOneLinePerPageAndEveryPullLineNamesConnectorAndModel(_ flags: [String]) throws {
        let fixture = try OperationsFixture(seed: 31, faults: FaultPlan.quickMatrix(rate: 0.2, seed: 5), refusedConnector: true)
        defer { fixture.stop() }
        let outcome = try fixture.run(flags + ["--model", "employees", "--model", "candidates", "--model", "users", "--model", "time-off"])
        #expect(outcome.status == 1, "the refused connector fails the run: \(outcome.all)")
        let lines = expectEveryPullLineNamesConnectorAndModel(outcome.stderr)

        let store = try MirrorStore(path: fixture.db)
        let pulls = try store.query("SELECT connector, model, status, pages, retries FROM _sync_run_pulls WHERE run_id = 1")
        let pages = lines.filter { $0["msg"] == "page fetched" }
        #expect(pages.count == pulls.reduce(0) { $0 + Int($1[3].integer!) }, "one debug line per committed page")
        #expect(pages.allSatisfy { $0["level"] == "debug" && Int($0["page"] ?? "") != nil && Int($0["records"] ?? "") != nil })
        // The per-page retries add up to each pull's.
        for pull in pulls where pull[2].text == "succeeded" {
            let ofPull = pages.filter { $0["connector"] == pull[0].text && $0["model"] == pull[1].text }
            #expect(ofPull.map { Int($0["page"]!)! } == Array(1...Int(pull[3].integer!)), "\(pull)")
            #expect(ofPull.reduce(0) { $0 + Int($1["retries"]!)! } == Int(pull[4].integer!), "\(pull)")
        }
        #expect(pulls.contains { $0[4] != .integer(0) }, "the faults must cause retries")
        // The refused connector's failure is logged as an error naming it and the model.
        #expect(lines.contains { $0["level"] == "error" && $0["msg"] == "pull failed" && $0["connector"] == OperationsFixture.wrongConnector
            && $0["model"]?.hasPrefix("hris/") == true && $0["error"]?.contains("HTTP 401") == true })
        #expect(lines.filter { $0["msg"] == "pull started" }.count == pulls.filter { $0[2].text != "skipped" }.count)
    }

    @Test func quietLogsOnlyWarningsAndErrors() throws {
        let fixture = try OperationsFixture(seed: 32, refusedConnector: true)
        defer { fixture.stop() }
        let outcome = try fixture.run(["--quiet", "--model", "employees", "--model", "candidates"])
        #expect(outcome.status == 1, "\(outcome.all)")
        let lines = expectEveryPullLineNamesConnectorAndModel(outcome.stderr)
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0["level"] == "warn" || $0["level"] == "error" }, "\(outcome.stderr)")
        #expect(lines.contains { $0["msg"] == "pull failed" && $0["connector"] == OperationsFixture.wrongConnector })
        // The summary still goes to stdout.
        #expect(outcome.stdout.contains("run FAILED"))

        // Without --quiet the same run logs info lines too.
        let normal = try fixture.run(["--model", "employees"], db: fixture.dir.path("other.sqlite"))
        #expect(normal.stderr.contains("level=info"))
        #expect(!normal.stderr.contains("level=debug"))
    }

    @Test func quietAndVerboseTogetherAreBadInput() throws {
        let dir = try ScratchDirectory()
        let outcome = try BinaryRunner.run(["run", "--config", "config/sandbox.json", "--db", dir.path("x.sqlite"), "--verbose", "--quiet"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("bindbee-sync run: --quiet: cannot be combined with --verbose"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("x.sqlite")))
    }
}

extension FaultPlan {
    /// Every kind but stalls (which only make a test slower), with rates adding up to `rate`.
    static func quickMatrix(rate: Double, seed: UInt64) -> FaultPlan {
        let kinds = FaultKind.allCases.filter { $0 != .stall }
        return FaultPlan(rates: Dictionary(uniqueKeysWithValues: kinds.map { ($0, rate / Double(kinds.count)) }), seed: seed,
                         throttleRetryAfter: 0...1, unavailableRetryAfter: 0...1)
    }
}
