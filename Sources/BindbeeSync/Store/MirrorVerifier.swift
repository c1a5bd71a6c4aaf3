import Foundation

/// `bindbee-sync verify`: checks a mirror without changing it, for an operator who wants to know
/// whether the file users query still honours the contract after a crash, a disk problem, a
/// restore from backup or a hand edit:
///
/// - SQLite's `PRAGMA integrity_check` (pages, indexes, constraints);
/// - the schema version in `_schema_migrations` is the one this build writes;
/// - every table and column the current `MirrorSchema` creates is there, with its declared type,
///   its NOT NULL and its primary key (the expected layout comes from running the migrations
///   on an empty in-memory database, so it can never drift from what a run creates);
/// - no primary key (`(_connector, id)` in the mirror tables) is shared by two rows or NULL,
///   which a table that lost its primary key could hold.
///
/// Tables and columns beyond the contract are not problems (a user may add views or indexes).
/// The schema declares no foreign keys, so there is no `foreign_key_check` to run.
public enum MirrorVerifier {
    /// One thing wrong, and where.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public let table: String?
        public let column: String?
        public let message: String

        public var description: String {
            [table, column.map { "column \(MirrorSchema.quote($0))" }, message].compactMap { $0 }.joined(separator: ": ")
        }
    }

    /// What a verification found.
    public struct Report: Sendable {
        public var problems: [Problem] = []
        /// Contract tables found, and the rows they hold.
        public var tables = 0
        public var rows = 0

        public var isClean: Bool { problems.isEmpty }
    }

    /// Checks the mirror at `path`, which must exist; opens it read-only.
    public static func verify(path: String, catalog: ModelCatalog = .shared) -> Report {
        var report = Report()
        do {
            let database = try SQLiteDatabase(path: path, readOnly: true)
            try check(database, catalog: catalog, into: &report)
        } catch {
            report.problems.append(Problem(table: nil, column: nil, message: "cannot read it as an SQLite database: \(error)"))
        }
        return report
    }

    /// A column as `PRAGMA table_info` describes it.
    struct Column: Equatable {
        let type: String
        let notNull: Bool
        /// Position in the primary key (1-based), 0 when not part of it.
        let primaryKey: Int
    }

    static func columns(_ database: SQLiteDatabase, _ table: String) throws -> [(name: String, column: Column)] {
        try database.query("PRAGMA table_info(\(MirrorSchema.quote(table)))").map { row in
            (row[1].text ?? "", Column(type: (row[2].text ?? "").uppercased(), notNull: row[3].integer == 1, primaryKey: Int(row[5].integer ?? 0)))
        }
    }

    static func tables(_ database: SQLiteDatabase) throws -> [String] {
        try database.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
            .compactMap { $0[0].text }
    }

    /// The tables and columns a run creates, from the migrations themselves.
    static func expectedSchema(_ catalog: ModelCatalog) throws -> SQLiteDatabase {
        let reference = try SQLiteDatabase(path: ":memory:")
        try reference.execute(MirrorSchema.bookkeepingDDL)
        for migration in MirrorSchema.migrations(catalog) {
            for statement in migration.statements { try reference.execute(statement) }
        }
        return reference
    }

    private static func check(_ database: SQLiteDatabase, catalog: ModelCatalog, into report: inout Report) throws {
        let integrity = try database.query("PRAGMA integrity_check(100)").compactMap { $0[0].text }
        if integrity != ["ok"] {
            report.problems += integrity.map { Problem(table: nil, column: nil, message: "integrity check: \($0)") }
        }
        let present = Set(try tables(database))
        if present.contains("_schema_migrations") {
            let version = Int(try database.scalar("SELECT MAX(version) FROM _schema_migrations")?.integer ?? 0)
            if version != MirrorSchema.version {
                let why = version > MirrorSchema.version ? "written by a newer bindbee-sync" : "the next run migrates it"
                report.problems.append(Problem(table: "_schema_migrations", column: nil,
                                               message: "schema version \(version), this build writes \(MirrorSchema.version) (\(why))"))
            }
        }
        let reference = try expectedSchema(catalog)
        for table in try tables(reference) {
            guard present.contains(table) else {
                report.problems.append(Problem(table: table, column: nil, message: "table is missing"))
                continue
            }
            report.tables += 1
            let expected = try columns(reference, table)
            let found = Dictionary(try columns(database, table).map { ($0.name, $0.column) }, uniquingKeysWith: { first, _ in first })
            for (name, want) in expected {
                guard let have = found[name] else {
                    report.problems.append(Problem(table: table, column: name, message: "is missing (expected \(want.type.isEmpty ? "a column" : want.type))"))
                    continue
                }
                if have.type != want.type {
                    report.problems.append(Problem(table: table, column: name, message: "is declared \(have.type.isEmpty ? "without a type" : have.type), expected \(want.type)"))
                }
                if want.notNull && !have.notNull {
                    report.problems.append(Problem(table: table, column: name, message: "accepts NULL, expected NOT NULL"))
                }
            }
            let key = expected.filter { $0.column.primaryKey > 0 }.sorted { $0.column.primaryKey < $1.column.primaryKey }.map(\.name)
            let foundKey = found.filter { $0.value.primaryKey > 0 }.sorted { $0.value.primaryKey < $1.value.primaryKey }.map(\.key)
            if !key.isEmpty, foundKey != key {
                report.problems.append(Problem(table: table, column: nil, message: "the primary key is \(foundKey.isEmpty ? "missing" : "(\(foundKey.joined(separator: ", ")))"), expected (\(key.joined(separator: ", ")))"))
            }
            let keyPresent = key.allSatisfy { found[$0] != nil }
            try checkKeys(database, table: table, key: keyPresent ? key : [], into: &report)
        }
    }

    /// Counts the table's rows and reports keys held by more than one row, or NULL.
    private static func checkKeys(_ database: SQLiteDatabase, table: String, key: [String], into report: inout Report) throws {
        let quotedTable = MirrorSchema.quote(table)
        guard !key.isEmpty else {
            report.rows += Int(try database.scalar("SELECT COUNT(*) FROM \(quotedTable)")?.integer ?? 0)
            return
        }
        let columns = key.map(MirrorSchema.quote).joined(separator: ", ")
        let totals = try database.query("""
            SELECT COALESCE(SUM(n), 0), COALESCE(SUM(n > 1), 0), COALESCE(SUM(n) - COUNT(*), 0)
            FROM (SELECT COUNT(*) AS n FROM \(quotedTable) GROUP BY \(columns))
            """).first ?? []
        report.rows += Int(totals.first?.integer ?? 0)
        if let shared = totals.dropFirst().first?.integer, shared > 0 {
            let examples = try database.query("""
                SELECT \(columns), COUNT(*) FROM \(quotedTable) GROUP BY \(columns) HAVING COUNT(*) > 1 ORDER BY \(columns) LIMIT 3
                """).map { row in
                "(" + row.dropLast().map { $0.text ?? $0.description }.joined(separator: ", ") + ") \(row.last?.integer ?? 0) times"
            }
            let extra = totals.dropFirst(2).first?.integer ?? 0
            report.problems.append(Problem(table: table, column: nil, message: "\(shared) \(shared == 1 ? "key (\(key.joined(separator: ", "))) is" : "keys (\(key.joined(separator: ", "))) are") held by more than one row (\(extra) extra), e.g. \(examples.joined(separator: "; "))"))
        }
        let nulls = try database.scalar("SELECT COUNT(*) FROM \(quotedTable) WHERE \(key.map { "\(MirrorSchema.quote($0)) IS NULL" }.joined(separator: " OR "))")?.integer ?? 0
        if nulls > 0 {
            report.problems.append(Problem(table: table, column: nil, message: "\(nulls) \(nulls == 1 ? "row has" : "rows have") a NULL in the key (\(key.joined(separator: ", ")))"))
        }
    }
}
