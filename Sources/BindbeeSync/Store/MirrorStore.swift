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
    private let database: SQLiteDatabase
    private let queue = DispatchQueue(label: "bindbee-sync.mirror-store")
    private var binders: [String: RecordBinder] = [:]

    /// Opens or creates the mirror at `path`, creating every table of the catalog and applying
    /// pending migrations in one transaction.
    public init(path: String, catalog: ModelCatalog = .shared) throws {
        self.path = path
        self.catalog = catalog
        self.database = try SQLiteDatabase(path: path)
        try migrate()
    }

    private func migrate() throws {
        try database.transaction {
            try database.execute(MirrorSchema.bookkeepingDDL)
            let applied = try database.scalar("SELECT MAX(version) FROM _schema_migrations")?.integer ?? 0
            if applied > MirrorSchema.version {
                throw MirrorStoreError.newerSchema(path: path, found: Int(applied), supported: MirrorSchema.version)
            }
            if applied < 1 {
                for model in catalog.models {
                    try database.execute(MirrorSchema.createTable(for: model))
                }
                try database.query(
                    "INSERT INTO _schema_migrations (version, applied_at, description) VALUES (?, ?, ?)",
                    [.integer(1), .text(Timestamp.now()), .text("mirror tables for the \(catalog.models.count) list models")])
            }
        }
    }

    /// Upserts every record of `page` into `model`'s table for `connector`, in one transaction.
    /// Returns the number of records written. Nothing of the page is written if any fails.
    @discardableResult
    public func write(page: ScannedPage, model: ModelSpec, connector: String, syncedAt: String = Timestamp.now()) throws -> Int {
        try queue.sync {
            let binder = binder(for: model)
            let statement = try database.statement(MirrorSchema.upsert(for: model))
            return try database.transaction {
                try page.body.withUnsafeBufferPointer { buffer in
                    for item in page.items {
                        statement.reset()
                        try statement.bind(.text(connector), at: 1)
                        try binder.bind(item, of: page, buffer: buffer, to: statement)
                        try statement.bind(.text(syncedAt), at: binder.syncedAtParameter)
                        try statement.run()
                    }
                }
                return page.items.count
            }
        }
    }

    private func binder(for model: ModelSpec) -> RecordBinder {
        if let binder = binders[model.tableName] { return binder }
        let binder = RecordBinder(model: model)
        binders[model.tableName] = binder
        return binder
    }

    /// Runs a read query on the writer's connection (for status, reports and tests).
    public func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        try queue.sync { try database.query(sql, arguments) }
    }

    /// Live rows per connector in `model`'s table.
    public func rowCounts(_ model: ModelSpec) throws -> [String: Int] {
        let rows = try query("SELECT _connector, COUNT(*) FROM \(MirrorSchema.quote(model.tableName)) WHERE _deleted_at IS NULL GROUP BY _connector")
        var counts: [String: Int] = [:]
        for row in rows { counts[row[0].text ?? ""] = Int(row[1].integer ?? 0) }
        return counts
    }
}

/// Why the mirror could not be opened.
public enum MirrorStoreError: Error, CustomStringConvertible {
    case newerSchema(path: String, found: Int, supported: Int)

    public var description: String {
        switch self {
        case .newerSchema(let path, let found, let supported):
            return "\(path) was written by a newer bindbee-sync (schema version \(found); this build supports up to \(supported)); upgrade bindbee-sync"
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
