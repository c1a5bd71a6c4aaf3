/// The mirror's SQLite layout, derived from the catalog. It is a public contract: users query
/// these tables, so any change needs a migration.
///
/// Per list model, a table `<category>_<model>` (`-` → `_`) with `_connector`, one column per
/// top-level field named exactly as the field, `_record` (the item as received), `_synced_at`
/// and `_deleted_at`; primary key `(_connector, id)`. Bookkeeping names start with `_`.
public enum MirrorSchema {
    /// Bookkeeping columns of every mirror table, besides the fields.
    public static let connectorColumn = "_connector"
    public static let recordColumn = "_record"
    public static let syncedAtColumn = "_synced_at"
    public static let deletedAtColumn = "_deleted_at"

    /// The schema version this build writes. Older databases are migrated forward.
    public static var version: Int { migrations(.shared).last!.version }

    /// One step of the schema's history, applied once, in order, inside the opening transaction.
    public struct Migration: Sendable {
        public let version: Int
        public let description: String
        public let statements: [String]
    }

    /// Every migration, oldest first. Never edit a released one: add the next.
    public static func migrations(_ catalog: ModelCatalog) -> [Migration] {
        [
            Migration(version: 1, description: "mirror tables for the \(catalog.models.count) list models",
                      statements: catalog.models.map(createTable(for:))),
            Migration(version: 2, description: "ledger: _sync_state, _sync_runs, _sync_run_pulls, _connectors",
                      statements: [syncStateDDL, syncRunsDDL, syncRunPullsDDL, connectorsDDL]),
            Migration(version: 3, description: "PII rules applied per model: _privacy",
                      statements: [privacyDDL]),
            Migration(version: 4, description: "an index of live rows by (_connector, _synced_at) per mirror table, for deletion marking",
                      statements: catalog.models.map(liveRowsIndex(for:))),
        ]
    }

    /// Marks deleted the live rows of connector `?2` synced before `?3` (a complete walk's
    /// start), with `_deleted_at = ?1`.
    public static func markDeleted(for model: ModelSpec) -> String {
        """
        UPDATE \(quote(model.tableName)) SET "_deleted_at" = ?
        WHERE "_connector" = ? AND "_deleted_at" IS NULL AND "_synced_at" < ?
        """
    }

    /// The live rows of a table by `(_connector, _synced_at)`. A complete walk marks deleted the
    /// live rows of its connector synced before the walk started; without this index that is a
    /// visit of every row of the connector (0.9 s for 62,500 employees), with it a visit of the
    /// stale ones only. Partial (`_deleted_at IS NULL`), so rows marked deleted leave it.
    public static func liveRowsIndex(for model: ModelSpec) -> String {
        "CREATE INDEX IF NOT EXISTS \(quote(model.tableName + "__live_synced")) ON \(quote(model.tableName)) "
            + "(\(quote(connectorColumn)), \(quote(syncedAtColumn))) WHERE \(quote(deletedAtColumn)) IS NULL"
    }

    /// `ALTER TABLE … ADD COLUMN` for each catalog field that `model`'s table lacks (`existing`
    /// are its columns): a mirror created before the API gained a field gets its column, NULL
    /// in the rows already there until they are synced again. Columns are never dropped or
    /// retyped: a field the API no longer lists keeps its column and its values.
    public static func missingColumns(of model: ModelSpec, existing: Set<String>) -> [String] {
        model.fields.filter { !existing.contains($0.name) }.map {
            "ALTER TABLE \(quote(model.tableName)) ADD COLUMN \(quote($0.name)) \($0.columnType.sqlType)"
        }
    }

    /// Per model, the PII rules the mirror's rows follow (see `ModelOptions`): which fields are
    /// excluded and hashed, and a fingerprint of the hash key (never the key). When the rules
    /// gain a field, the rows already mirrored are scrubbed to match in the same transaction.
    static let privacyDDL = """
        CREATE TABLE "_privacy" (
          "model" TEXT PRIMARY KEY,
          "excluded_fields" TEXT NOT NULL,
          "hashed_fields" TEXT NOT NULL,
          "hash_key_fingerprint" TEXT,
          "updated_at" TEXT NOT NULL
        )
        """

