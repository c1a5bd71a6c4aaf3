import Foundation

/// The run ledger: `_sync_runs` (one row per run) and `_sync_run_pulls` (one per pull of a
/// run), so an operator can see what every night did, and `status` can say what is stale.
extension MirrorStore {
    /// Opens a run: marks runs left `running` by a dead process as `interrupted` (this process
    /// holds the database lock, so no other run is alive) and returns the new run's id.
    public func startRun(job: String, mode: String, now: String = Timestamp.now()) throws -> Int64 {
        try onWriter {
            try database.transaction {
                _ = try database.query("UPDATE _sync_runs SET status = 'interrupted' WHERE status = 'running'")
                _ = try database.query("INSERT INTO _sync_runs (job, mode, started_at, status, pid) VALUES (?, ?, ?, 'running', ?)",
                                       [.text(job), .text(mode), .text(now), .integer(Int64(getpid()))])
                return try database.scalar("SELECT last_insert_rowid()")?.integer ?? 0
            }
        }
    }

    /// Records one pull of run `runID` and points its `_sync_state` row at the run.
    public func recordPull(runID: Int64, _ result: PullResult, now: String = Timestamp.now()) throws {
        try onWriter {
            try database.transaction {
                _ = try database.query("""
                    INSERT OR REPLACE INTO _sync_run_pulls (run_id, connector, model, mode, modified_after, status, started_at, finished_at,
                      resumed_at_page, pages, records, deleted, retries, throttled, error)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.integer(runID), .text(result.connector), .text(result.model.qualifiedName), .text(result.spec?.mode ?? "-"),
                          result.spec?.modifiedAfter.map(SQLiteValue.text) ?? .null, .text(result.status.rawValue), .text(result.startedAt),
                          .text(now), result.resumedAtPage.map { .integer(Int64($0)) } ?? .null, .integer(Int64(result.pages)),
                          .integer(Int64(result.records)), .integer(Int64(result.deleted)), .integer(Int64(result.requests.retries)),
                          .integer(Int64(result.requests.throttled)), result.error.map(SQLiteValue.text) ?? .null])
                _ = try database.query("UPDATE _sync_state SET last_run_id = ? WHERE connector = ? AND model = ?",
                                       [.integer(runID), .text(result.connector), .text(result.model.qualifiedName)])
            }
        }
    }

    /// Closes run `runID` with its totals; `failed` marks it failed even when every pull succeeded.
    public func finishRun(runID: Int64, report: RunReport, error: String? = nil, failed: Bool = false, now: String = Timestamp.now()) throws {
        try onWriter {
            _ = try database.query("""
                UPDATE _sync_runs SET finished_at = ?, status = ?, pulls = ?, pulls_failed = ?, pages = ?, records = ?, deleted = ?,
                  retries = ?, throttled = ?, error = ? WHERE run_id = ?
                """, [.text(now), .text(report.exitCode == 0 && !failed ? "succeeded" : "failed"), .integer(Int64(report.results.count)),
                      .integer(Int64(report.unsuccessful.count)), .integer(Int64(report.pages)), .integer(Int64(report.records)),
                      .integer(Int64(report.deleted)), .integer(Int64(report.retries)), .integer(Int64(report.throttled)),
                      error.map(SQLiteValue.text) ?? .null, .integer(runID)])
        }
    }

    /// Saves what the connectors endpoint said about a connector (never its token).
    public func recordConnectorHealth(_ health: ConnectorHealth, now: String = Timestamp.now()) throws {
        try onWriter {
            _ = try database.query("""
                INSERT OR REPLACE INTO _connectors (name, category, bindbee_id, origin_id, end_user, integration_slug, is_active,
                  is_test_connector, status, sync_status, last_sync_start_time, next_sync_start_time, relink_needed_at, discovered, checked_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [.text(health.name), .text(health.category.rawValue), .text(health.bindbeeID), health.originID.map(SQLiteValue.text) ?? .null,
                      health.endUser.map(SQLiteValue.text) ?? .null, health.integrationSlug.map(SQLiteValue.text) ?? .null,
                      .integer(health.isActive ? 1 : 0), .integer(health.isTestConnector ? 1 : 0), .text(health.status),
                      health.syncStatus.map(SQLiteValue.text) ?? .null, health.lastSyncStartTime.map(SQLiteValue.text) ?? .null,
                      health.nextSyncStartTime.map(SQLiteValue.text) ?? .null, health.relinkNeededAt.map(SQLiteValue.text) ?? .null,
                      .integer(health.discovered ? 1 : 0), .text(now)])
        }
    }
}
