import BindbeeSandbox
import BindbeeSync
import Foundation

/// `bindbee-sync run`: loads the config and job, plans the pulls, starts the embedded sandbox
/// when the config asks for it, runs the pulls and prints the summary.
enum RunCommand {
    static let spec = ArgumentSpec(
        command: "run",
        valueOptions: ["--config", "--db", "--mode", "--page-size", "--concurrency", "--since", "--log-format"],
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
                       logFormat: logFormat, logLevel: logLevel)
    }

    static func main(_ arguments: [String], output: CommandOutput) -> Int32 {
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
        let endpoint: APIEndpointSession
        do {
            endpoint = try APIEndpointSession.open(request.config, redactor: redactor, log: log)
        } catch {
            output.err("error: cannot start the embedded sandbox: \(error)")
            return ExitCode.failed
        }
        defer { endpoint.close() }
        return RunExecution(request: request, client: endpoint.client, log: log, output: output).execute()
    }
}
