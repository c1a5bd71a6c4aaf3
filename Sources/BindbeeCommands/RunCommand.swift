import BindbeeSandbox
import BindbeeSync
import Foundation

/// `bindbee-sync run`: loads the config and job, plans the pulls, starts the embedded sandbox
/// when the config asks for it, runs the pulls and prints the summary.
enum RunCommand {
    static let spec = ArgumentSpec(
        command: "run",
        valueOptions: ["--config", "--db", "--mode", "--page-size", "--concurrency", "--since", "--log-format", "--metrics-file"],
        repeatableOptions: ["--connector", "--model"],
        flags: ["--help", "--wait", "--dry-run", "--quiet", "--verbose"],
        maxPositionals: 1)

    static let help = """
        Usage: bindbee-sync run [JOB] --config FILE --db FILE [options]

        Mirrors the configured connectors' list models into the SQLite database FILE.

          JOB                  a job file (jobs/*.json); without one: incremental, everything
          --config FILE        connectors and settings (config/*.json)          (required)
          --db FILE            the SQLite mirror; created when missing          (required)
          --connector NAME     only this connector (repeatable; overrides the job's list)
          --model NAME         only this model, e.g. employees (repeatable; overrides the job's)
          --mode MODE          incremental or full (overrides the job's mode)
          --since TIME         backfill: records modified at or after TIME (ISO 8601); watermarks stay
          --page-size N        records per request, 1-200 (overrides the config)
          --concurrency N      pulls at once, 1-64 (overrides the config)
          --dry-run            print the plan (each pull's mode and modified_after) and change nothing
          --metrics-file FILE  after the run (also a failed one), write Prometheus metrics to FILE
                               for node_exporter's textfile collector (written whole, then renamed)
          --log-format FORMAT  logfmt (default) or json (JSON lines)
          --quiet              log warnings and errors only (no live progress either)
          --verbose            also log debug lines: one per page fetched (connector, model, page,
                               records, retries)
          --wait               if another run holds the database, wait for it instead of exiting 3
          --help               this text

        Exit status: 0 every pull finished; 1 some pull failed; 2 bad input (config, job, flags);
        3 another run holds the database.
        """

    /// What the command line and files ask for, validated before anything is touched.
    struct Request {
        var config: SyncConfig
        var job: JobDefinition
        var database: String
        var dryRun: Bool
        var wait: Bool
        var logFormat: RunLog.Format
        var logLevel: RunLog.Level
        var metricsFile: String?
    }

