import Dispatch
import Foundation

/// The local SQLite mirror: creates the contract tables and upserts pages of records.
///
/// One connection, owned by one serial queue: every call hops onto `queue`, so concurrent
/// pulls hand their pages to a single writer and SQLite never sees two writers from this
/// process. That confinement is why the class is `@unchecked Sendable`: its mutable state
/// (the connection, the statement cache, the binders) is only touched on `queue`.
public final class MirrorStore: @unchecked Sendable {
    public let path: String
    public let catalog: ModelCatalog
    let database: SQLiteDatabase
    let queue = DispatchQueue(label: "bindbee-sync.mirror-store")
    private var binders: [String: RecordBinder] = [:]
    /// When the open batch of pages is committed (see `CommitPolicy`).
    let commitPolicy: CommitPolicy
    /// Pages handed over by `enqueueWrite` and not yet taken by the writer, in hand-over order.
    let pending = Locked<[PendingWrite]>([])
    /// The transaction pages are being written into, if one is open (on `queue` only).
    var openBatch: OpenBatch?
    var batchSerial = 0
    /// Walks one of whose pages failed to commit, and why; their later pages are refused.
    var failedWalks: [WalkKey: Error] = [:]

    /// Opens or creates the mirror at `path`, creating every table of the catalog and applying
    /// pending migrations in one transaction.
    public init(path: String, catalog: ModelCatalog = .shared, commitPolicy: CommitPolicy = CommitPolicy()) throws {
        self.path = path
        self.catalog = catalog
        self.commitPolicy = commitPolicy
        self.database = try SQLiteDatabase(path: path, cacheKilobytes: 32_768)
        try migrate()
    }

    private func migrate() throws {
        try database.transaction {
            try database.execute(MirrorSchema.bookkeepingDDL)
            let applied = Int(try database.scalar("SELECT MAX(version) FROM _schema_migrations")?.integer ?? 0)
            if applied > MirrorSchema.version {
                throw MirrorStoreError.newerSchema(path: path, found: applied, supported: MirrorSchema.version)
            }
            for migration in MirrorSchema.migrations(catalog) where migration.version > applied {
                for statement in migration.statements { try database.execute(statement) }
                try database.query(
                    "INSERT INTO _schema_migrations (version, applied_at, description) VALUES (?, ?, ?)",
                    [.integer(Int64(migration.version)), .text(Timestamp.now()), .text(migration.description)])
            }
        }
    }

    func binder(for model: ModelSpec) -> RecordBinder {
        if let binder = binders[model.tableName] { return binder }
        let binder = RecordBinder(model: model)
        binders[model.tableName] = binder
        return binder
    }

    /// Runs a read query on the writer's connection (for status, reports and tests).
    public func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try onWriter { try database.query(sql, arguments) }
    }

    /// Live rows per connector in `model`'s table.
    public func rowCounts(_ model: ModelSpec) throws -> [String: Int] {
        let rows = try query("SELECT _connector, COUNT(*) FROM \(MirrorSchema.quote(model.tableName)) WHERE _deleted_at IS NULL GROUP BY _connector")
        var counts: [String: Int] = [:]
        for row in rows { counts[row[0].text ?? ""] = Int(row[1].integer ?? 0) }
        return counts
    }
}

/// What writing one page did.
public struct WrittenPage: Sendable, Equatable {
    public let records: Int
    /// Rows marked deleted because this page completed a walk that lists everything.
    public let deleted: Int
}

/// Why the mirror could not be opened.
public enum MirrorStoreError: Error, CustomStringConvertible {
    case newerSchema(path: String, found: Int, supported: Int)
    /// A page of a walk whose earlier page failed to commit: committing its cursor would skip rows.
    case earlierPageFailed(connector: String, model: String, cause: String)

    public var description: String {
        switch self {
        case .newerSchema(let path, let found, let supported):
            return "\(path) was written by a newer bindbee-sync (schema version \(found); this build supports up to \(supported)); upgrade bindbee-sync"
        case .earlierPageFailed(let connector, let model, let cause):
            return "not written: an earlier page of \(connector) \(model) failed to commit" + (cause.isEmpty ? "" : " (\(cause))")
        }
    }
}

/// Timestamps as the mirror writes them: ISO 8601 UTC with milliseconds.
public enum Timestamp {
    public static func now() -> String { string(from: Date()) }

    /// `2026-12-04T17:33:05.123Z`.
    public static func string(from date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(millis % 1000))
    }
}
