import CSQLite
import Foundation

/// An SQLite failure: the result code, SQLite's message and the SQL that failed.
/// Bound values are never included, so no record data or secret can leak through an error.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public let code: Int32
    public let message: String
    public let sql: String?

    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql { text += " (in: \(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql))" }
        return text
    }
}

/// One SQLite connection. Not thread-safe by itself: `MirrorStore` owns one and uses it from
/// a single serial queue only. Statements are prepared once and cached by their SQL.
public final class SQLiteDatabase {
    let handle: OpaquePointer
    public let path: String
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens (creating if needed) the database at `path` with the mirror's settings: WAL,
    /// `synchronous=NORMAL`, a busy timeout, foreign keys off (the API gives no such guarantee).
    /// `readOnly` opens an existing file without changing anything in it (no pragmas either).
    /// `cacheKilobytes` bounds SQLite's page cache for this connection (SQLite's default is 2 MB).
    public init(path: String, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 5_000, cacheKilobytes: Int? = nil) throws {
        _ = Self.processSettings
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "cannot open \(path): \(message)", sql: nil)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        if readOnly { return }
        // Only a new, empty database takes a page size (it must come before WAL is on).
        try execute("PRAGMA page_size=\(Self.pageSize)")
        if path != ":memory:" {
            try execute("PRAGMA journal_mode=WAL")
        }
        try execute("PRAGMA synchronous=NORMAL")
        if let cacheKilobytes { try execute("PRAGMA cache_size=-\(cacheKilobytes)") }
    }

    /// The page size of databases this build creates. Mirror rows are large (an employee is
    /// about 1.5 KB of `_record` plus its typed columns): at SQLite's default 4 KB one row
    /// fills a page, and the file and every write are about half again as big as at 16 KB
    /// (measured in benchmarks/README.md).
    public static let pageSize = 16_384

    /// Settings SQLite takes once per process, before its first connection: no memory
    /// statistics (nothing reads them, and keeping them takes a global mutex per allocation).
    private static let processSettings: Void = { _ = csqlite_disable_memory_statistics() }()

    deinit {
        cache.removeAll()  // finalize statements before closing
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements without results (DDL, pragmas).
    public func execute(_ sql: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        if rc != SQLITE_OK {
            let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errorMessage)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// A prepared statement for `sql`, from the cache when it was prepared before.
    /// The statement is reset and its bindings cleared.
    public func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = cache[sql] {
            cached.reset()
            return cached
        }
        let statement = try SQLiteStatement(database: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: commits when it returns, rolls back and
    /// rethrows the body's error (the first error, not a rollback failure) when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` inside the open transaction as one unit: `SAVEPOINT`, then `RELEASE` when it
    /// returns, `ROLLBACK TO` (undoing only what `body` did) and rethrow when it throws.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT page")
        do {
            let result = try body()
            try execute("RELEASE page")
            return result
        } catch {
            try? execute("ROLLBACK TO page")
            try? execute("RELEASE page")
            throw error
        }
    }

    /// True inside an open transaction (false in autocommit mode, also after SQLite rolled one
    /// back by itself, as it does on some I/O errors).
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    func lastError(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }

    // MARK: - Conveniences for reads

    /// All rows of a query, each as an array of values.
    @discardableResult
    public func query(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> [[SQLiteValue]] {
        let statement = try statement(sql)
        for (i, argument) in arguments.enumerated() { try statement.bind(argument, at: Int32(i + 1)) }
        var rows: [[SQLiteValue]] = []
        while try statement.step() {
            rows.append((0..<statement.columnCount).map { statement.value(at: $0) })
        }
        return rows
    }

    /// The first column of the first row, or nil.
    public func scalar(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> SQLiteValue? {
        try query(sql, arguments).first?.first
    }
}

/// A value read from or bound to SQLite.
public enum SQLiteValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .text(let s): return s
        case .blob(let b): return "<\(b.count) bytes>"
        }
    }

    public var text: String? { if case .text(let s) = self { return s }; return nil }
    public var integer: Int64? { if case .integer(let i) = self { return i }; return nil }
}

/// A prepared statement that owns its handle: prepared in a throwing init, finalized in deinit.
public final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let database: SQLiteDatabase
    public let sql: String

    init(database: SQLiteDatabase, sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw database.lastError(rc, sql: sql) }
        self.handle = stmt
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    public func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Advances one row: true when a row is available, false when done.
    public func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = database.lastError(rc, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Runs the statement to completion, ignoring rows.
    public func run() throws {
        while try step() {}
    }

    public func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let i): rc = sqlite3_bind_int64(handle, index, i)
        case .real(let d): rc = sqlite3_bind_double(handle, index, d)
        case .text(let s): rc = sqlite3_bind_text(handle, index, s, -1, csqlite_transient())
        case .blob(let b): rc = b.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), csqlite_transient()) }
        }
        try check(rc)
    }

    /// Binds UTF-8 bytes as TEXT. SQLite copies them before returning.
    public func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            // A NULL pointer would bind NULL; an empty string must stay an empty string.
            try check(sqlite3_bind_text(handle, index, "", 0, csqlite_transient()))
            return
        }
        let rc = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            sqlite3_bind_text(handle, index, $0, Int32(bytes.count), csqlite_transient())
        }
        try check(rc)
    }

    /// Binds UTF-8 bytes as TEXT without copying them (`SQLITE_STATIC`): the caller keeps
    /// `bytes` alive and unchanged until the statement is reset, which clears the binding.
    /// The mirror's upserts bind slices of the page they are writing this way.
    public func bindTextNoCopy(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int32) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return try bindText(bytes, at: index) }
        let rc = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            sqlite3_bind_text(handle, index, $0, Int32(bytes.count), nil)
        }
        try check(rc)
    }

    public func bindInt64(_ value: Int64, at index: Int32) throws { try check(sqlite3_bind_int64(handle, index, value)) }
    public func bindDouble(_ value: Double, at index: Int32) throws { try check(sqlite3_bind_double(handle, index, value)) }
    public func bindNull(at index: Int32) throws { try check(sqlite3_bind_null(handle, index)) }

    private func check(_ rc: Int32) throws {
        if rc != SQLITE_OK { throw database.lastError(rc, sql: sql) }
    }

    public var columnCount: Int32 { sqlite3_column_count(handle) }

    public func value(at column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let pointer = sqlite3_column_text(handle, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let pointer = sqlite3_column_blob(handle, column) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: pointer, count: count)))
        default: return .null
        }
    }
}
