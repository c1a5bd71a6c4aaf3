/// Where one pull's walk over its pages stands, as committed in `_sync_state`.
public struct WalkPosition: Sendable, Equatable {
    public let connector: String
    /// `hris/employees`.
    public let model: String
    /// When this walk began (kept across a resume).
    public let startedAt: String
    /// The query parameters the walk must keep on every page (JSON text).
    public let parameters: String
    /// The cursor to fetch next; nil: the first page.
    public let cursor: String?
    /// Pages and records committed by this walk so far (across resumes).
    public let pages: Int
    public let records: Int

    /// True when this position continues a walk an earlier run left unfinished.
    public var isResumed: Bool { cursor != nil }
}

extension MirrorStore {
    /// Starts or resumes the walk of `model` for `connector`. An unfinished walk with the same
    /// parameters resumes from its committed cursor; anything else starts from the first page.
    public func beginWalk(connector: String, model: ModelSpec, parameters: String, now: String = Timestamp.now()) throws -> WalkPosition {
        try queue.sync {
            try database.transaction {
                let rows = try database.query("""
                    SELECT walk_status, walk_started_at, walk_params, walk_cursor, walk_pages, walk_records
                    FROM _sync_state WHERE connector = ? AND model = ?
                    """, [.text(connector), .text(model.qualifiedName)])
                if let row = rows.first, row[0].text == WalkStatus.inProgress, row[2].text == parameters, let cursor = row[3].text {
                    return WalkPosition(connector: connector, model: model.qualifiedName, startedAt: row[1].text ?? now,
                                        parameters: parameters, cursor: cursor, pages: Int(row[4].integer ?? 0),
                                        records: Int(row[5].integer ?? 0))
                }
                return try resetWalk(connector: connector, model: model.qualifiedName, parameters: parameters, now: now)
            }
        }
    }

    /// Starts `position`'s walk over from its first page (the server refused its cursor).
    public func restartWalk(_ position: WalkPosition, now: String = Timestamp.now()) throws -> WalkPosition {
        try queue.sync {
            try database.transaction {
                try resetWalk(connector: position.connector, model: position.model, parameters: position.parameters, now: now)
            }
        }
    }

    /// Records why a walk stopped; its cursor stays, so the next run resumes after the last committed page.
    public func recordWalkFailure(_ position: WalkPosition, error: String, now: String = Timestamp.now()) throws {
        try queue.sync {
            _ = try database.query("UPDATE _sync_state SET last_error = ?, updated_at = ? WHERE connector = ? AND model = ?",
                                   [.text(error), .text(now), .text(position.connector), .text(position.model)])
        }
    }

    /// The committed state of one pull (for reports and tests).
    public func walkState(connector: String, model: ModelSpec) throws -> (status: String, cursor: String?, pages: Int, records: Int, lastError: String?)? {
        guard let row = try query("""
            SELECT walk_status, walk_cursor, walk_pages, walk_records, last_error FROM _sync_state WHERE connector = ? AND model = ?
            """, [.text(connector), .text(model.qualifiedName)]).first else { return nil }
        return (row[0].text ?? "", row[1].text, Int(row[2].integer ?? 0), Int(row[3].integer ?? 0), row[4].text)
    }

    /// Moves the walk past a committed page. Called inside the page's transaction.
    func advance(_ walk: WalkPosition, to cursor: String?, records: Int, at now: String) throws {
        let finished = cursor == nil
        _ = try database.query("""
            UPDATE _sync_state
            SET walk_cursor = ?, walk_pages = walk_pages + 1, walk_records = walk_records + ?,
                walk_status = ?, last_completed_at = CASE WHEN ? THEN ? ELSE last_completed_at END,
                last_error = CASE WHEN ? THEN NULL ELSE last_error END, updated_at = ?
            WHERE connector = ? AND model = ?
            """, [cursor.map(SQLiteValue.text) ?? .null, .integer(Int64(records)),
                  .text(finished ? WalkStatus.complete : WalkStatus.inProgress), .integer(finished ? 1 : 0), .text(now),
                  .integer(finished ? 1 : 0), .text(now), .text(walk.connector), .text(walk.model)])
        guard database.changes == 1 else {
            throw SQLiteError(code: 0, message: "no _sync_state row for \(walk.connector) \(walk.model)", sql: nil)
        }
    }

    private func resetWalk(connector: String, model: String, parameters: String, now: String) throws -> WalkPosition {
        _ = try database.query("""
            INSERT INTO _sync_state (connector, model, walk_status, walk_started_at, walk_params, walk_cursor, walk_pages, walk_records, updated_at)
            VALUES (?, ?, ?, ?, ?, NULL, 0, 0, ?)
            ON CONFLICT (connector, model) DO UPDATE SET
              walk_status = excluded.walk_status, walk_started_at = excluded.walk_started_at, walk_params = excluded.walk_params,
              walk_cursor = NULL, walk_pages = 0, walk_records = 0, updated_at = excluded.updated_at
            """, [.text(connector), .text(model), .text(WalkStatus.inProgress), .text(now), .text(parameters), .text(now)])
        return WalkPosition(connector: connector, model: model, startedAt: now, parameters: parameters, cursor: nil, pages: 0, records: 0)
    }
}

/// Values of `_sync_state.walk_status`.
public enum WalkStatus {
    public static let inProgress = "in_progress"
    public static let complete = "complete"
}
