import BindbeeSandbox
import BindbeeSync
import Foundation

/// The API a run talks to: the configured base URL, or the embedded sandbox started for the
/// run (and stopped after it), with one client for every request of the run.
struct APIEndpointSession {
    let client: BindbeeClient
    private let sandbox: Sandbox?

    static func open(_ config: SyncConfig, redactor: Redactor, log: RunLog) throws -> APIEndpointSession {
        var sandbox: Sandbox?
        let baseURL: URL
        let apiKey: Secret
        switch config.endpoint {
        case .url(let url):
            baseURL = url
            apiKey = config.apiKey!
        case .sandbox(let seed):
            let started = try Sandbox(seed: seed)
            sandbox = started
            baseURL = started.baseURL
            apiKey = config.apiKey ?? Secret(started.apiKey)
            log.info("embedded sandbox started", [("url", baseURL.absoluteString), ("seed", String(seed))])
        }
        let client = BindbeeClient(baseURL: baseURL, apiKey: apiKey, transport: HTTPTransport(timeouts: config.timeouts),
                                   redactor: redactor, retryPolicy: config.retry,
                                   rateLimiter: RateLimiter(limit: config.rateLimit, window: config.rateLimitWindow),
                                   maxPages: config.maxPages)
        return APIEndpointSession(client: client, sandbox: sandbox)
    }

    func close() { sandbox?.stop() }
}

/// One run after its input is validated: connector health and discovery, the plan, then
/// either the dry-run listing or the pulls with their ledger and summary.
struct RunExecution {
    let request: RunCommand.Request
    let client: BindbeeClient
    let log: RunLog
    let output: CommandOutput

    /// The exit status, and what the metrics file reports: every pull's result and when each
    /// last completed (this run or before, from the ledger).
    struct Outcome {
        var exitCode: Int32
        var pulls: [PullResult] = []
        var lastSuccess: [PullKey: Date] = [:]
    }

    func execute() -> Outcome {
        let check = ConnectorCheck.run(config: request.config, directory: ConnectorDirectory(client: client))
        report(check)
        var config = request.config
        config.connectors = check.connectors
        let plans: [PullPlan]
        do {
            plans = try Planner.plan(job: request.job, config: config)
        } catch {
            output.err("error: \(error)")
            return Outcome(exitCode: ExitCode.badInput)
        }
        let skipping = request.job.unhealthy == .skip ? Set(check.health.values.filter { $0.problem != nil }.map(\.name)) : []
        let skipped = plans.filter { skipping.contains($0.connector.name) }
        let runnable = plans.filter { !skipping.contains($0.connector.name) }
        if request.dryRun { return Outcome(exitCode: dryRun(plans: runnable, skipped: skipped, check: check)) }

        let store: MirrorStore
        do {
            store = try MirrorStore(path: request.database, privacy: config.privacy)
            for statement in store.addedColumns { log.info("schema: column added for a field the catalog gained", [("sql", statement)]) }
            for (field, rows) in store.scrubbed.sorted(by: { $0.key < $1.key }) {
                log.info("privacy: rows already mirrored brought in line with the PII rules", [("field", field), ("rows", String(rows))])
            }
            for health in check.health.values { try store.recordConnectorHealth(health) }
        } catch let error as MirrorStoreError {
            output.err("error: \(error)")  // names the database itself
            return Outcome(exitCode: ExitCode.badInput)
        } catch {
            output.err("error: \(request.database): \(error)")
            return Outcome(exitCode: ExitCode.badInput)
        }
        let runID: Int64?
        do {
            runID = try store.startRun(job: request.job.source, mode: request.job.since == nil ? request.job.mode.rawValue : "backfill")
        } catch {
            output.err("error: \(request.database): cannot record the run: \(error)")
            return Outcome(exitCode: ExitCode.failed)
        }
        log.info("run started", [("run_id", runID.map(String.init) ?? "-"), ("job", request.job.source),
                                 ("mode", request.job.mode.rawValue), ("since", request.job.since ?? "-"),
                                 ("pulls", String(runnable.count)), ("concurrency", String(config.concurrency)), ("db", request.database)])
        let progress = PullProgress.stderrIsTerminal && request.logFormat == .logfmt && request.logLevel <= .info
            ? PullProgress(write: output.errSink) : nil
        let runner = SyncRunner(client: client, store: store, log: log, concurrency: config.concurrency,
                                perConnector: config.perConnectorConcurrency, pageSize: config.pageSize, progress: progress)
        var report = runner.run(runnable, runID: runID)
        progress?.stop()
        report = report.adding(skipped.map { plan in
            .skipped(plan, reason: "\(check.health[plan.connector.name]?.problem ?? "unhealthy") (job option unhealthy: skip)",
                     status: .unhealthy)
        })
        let failures = check.failures.map { "connectors endpoint for \($0.category.rawValue): \($0.error)" }
        if let runID {
            for result in report.results where result.status == .skipped && result.spec == nil {
                try? store.recordPull(runID: runID, result)
            }
            try? store.finishRun(runID: runID, report: report, error: failures.isEmpty ? nil : failures.joined(separator: "; "),
                                 failed: check.failures.contains { Set(request.config.discovery?.categories ?? []).contains($0.category) })
        }
        output.out(client.redactor.redact(report.summary()))
        var outcome = Outcome(exitCode: report.exitCode, pulls: report.results)
        for result in report.results {
            if let text = (try? store.pullState(connector: result.connector, model: result.model))??.lastCompletedAt,
               let completed = ServerTimestamp(text) {
                outcome.lastSuccess[PullKey(connector: result.connector, model: result.model.qualifiedName)] =
                    Date(timeIntervalSince1970: Double(completed.microseconds) / 1e6)
            }
        }
        // Everything into the main file and the WAL emptied: a copy of the file alone is the whole mirror.
        do { try store.checkpoint() } catch { log.warning("cannot checkpoint the WAL at the end of the run", [("error", "\(error)")]) }
        // Without the listing, discovery may have missed connectors: the run did not do its job.
        let discovering = Set(request.config.discovery?.categories ?? [])
        if check.failures.contains(where: { discovering.contains($0.category) }) {
            output.out("run FAILED: connector discovery failed for \(check.failures.map(\.category.rawValue).joined(separator: ", "))")
            outcome.exitCode = ExitCode.failed
        }
        return outcome
    }

