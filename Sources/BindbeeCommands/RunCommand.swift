import BindbeeSandbox
import BindbeeSync
import Foundation

/// `bindbee-sync run`: loads the config and job, plans the pulls, starts the embedded sandbox
/// when the config asks for it, runs the pulls and prints the summary.
enum RunCommand {
    static let spec = ArgumentSpec(
        command: "run",
        valueOptions: ["--config", "--db", "--mode", "--page-size", "--concurrency"],
        repeatableOptions: ["--connector", "--model"],
        flags: ["--help", "--wait"],
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
          --page-size N        records per request, 1-200 (overrides the config)
          --concurrency N      pulls at once, 1-64 (overrides the config)
          --wait               if another run holds the database, wait for it instead of exiting 3
          --help               this text

        Exit status: 0 every pull finished; 1 some pull failed; 2 bad input (config, job, flags);
        3 another run holds the database.
        """

    static func main(_ arguments: [String], output: CommandOutput) -> Int32 {
        let parsed: ParsedArguments
        let config: SyncConfig
        let job: JobDefinition
        let plans: [PullPlan]
        do {
            parsed = try ParsedArguments.parse(arguments, spec: spec)
            if parsed.has("--help") {
                output.out(help)
                return ExitCode.ok
            }
            guard let configPath = parsed.value("--config") else {
                throw InputError(source: "bindbee-sync run", field: "--config", "is required (try config/sandbox.json)")
            }
            guard parsed.value("--db") != nil else {
                throw InputError(source: "bindbee-sync run", field: "--db", "is required (the SQLite file to write)")
            }
            var loaded = try ConfigLoader.load(path: configPath)
            if let pageSize = try parsed.int("--page-size", range: 1...200, command: "run") { loaded.pageSize = pageSize }
            if let concurrency = try parsed.int("--concurrency", range: 1...64, command: "run") { loaded.concurrency = concurrency }
            config = loaded
            var definition = try parsed.positionals.first.map { path throws(InputError) in try JobDefinition.load(path: path) } ?? JobDefinition()
            if let mode = parsed.value("--mode") {
                guard let chosen = SyncMode(rawValue: mode) else {
                    throw InputError(source: "bindbee-sync run", field: "--mode", "expected incremental or full, found \"\(mode)\"")
                }
                definition.mode = chosen
            }
            if !parsed.all("--connector").isEmpty { definition.connectors = parsed.all("--connector") }
            if !parsed.all("--model").isEmpty { definition.models = parsed.all("--model") }
            job = definition
            plans = try Planner.plan(job: job, config: config)
        } catch {
            output.err("error: \(error)\nRun 'bindbee-sync run --help' for usage.")
            return ExitCode.badInput
        }

        let dbPath = parsed.value("--db")!
        let lock: RunLock
        do {
            lock = try RunLock(database: dbPath, wait: parsed.has("--wait"))
        } catch {
            output.err("error: \(error)")
            if case .held = error { return ExitCode.locked }
            return ExitCode.badInput
        }
        defer { withExtendedLifetime(lock) {} }
        let redactor = Redactor(config.secrets)
        let log = RunLog(redactor: redactor, sink: output.errSink)
        var sandbox: Sandbox?
        defer { sandbox?.stop() }
        let baseURL: URL
        let apiKey: Secret
        switch config.endpoint {
        case .url(let url):
            baseURL = url
            apiKey = config.apiKey!
        case .sandbox(let seed):
            do {
                let started = try Sandbox(seed: seed)
                sandbox = started
                baseURL = started.baseURL
                apiKey = config.apiKey ?? Secret(started.apiKey)
                log.info("embedded sandbox started", [("url", baseURL.absoluteString), ("seed", String(seed))])
            } catch {
                output.err("error: cannot start the embedded sandbox: \(error)")
                return ExitCode.failed
            }
        }
        redactor.register(apiKey)

        let store: MirrorStore
        do {
            store = try MirrorStore(path: dbPath)
        } catch {
            output.err("error: \(dbPath): \(error)")
            return ExitCode.badInput
        }
        let client = BindbeeClient(baseURL: baseURL, apiKey: apiKey, transport: HTTPTransport(timeouts: config.timeouts),
                                   redactor: redactor, retryPolicy: config.retry,
                                   rateLimiter: RateLimiter(limit: config.rateLimit, window: config.rateLimitWindow),
                                   maxPages: config.maxPages)
        log.info("run started", [("job", job.source), ("mode", job.mode.rawValue), ("pulls", String(plans.count)),
                                 ("concurrency", String(config.concurrency)), ("db", dbPath)])
        let runner = SyncRunner(client: client, store: store, log: log, concurrency: config.concurrency, pageSize: config.pageSize)
        let report = runner.run(plans)
        output.out(redactor.redact(report.summary()))
        return report.exitCode
    }
}
