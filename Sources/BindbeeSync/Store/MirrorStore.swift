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
    /// The PII rules rows are written with.
    public let privacy: MirrorPrivacy
    /// Columns the opening added because the catalog gained fields (`ALTER TABLE` statements).
    public private(set) var addedColumns: [String] = []
    /// Rows scrubbed at opening because the PII rules gained fields, per `model.field`.
    public internal(set) var scrubbed: [String: Int] = [:]
    /// When the open batch of pages is committed (see `CommitPolicy`).
    let commitPolicy: CommitPolicy
    /// Pages handed over by `enqueueWrite` and not yet taken by the writer, in hand-over order.
    let pending = Locked<[PendingWrite]>([])
    /// The transaction pages are being written into, if one is open (on `queue` only).
    var openBatch: OpenBatch?
    var batchSerial = 0
    /// Walks one of whose pages failed to commit, and why; their later pages are refused.
    var failedWalks: [WalkKey: Error] = [:]

    /// SQLite's page cache for the writer. The `(_connector, id)` index is written at random
    /// (ids are UUIDs), so a batch touches most of its leaves; a cache that holds them saves a
    /// read per row. Bounded, so memory stays flat however big the mirror grows (measured in
    /// benchmarks/README.md: 8, 32, 64 and 96 MiB).
    static let cacheKilobytes = 65_536

    /// Opens or creates the mirror at `path`, creating every table of the catalog and applying
    /// pending migrations in one transaction.
    /// `privacy`: the PII rules rows are written with; rows already mirrored are brought in
    /// line when the rules gained a field (see `applyPrivacy`).
    public init(path: String, catalog: ModelCatalog = .shared, commitPolicy: CommitPolicy = CommitPolicy(),
                privacy: MirrorPrivacy = .none) throws {
        self.path = path
        self.catalog = catalog
        self.commitPolicy = commitPolicy
        self.privacy = privacy
        self.database = try SQLiteDatabase(path: path, cacheKilobytes: Self.cacheKilobytes)
        // Each page is written in a savepoint, whose journal (the pages it changed, as they were)
        // SQLite keeps in a temporary file by default: 3.2 GB of writes for 500k employees.
        // In memory it holds one page's changes at a time.
        try database.execute("PRAGMA temp_store=MEMORY")
        try migrate()
        try applyPrivacy()
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
            // The catalog may have gained fields since the tables were created.
            for model in catalog.models {
                let existing = Set(try database.query("SELECT name FROM pragma_table_info(?)", [.text(model.tableName)]).compactMap { $0[0].text })
                if existing.isEmpty {
                    try database.execute(MirrorSchema.createTable(for: model))
                    try database.execute(MirrorSchema.liveRowsIndex(for: model))
                    continue
                }
                for statement in MirrorSchema.missingColumns(of: model, existing: existing) {
                    try database.execute(statement)
                    addedColumns.append(statement)
                }
            }
        }
    }

    func binder(for model: ModelSpec) -> RecordBinder {
        if let binder = binders[model.tableName] { return binder }
        let binder = RecordBinder(model: model, options: privacy.options(for: model), hasher: privacy.hasher)
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
    /// The mirror's hashed fields were hashed with another key: new hashes would not join old ones.
    case hashKeyChanged(path: String, model: String)

    public var description: String {
        switch self {
        case .newerSchema(let path, let found, let supported):
            return "\(path) was written by a newer bindbee-sync (schema version \(found); this build supports up to \(supported)); upgrade bindbee-sync"
        case .hashKeyChanged(let path, let model):
            return "\(path): the hashed fields of \(model) were hashed with another key (its fingerprint differs), so new hashes "
                + "would not join the stored ones; use the key this mirror was made with, or mirror into a new database"
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
