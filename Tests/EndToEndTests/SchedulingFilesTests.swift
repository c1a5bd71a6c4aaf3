import Foundation
import Testing
@testable import BindbeeCommands
@testable import BindbeeSync

/// The shipped crontab and systemd units start real commands: every `run` they hold parses
/// with the run command's own flags, names a job file that exists in `jobs/` (a renamed job
/// file breaks this test), and passes `--config`, `--db` and `--metrics-file`; the units carry
/// the hardening and the timers the README promises.
@Suite struct SchedulingFilesTests {
    static let jobs = BinaryRunner.repoRoot.appendingPathComponent("jobs")

    /// What one scheduled command runs: its job (loaded from the repository) and flags.
    struct ScheduledRun {
        let job: JobDefinition
        let arguments: ParsedArguments
    }

    /// Checks a command line (`bindbee-sync run JOB --config … --db … --metrics-file …`).
    static func scheduledRun(_ command: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ScheduledRun {
        var words = command.split(separator: " ").map(String.init)
        if let redirect = words.firstIndex(where: { $0.hasPrefix(">") || $0.hasPrefix("2>") }) { words = Array(words[..<redirect]) }
        #expect(words.first?.hasSuffix("/bindbee-sync") == true, "\(command)", sourceLocation: sourceLocation)
        #expect(words.dropFirst().first == "run", "\(command)", sourceLocation: sourceLocation)
        let arguments = try ParsedArguments.parse(Array(words.dropFirst(2)), spec: RunCommand.spec)
        let jobPath = try #require(arguments.positionals.first, "no job file: \(command)", sourceLocation: sourceLocation)
        let jobName = URL(fileURLWithPath: jobPath).lastPathComponent
        #expect(URL(fileURLWithPath: jobPath).deletingLastPathComponent().lastPathComponent == "jobs", "\(jobPath)", sourceLocation: sourceLocation)
        let job = try JobDefinition.load(path: jobs.appendingPathComponent(jobName).path)
        for flag in ["--config", "--db", "--metrics-file"] {
            #expect(arguments.value(flag)?.hasPrefix("/") == true, "\(flag) with an absolute path: \(command)", sourceLocation: sourceLocation)
        }
        return ScheduledRun(job: job, arguments: arguments)
    }

    /// `[Section]` → key → values (a key may repeat), comments and blank lines skipped.
    static func unitFile(_ name: String) throws -> [String: [String: [String]]] {
        let text = try String(contentsOf: jobs.appendingPathComponent("systemd/\(name)"), encoding: .utf8)
        var sections: [String: [String: [String]]] = [:]
        var current = ""
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) where !line.isEmpty && !line.hasPrefix("#") && !line.hasPrefix(";") {
            if line.hasPrefix("[") {
                current = String(line.dropFirst().dropLast())
                continue
            }
            let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            try #require(parts.count == 2 && !current.isEmpty, "not a unit-file line in \(name): \(line)")
            sections[current, default: [:]][parts[0], default: []].append(parts[1])
        }
        return sections
    }

    @Test func theCrontabRunsTheNightlyAndTheWeeklyJobs() throws {
        let text = try String(contentsOf: Self.jobs.appendingPathComponent("crontab.example"), encoding: .utf8)
        var runs: [ScheduledRun] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            if fields.count == 1, line.contains("=") { continue }  // SHELL=, PATH=
            try #require(fields.count == 6, "a cron line has five time fields and a command: \(line)")
            runs.append(try Self.scheduledRun(String(fields[5]).trimmingCharacters(in: .whitespaces)))
        }
        #expect(runs.map(\.job.mode) == [.incremental, .full])
        #expect(!runs[0].arguments.has("--wait"), "the nightly skips (exit 3) instead of queueing")
        #expect(runs[1].arguments.has("--wait"), "the weekly queues behind a running nightly")
        #expect(Set(runs.map { $0.arguments.value("--db") }).count == 1, "one mirror")
        #expect(Set(runs.map { $0.arguments.value("--metrics-file") }).count == 2, "a metrics file per job")
    }

    @Test(arguments: [("nightly", SyncMode.incremental), ("weekly", .full)])
    func theSystemdUnitsRunTheJobHardenedOnATimer(_ kind: String, _ mode: SyncMode) throws {
        let service = try Self.unitFile("bindbee-sync-\(kind).service")
        let settings = try #require(service["Service"])
        #expect(settings["Type"] == ["oneshot"])
        #expect(settings["User"]?.first?.isEmpty == false)
        #expect(settings["User"] != ["root"])
        #expect(settings["UMask"] == ["0077"])
        #expect(settings["EnvironmentFile"]?.count == 1)
        for (key, value) in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes"), ("ProtectHome", "yes")] {
            #expect(settings[key] == [value], "\(key)")
        }
        let exec = try #require(settings["ExecStart"]?.first)
        #expect(settings["ExecStart"]?.count == 1)
        let run = try Self.scheduledRun(exec)
        #expect(run.job.mode == mode)
        #expect(run.arguments.has("--wait") == (mode == .full))
        // The worker may write where its database and metrics file are, and nowhere else.
        let writable = (settings["ReadWritePaths"] ?? []).flatMap { $0.split(separator: " ") }.map { $0.hasPrefix("-") ? String($0.dropFirst()) : String($0) }
        for flag in ["--db", "--metrics-file"] {
            let directory = URL(fileURLWithPath: try #require(run.arguments.value(flag))).deletingLastPathComponent().path
            #expect(writable.contains(directory), "\(flag) in \(directory), writable: \(writable)")
        }

        let timer = try Self.unitFile("bindbee-sync-\(kind).timer")
        let schedule = try #require(timer["Timer"])
        #expect(schedule["OnCalendar"]?.count == 1)
        #expect(schedule["Persistent"] == ["true"])
        #expect(schedule["RandomizedDelaySec"]?.first?.isEmpty == false)
        #expect(schedule["Unit"] == ["bindbee-sync-\(kind).service"])
        #expect(timer["Install"]?["WantedBy"] == ["timers.target"])
    }

    @Test func theSecretsFileOfTheUnitsIsTheOneTheExampleConfigNames() throws {
        let config = try JSONValue.parse(try Data(contentsOf: BinaryRunner.repoRoot.appendingPathComponent("config/production.example.json")))
        let secretsFile = try #require(config["secrets_file"]?.stringValue)
        for kind in ["nightly", "weekly"] {
            let file = try #require(try Self.unitFile("bindbee-sync-\(kind).service")["Service"]?["EnvironmentFile"]?.first)
            #expect(file.hasPrefix("-") ? String(file.dropFirst()) == secretsFile : file == secretsFile)
        }
    }
}