    /// `"name"` with embedded quotes doubled: safe for any field name (`order`, `type`, `user`).
    public static func quote(_ identifier: String) -> String {
        "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `CREATE TABLE` for one model's mirror table.
    public static func createTable(for model: ModelSpec) -> String {
        var columns = ["\(quote(connectorColumn)) TEXT NOT NULL"]
        for field in model.fields {
            let notNull = field.name == "id" ? " NOT NULL" : ""
            columns.append("\(quote(field.name)) \(field.columnType.sqlType)\(notNull)")
        }
        columns.append("\(quote(recordColumn)) TEXT NOT NULL")
        columns.append("\(quote(syncedAtColumn)) TEXT NOT NULL")
        columns.append("\(quote(deletedAtColumn)) TEXT")
        columns.append("PRIMARY KEY (\(quote(connectorColumn)), \(quote("id")))")
        return "CREATE TABLE IF NOT EXISTS \(quote(model.tableName)) (\n  " + columns.joined(separator: ",\n  ") + "\n)"
    }

    /// The upsert for one model: parameter 1 is `_connector`, then one per field in catalog
    /// order, then `_record` and `_synced_at`. A record seen again replaces its row's values
    /// and clears `_deleted_at`.
    public static func upsert(for model: ModelSpec) -> String {
        let fieldColumns = model.fields.map { quote($0.name) }
        let allColumns = [quote(connectorColumn)] + fieldColumns + [quote(recordColumn), quote(syncedAtColumn), quote(deletedAtColumn)]
        let placeholders = (1...(model.fields.count + 3)).map { "?\($0)" } + ["NULL"]
        let updates = (fieldColumns.filter { $0 != quote("id") } + [quote(recordColumn), quote(syncedAtColumn), quote(deletedAtColumn)])
            .map { "\($0) = excluded.\($0)" }
        return """
            INSERT INTO \(quote(model.tableName)) (\(allColumns.joined(separator: ", ")))
            VALUES (\(placeholders.joined(separator: ", ")))
            ON CONFLICT (\(quote(connectorColumn)), \(quote("id"))) DO UPDATE SET \(updates.joined(separator: ", "))
            """
    }

    /// Per (connector, model): where the current walk over its pages stands, and what the
    /// last complete walk established. The cursor is written in the same transaction as the
    /// page it follows, so after a crash the walk resumes exactly after the last committed
    /// page. `walk_started_at` survives a resume, and every row the walk writes gets a
    /// `_synced_at` at or after it: when a complete walk that lists everything ends, the live
    /// rows with an older `_synced_at` are the ones it did not see, and get `_deleted_at`.
    /// `watermark` is the largest `modified_at` (server time) seen by completed pulls; it only
    /// moves forward, and only when a pull completes.
    static let syncStateDDL = """
        CREATE TABLE "_sync_state" (
          "connector" TEXT NOT NULL,
          "model" TEXT NOT NULL,
          "walk_status" TEXT NOT NULL,
          "walk_mode" TEXT NOT NULL,
          "walk_modified_after" TEXT,
          "walk_marks_deletions" INTEGER NOT NULL,
          "walk_started_at" TEXT NOT NULL,
          "walk_params" TEXT NOT NULL,
          "walk_cursor" TEXT,
          "walk_pages" INTEGER NOT NULL DEFAULT 0,
          "walk_records" INTEGER NOT NULL DEFAULT 0,
          "walk_max_modified_at" TEXT,
          "watermark" TEXT,
          "last_completed_at" TEXT,
          "last_deleted" INTEGER NOT NULL DEFAULT 0,
          "last_run_id" INTEGER,
          "last_error" TEXT,
          "updated_at" TEXT NOT NULL,
          PRIMARY KEY ("connector", "model")
        )
        """

    /// One row per run: when, what, how it ended, and its totals.
    static let syncRunsDDL = """
        CREATE TABLE "_sync_runs" (
          "run_id" INTEGER PRIMARY KEY AUTOINCREMENT,
          "job" TEXT NOT NULL,
          "mode" TEXT NOT NULL,
          "started_at" TEXT NOT NULL,
          "finished_at" TEXT,
          "status" TEXT NOT NULL,
          "pid" INTEGER NOT NULL,
          "pulls" INTEGER NOT NULL DEFAULT 0,
          "pulls_failed" INTEGER NOT NULL DEFAULT 0,
          "pages" INTEGER NOT NULL DEFAULT 0,
          "records" INTEGER NOT NULL DEFAULT 0,
          "deleted" INTEGER NOT NULL DEFAULT 0,
          "retries" INTEGER NOT NULL DEFAULT 0,
          "throttled" INTEGER NOT NULL DEFAULT 0,
          "error" TEXT
        )
        """

    /// One row per pull of a run.
    static let syncRunPullsDDL = """
        CREATE TABLE "_sync_run_pulls" (
          "run_id" INTEGER NOT NULL,
          "connector" TEXT NOT NULL,
          "model" TEXT NOT NULL,
          "mode" TEXT NOT NULL,
          "modified_after" TEXT,
          "status" TEXT NOT NULL,
          "started_at" TEXT NOT NULL,
          "finished_at" TEXT NOT NULL,
          "resumed_at_page" INTEGER,
          "pages" INTEGER NOT NULL,
          "records" INTEGER NOT NULL,
          "deleted" INTEGER NOT NULL,
          "retries" INTEGER NOT NULL,
          "throttled" INTEGER NOT NULL,
          "error" TEXT,
          PRIMARY KEY ("run_id", "connector", "model")
        )
        """

    /// What Bindbee's connectors endpoint last said about each connector (never its token):
    /// its health and when Bindbee last synced it, which is how old the mirrored data is.
    static let connectorsDDL = """
        CREATE TABLE "_connectors" (
          "name" TEXT PRIMARY KEY,
          "category" TEXT NOT NULL,
          "bindbee_id" TEXT,
          "origin_id" TEXT,
          "end_user" TEXT,
          "integration_slug" TEXT,
          "is_active" INTEGER,
          "is_test_connector" INTEGER,
          "status" TEXT,
          "sync_status" TEXT,
          "last_sync_start_time" TEXT,
          "next_sync_start_time" TEXT,
          "relink_needed_at" TEXT,
          "discovered" INTEGER NOT NULL DEFAULT 0,
          "checked_at" TEXT NOT NULL
        )
        """

    /// Tables that hold the mirror's own bookkeeping.
    public static let bookkeepingDDL = """
        CREATE TABLE IF NOT EXISTS "_schema_migrations" (
          "version" INTEGER PRIMARY KEY,
          "applied_at" TEXT NOT NULL,
          "description" TEXT NOT NULL
        )
        """
}
