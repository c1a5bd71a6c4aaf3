import Foundation

/// What a walk asks for: decided from the job's mode and the pull's committed state.
public struct WalkSpec: Sendable, Equatable {
    /// `incremental`, `full` or `backfill`.
    public let mode: String
    /// Sent as `modified_after` (nil: list everything).
    public let modifiedAfter: String?
    /// True when the walk lists everything, so its end can mark unseen rows deleted.
    public let marksDeletions: Bool
    /// Every query parameter, as JSON: a resumed walk must send exactly these again.
    public let parameters: String
}

/// Where one pull's walk over its pages stands, as committed in `_sync_state`.
public struct WalkPosition: Sendable, Equatable {
    public let connector: String
    /// `hris/employees`.
    public let model: String
    public let spec: WalkSpec
    /// When this walk began (kept across a resume).
    public let startedAt: String
    /// The cursor to fetch next; nil: the first page.
    public let cursor: String?
    /// Pages and records committed by this walk so far (across resumes).
    public let pages: Int
    public let records: Int

    /// True when this position continues a walk an earlier run left unfinished.
    public var isResumed: Bool { cursor != nil }
}

/// The committed state of one pull, as `status` and the planner read it.
public struct PullState: Sendable, Equatable {
    public let walkStatus: String
    public let cursor: String?
    public let pages: Int
    public let records: Int
    public let watermark: String?
    public let lastCompletedAt: String?
    public let lastDeleted: Int
    public let lastError: String?
}

