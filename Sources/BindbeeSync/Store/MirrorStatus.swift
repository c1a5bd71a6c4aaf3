import Foundation

/// What `bindbee-sync status` shows: per connector and model, the last run that touched it,
/// its watermark, live and deleted rows, how old Bindbee's data is, and the last error; and
/// the latest runs. Read without changing anything.
public struct MirrorStatus: Sendable {
    public struct Pull: Sendable {
        public let connector: String
        public let model: String
        public let lastRunID: Int64?
        public let lastRunFinished: String?
        /// What the last run's pull fetched and marked deleted.
        public let lastRunRecords: Int?
        public let lastRunDeleted: Int?
        public let walkStatus: String
        public let watermark: String?
        public let lastCompletedAt: String?
        public let live: Int
        public let deleted: Int
        /// When Bindbee last synced the connector from its source (nil when unknown).
        public let bindbeeSyncedAt: String?
        public let lastError: String?
    }

    public struct Run: Sendable {
        public let id: Int64
        public let job: String
        public let mode: String
        public let startedAt: String
        public let finishedAt: String?
        public let status: String
        public let records: Int
        public let deleted: Int
        public let failedPulls: Int
    }

    public let pulls: [Pull]
    public let runs: [Run]

    /// Reads the status of the database at `path` (read-only).
    public static func read(path: String, catalog: ModelCatalog = .shared) throws -> MirrorStatus {
        let db = try SQLiteDatabase(path: path, readOnly: true)
        let runs = try db.query("""
            SELECT run_id, job, mode, started_at, finished_at, status, records, deleted, pulls_failed FROM _sync_runs ORDER BY run_id DESC LIMIT 10
            """).map { row in
            Run(id: row[0].integer ?? 0, job: row[1].text ?? "", mode: row[2].text ?? "", startedAt: row[3].text ?? "", finishedAt: row[4].text,
                status: row[5].text ?? "", records: Int(row[6].integer ?? 0), deleted: Int(row[7].integer ?? 0), failedPulls: Int(row[8].integer ?? 0))
        }
        var pulls: [Pull] = []
        for row in try db.query("""
            SELECT s.connector, s.model, s.last_run_id, r.finished_at, s.walk_status, s.watermark, s.last_completed_at, c.last_sync_start_time,
                   s.last_error, p.records, p.deleted
            FROM _sync_state s LEFT JOIN _sync_runs r ON r.run_id = s.last_run_id LEFT JOIN _connectors c ON c.name = s.connector
            LEFT JOIN _sync_run_pulls p ON p.run_id = s.last_run_id AND p.connector = s.connector AND p.model = s.model
            ORDER BY s.connector, s.model
            """) {
            let connector = row[0].text ?? "", model = row[1].text ?? ""
            var live = 0, deleted = 0
            let parts = model.split(separator: "/").map(String.init)
            if parts.count == 2, let category = Category(rawValue: parts[0]), let spec = catalog.model(category, parts[1]) {
                let counts = try db.query("""
                    SELECT COUNT(*) FILTER (WHERE _deleted_at IS NULL), COUNT(*) FILTER (WHERE _deleted_at IS NOT NULL)
                    FROM \(MirrorSchema.quote(spec.tableName)) WHERE _connector = ?
                    """, [.text(connector)])
                live = Int(counts.first?[0].integer ?? 0)
                deleted = Int(counts.first?[1].integer ?? 0)
            }
            pulls.append(Pull(connector: connector, model: model, lastRunID: row[2].integer, lastRunFinished: row[3].text,
                              lastRunRecords: row[9].integer.map(Int.init), lastRunDeleted: row[10].integer.map(Int.init), walkStatus: row[4].text ?? "", watermark: row[5].text, lastCompletedAt: row[6].text, live: live,
                              deleted: deleted, bindbeeSyncedAt: row[7].text, lastError: row[8].text))
        }
        return MirrorStatus(pulls: pulls, runs: runs)
    }

    /// Human-readable tables. `now` computes the age of Bindbee's data.
    public func rendered(now: Date = Date()) -> String {
        var out = "runs (latest first):\n"
        out += Table.render(["run", "job", "mode", "started", "finished", "status", "records", "deleted", "failed"],
                            runs.map { [String($0.id), $0.job, $0.mode, $0.startedAt, $0.finishedAt ?? "-", $0.status,
                                        String($0.records), String($0.deleted), String($0.failedPulls)] })
        out += "\npulls:\n"
        out += Table.render(["connector", "model", "last run", "fetched", "marked deleted", "walk", "watermark", "live", "deleted", "data age", "last error"],
                            pulls.map { pull in
            [pull.connector, pull.model, pull.lastRunID.map { "#\($0) \(pull.lastRunFinished ?? "running")" } ?? "-",
             pull.lastRunRecords.map(String.init) ?? "-", pull.lastRunDeleted.map(String.init) ?? "-", pull.walkStatus,
             pull.watermark ?? "-", String(pull.live), String(pull.deleted), Self.age(of: pull.bindbeeSyncedAt, now: now),
             pull.lastError.map { $0.count > 80 ? String($0.prefix(80)) + "…" : $0 } ?? "-"]
        })
        return out
    }

    /// `3h 20m` since an ISO 8601 time, or `-`.
    static func age(of time: String?, now: Date) -> String {
        guard let time, let stamp = ServerTimestamp(time) else { return "-" }
        let seconds = max(0, Int(now.timeIntervalSince1970 - Double(stamp.microseconds) / 1e6))
        if seconds >= 86_400 { return "\(seconds / 86_400)d \((seconds % 86_400) / 3600)h" }
        if seconds >= 3600 { return "\(seconds / 3600)h \((seconds % 3600) / 60)m" }
        return "\(seconds / 60)m"
    }
}