    static func parse(_ arguments: [String]) throws(InputError) -> Request? {
        let parsed = try ParsedArguments.parse(arguments, spec: spec)
        if parsed.has("--help") { return nil }
        if parsed.has("--quiet"), parsed.has("--verbose") {
            throw InputError(source: "bindbee-sync run", field: "--quiet", "cannot be combined with --verbose (choose one)")
        }
        let logLevel: RunLog.Level = parsed.has("--quiet") ? .warning : parsed.has("--verbose") ? .debug : .info
        guard let configPath = parsed.value("--config") else {
            throw InputError(source: "bindbee-sync run", field: "--config", "is required (try config/sandbox.json)")
        }
        guard let database = parsed.value("--db") else {
            throw InputError(source: "bindbee-sync run", field: "--db", "is required (the SQLite file to write)")
        }
        // bindbee-sync creates no directories: a missing one is a typo or a missing setup step.
        for (flag, file) in [("--db", database), ("--metrics-file", parsed.value("--metrics-file"))] {
            guard let file else { continue }
            let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw InputError(source: "bindbee-sync run", field: flag, "the directory \(directory) does not exist (bindbee-sync creates none; create it, mode 0700)")
            }
        }
        var config = try ConfigLoader.load(path: configPath)
        if let pageSize = try parsed.int("--page-size", range: 1...200, command: "run") { config.pageSize = pageSize }
        if let concurrency = try parsed.int("--concurrency", range: 1...64, command: "run") { config.concurrency = concurrency }
        var job = try parsed.positionals.first.map { path throws(InputError) in try JobDefinition.load(path: path) } ?? JobDefinition()
        if let mode = parsed.value("--mode") {
            guard let chosen = SyncMode(rawValue: mode) else {
                throw InputError(source: "bindbee-sync run", field: "--mode", "expected incremental or full, found \"\(mode)\"")
            }
            job.mode = chosen
        }
        if let since = parsed.value("--since") {
            guard ServerTimestamp(since) != nil else {
                throw InputError(source: "bindbee-sync run", field: "--since", "expected an ISO 8601 date-time such as 2026-11-01T00:00:00Z, found \"\(since)\"")
            }
            job.since = since
        }
        if !parsed.all("--connector").isEmpty { job.connectors = parsed.all("--connector") }
        if !parsed.all("--model").isEmpty { job.models = parsed.all("--model") }
        let formatText = parsed.value("--log-format") ?? "logfmt"
        guard let logFormat = RunLog.Format(rawValue: formatText) else {
            throw InputError(source: "bindbee-sync run", field: "--log-format", "expected logfmt or json, found \"\(formatText)\"")
        }
        if config.discovery == nil {
            _ = try Planner.plan(job: job, config: config)  // a selection that names nothing fails before anything starts
        }
        return Request(config: config, job: job, database: database, dryRun: parsed.has("--dry-run"), wait: parsed.has("--wait"),
                       logFormat: logFormat, logLevel: logLevel, metricsFile: parsed.value("--metrics-file"))
    }

    static func main(_ arguments: [String], output: CommandOutput) -> Int32 {
        let started = Date()
        FileModes.restrict()
        let request: Request
        do {
            guard let parsed = try parse(arguments) else {
                output.out(help)
                return ExitCode.ok
            }
            request = parsed
        } catch {
            output.err("error: \(error)\nRun 'bindbee-sync run --help' for usage.")
            return ExitCode.badInput
        }
        var lock: RunLock?
        if !request.dryRun {
            do {
                lock = try RunLock(database: request.database, wait: request.wait)
            } catch {
                output.err("error: \(error)")
                if case .held = error { return ExitCode.locked }
                return ExitCode.badInput
            }
        }
        defer { withExtendedLifetime(lock) {} }
        let redactor = Redactor(request.config.secrets)
        let log = RunLog(redactor: redactor, minimum: request.logLevel, format: request.logFormat, sink: output.errSink)
        let outcome = execute(request, redactor: redactor, log: log, output: output)
        // Bad input (exit 2) writes nothing, a dry run changes nothing; a failed run is reported.
        guard let path = request.metricsFile, !request.dryRun, outcome.exitCode == ExitCode.ok || outcome.exitCode == ExitCode.failed else {
            return outcome.exitCode
        }
        let metrics = RunMetrics(job: RunMetrics.jobLabel(source: request.job.source), started: started, finished: Date(),
                                 exitCode: outcome.exitCode, pulls: outcome.pulls, lastSuccess: outcome.lastSuccess)
        do {
            try MetricsFile.write(redactor.redact(metrics.rendered()), to: path)
        } catch {
            // Monitoring would go on showing the previous run: that must not pass silently.
            output.err("error: \(error)")
            return ExitCode.failed
        }
        return outcome.exitCode
    }

    /// Starts the API endpoint (the embedded sandbox, when configured) and runs.
    private static func execute(_ request: Request, redactor: Redactor, log: RunLog, output: CommandOutput) -> RunExecution.Outcome {
        let endpoint: APIEndpointSession
        do {
            endpoint = try APIEndpointSession.open(request.config, redactor: redactor, log: log)
        } catch {
            output.err("error: cannot start the embedded sandbox: \(error)")
            return RunExecution.Outcome(exitCode: ExitCode.failed)
        }
        defer { endpoint.close() }
        return RunExecution(request: request, client: endpoint.client, log: log, output: output).execute()
    }
}