extension MirrorStore {
    /// Every pull's committed state in the database at `path`, read without creating,
    /// migrating or writing anything (for `--dry-run`). Empty when there is no such database yet.
    public static func readPullStates(path: String) throws -> [String: PullState] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let database = try SQLiteDatabase(path: path, readOnly: true)
        guard try database.scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = '_sync_state'")?.integer == 1 else { return [:] }
        var states: [String: PullState] = [:]
        for row in try database.query("""
            SELECT connector, model, walk_status, walk_cursor, walk_pages, walk_records, watermark, last_completed_at, last_deleted, last_error
            FROM _sync_state
            """) {
            states["\(row[0].text ?? "") \(row[1].text ?? "")"] = PullState(
                walkStatus: row[2].text ?? "", cursor: row[3].text, pages: Int(row[4].integer ?? 0), records: Int(row[5].integer ?? 0),
                watermark: row[6].text, lastCompletedAt: row[7].text, lastDeleted: Int(row[8].integer ?? 0), lastError: row[9].text)
        }
        return states
    }

    /// The committed state of one pull, nil before its first walk.
    public func pullState(connector: String, model: ModelSpec) throws -> PullState? {
        guard let row = try query("""
            SELECT walk_status, walk_cursor, walk_pages, walk_records, watermark, last_completed_at, last_deleted, last_error
            FROM _sync_state WHERE connector = ? AND model = ?
            """, [.text(connector), .text(model.qualifiedName)]).first else { return nil }
        return PullState(walkStatus: row[0].text ?? "", cursor: row[1].text, pages: Int(row[2].integer ?? 0),
                         records: Int(row[3].integer ?? 0), watermark: row[4].text, lastCompletedAt: row[5].text,
                         lastDeleted: Int(row[6].integer ?? 0), lastError: row[7].text)
    }

    /// Starts or resumes the walk of `model` for `connector`. An unfinished walk with the same
    /// parameters resumes from its committed cursor; anything else starts from the first page.
    public func beginWalk(connector: String, model: ModelSpec, spec: WalkSpec, now: String = Timestamp.now()) throws -> WalkPosition {
        try onWriter {
            forgetFailedWalk(connector: connector, model: model.qualifiedName)
            return try database.transaction {
                let rows = try database.query("""
                    SELECT walk_status, walk_started_at, walk_params, walk_cursor, walk_pages, walk_records, updated_at
                    FROM _sync_state WHERE connector = ? AND model = ?
                    """, [.text(connector), .text(model.qualifiedName)])
                if let row = rows.first, row[0].text == WalkStatus.inProgress, row[2].text == spec.parameters, let cursor = row[3].text {
                    return WalkPosition(connector: connector, model: model.qualifiedName, spec: spec, startedAt: row[1].text ?? now,
                                        cursor: cursor, pages: Int(row[4].integer ?? 0), records: Int(row[5].integer ?? 0))
                }
                // Never start before this pull's last write, even if the clock went back: rows
                // of earlier walks must stay older than this walk's start.
                let start = max(now, rows.first?[6].text ?? "")
                return try resetWalk(connector: connector, model: model.qualifiedName, spec: spec, now: start)
            }
        }
    }

    /// Starts `position`'s walk over from its first page (the server refused its cursor).
    public func restartWalk(_ position: WalkPosition, now: String = Timestamp.now()) throws -> WalkPosition {
        try onWriter {
            forgetFailedWalk(connector: position.connector, model: position.model)
            return try database.transaction {
                try resetWalk(connector: position.connector, model: position.model, spec: position.spec, now: max(now, position.startedAt))
            }
        }
    }

    /// Records why a walk stopped; its cursor stays, so the next run resumes after the last committed page.
    public func recordWalkFailure(_ position: WalkPosition, error: String, now: String = Timestamp.now()) throws {
        try onWriter {
            _ = try database.query("UPDATE _sync_state SET last_error = ?, updated_at = ? WHERE connector = ? AND model = ?",
                                   [.text(error), .text(max(now, position.startedAt)), .text(position.connector), .text(position.model)])
        }
    }

    /// Moves the walk past a committed page; on the last page, completes it: the watermark
    /// moves forward (not for backfills) and, for a walk that listed everything, live rows it
    /// did not see get `_deleted_at`. Called inside the page's transaction. Returns rows marked deleted.
    func advance(_ walk: WalkPosition, model: ModelSpec, to cursor: String?, records: Int, pageMaxModifiedAt: ServerTimestamp?,
                 at now: String) throws -> Int {
        guard let row = try database.query("SELECT walk_max_modified_at, watermark FROM _sync_state WHERE connector = ? AND model = ?",
                                           [.text(walk.connector), .text(walk.model)]).first else {
            throw SQLiteError(code: 0, message: "no _sync_state row for \(walk.connector) \(walk.model)", sql: nil)
        }
        let walkMax = Self.later(row[0].text.flatMap(ServerTimestamp.init), pageMaxModifiedAt)
        guard cursor == nil else {
            _ = try database.query("""
                UPDATE _sync_state SET walk_cursor = ?, walk_pages = walk_pages + 1, walk_records = walk_records + ?,
                  walk_max_modified_at = ?, updated_at = ? WHERE connector = ? AND model = ?
                """, [cursor.map(SQLiteValue.text) ?? .null, .integer(Int64(records)), walkMax.map { .text($0.text) } ?? .null,
                      .text(now), .text(walk.connector), .text(walk.model)])
            return 0
        }
        var watermark = row[1].text.flatMap(ServerTimestamp.init)
        if walk.spec.mode != "backfill" { watermark = Self.later(watermark, walkMax) }
        var deleted = 0
        if walk.spec.marksDeletions {
            _ = try database.query(MirrorSchema.markDeleted(for: model), [.text(now), .text(walk.connector), .text(walk.startedAt)])
            deleted = database.changes
        }
        _ = try database.query("""
            UPDATE _sync_state SET walk_status = ?, walk_cursor = NULL, walk_pages = walk_pages + 1, walk_records = walk_records + ?,
              walk_max_modified_at = ?, watermark = ?, last_completed_at = ?, last_deleted = ?, last_error = NULL, updated_at = ?
            WHERE connector = ? AND model = ?
            """, [.text(WalkStatus.complete), .integer(Int64(records)), walkMax.map { .text($0.text) } ?? .null,
                  watermark.map { .text($0.text) } ?? row[1], .text(now), .integer(Int64(deleted)), .text(now),
                  .text(walk.connector), .text(walk.model)])
        return deleted
    }

    private static func later(_ a: ServerTimestamp?, _ b: ServerTimestamp?) -> ServerTimestamp? {
        guard let a else { return b }
        guard let b else { return a }
        return b > a ? b : a
    }

    private func resetWalk(connector: String, model: String, spec: WalkSpec, now: String) throws -> WalkPosition {
        _ = try database.query("""
            INSERT INTO _sync_state (connector, model, walk_status, walk_mode, walk_modified_after, walk_marks_deletions,
                                     walk_started_at, walk_params, walk_cursor, walk_pages, walk_records, walk_max_modified_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, 0, NULL, ?)
            ON CONFLICT (connector, model) DO UPDATE SET
              walk_status = excluded.walk_status, walk_mode = excluded.walk_mode, walk_modified_after = excluded.walk_modified_after,
              walk_marks_deletions = excluded.walk_marks_deletions, walk_started_at = excluded.walk_started_at,
              walk_params = excluded.walk_params, walk_cursor = NULL, walk_pages = 0, walk_records = 0,
              walk_max_modified_at = NULL, updated_at = excluded.updated_at
            """, [.text(connector), .text(model), .text(WalkStatus.inProgress), .text(spec.mode),
                  spec.modifiedAfter.map(SQLiteValue.text) ?? .null, .integer(spec.marksDeletions ? 1 : 0), .text(now),
                  .text(spec.parameters), .text(now)])
        return WalkPosition(connector: connector, model: model, spec: spec, startedAt: now, cursor: nil, pages: 0, records: 0)
    }
}

/// Values of `_sync_state.walk_status`.
public enum WalkStatus {
    public static let inProgress = "in_progress"
    public static let complete = "complete"
}