    private func report(_ check: ConnectorCheck) {
        for failure in check.failures {
            log.error("cannot list connectors; health unknown and discovery skipped for this category",
                      [("category", failure.category.rawValue), ("error", failure.error)])
        }
        for health in check.health.values.sorted(by: { $0.name < $1.name }) {
            var fields = [("connector", health.name), ("status", health.status), ("sync_status", health.syncStatus ?? "-"),
                          ("last_sync_start_time", health.lastSyncStartTime ?? "-")]
            if health.discovered { fields.append(("discovered", "true")) }
            if let problem = health.problem {
                log.warning("connector unhealthy: \(problem); its data may be stale", fields + [("unhealthy", request.job.unhealthy.rawValue)])
            } else if health.discovered {
                log.info("connector discovered", fields)
            }
        }
        for (name, reason) in check.ignored {
            log.info("connector found but not mirrored", [("connector", name), ("reason", reason)])
        }
    }

    /// Prints each pull with the walk it would make, from the database's committed state, and writes nothing.
    private func dryRun(plans: [PullPlan], skipped: [PullPlan], check: ConnectorCheck) -> Int32 {
        let states: [String: PullState]
        do {
            states = try MirrorStore.readPullStates(path: request.database)
        } catch {
            output.err("error: \(request.database): \(error)")
            return ExitCode.badInput
        }
        var lines = ["dry run: \(plans.count) pulls, nothing is fetched or written"]
        for (name, health) in check.health.sorted(by: { $0.key < $1.key }) where health.discovered {
            lines.append("discovered \(name) (\(health.category.rawValue), origin_id \(health.originID ?? "-"), \(health.endUser ?? "-"))")
        }
        for (name, reason) in check.ignored { lines.append("not mirrored: \(name): \(reason)") }
        for plan in plans {
            let state = states["\(plan.connector.name) \(plan.model.qualifiedName)"]
            let spec = plan.walkSpec(state: state, pageSize: request.config.pageSize)
            var line = "\(plan.connector.name) \(plan.model.qualifiedName): \(spec.mode)"
            line += ", modified_after=\(spec.modifiedAfter ?? "none")"
            if spec.marksDeletions { line += ", marks deletions" }
            if let state, state.walkStatus == WalkStatus.inProgress, state.cursor != nil, state.pages > 0 {
                line += ", resumes at page \(state.pages + 1)"
            }
            if let problem = check.health[plan.connector.name]?.problem { line += " (unhealthy: \(problem))" }
            lines.append(line)
        }
        for plan in skipped { lines.append("\(plan.connector.name) \(plan.model.qualifiedName): skipped (unhealthy)") }
        output.out(lines.joined(separator: "\n"))
        return ExitCode.ok
    }
}
