import Foundation
import Testing
@testable import BindbeeSync

/// `MirrorVerifier` against mirrors broken in the ways a crash, a restore or a hand edit can
/// break them: each problem is named with its table and column, a sound mirror has none.
@Suite struct MirrorVerifierTests {
    let employees = ModelCatalog.shared.model(.hris, "employees")!

    /// A mirror holding three employees of one connector and two of another.
    func mirror(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.path("m.sqlite")
        let store = try MirrorStore(path: path)
        try store.write(page: PageScanner.scan(pageJSON([#"{"id":"e1","first_name":"Ada"}"#, #"{"id":"e2"}"#, #"{"id":"e3"}"#], cursor: nil)),
                        model: employees, connector: "acme")
        try store.write(page: PageScanner.scan(pageJSON([#"{"id":"e1"}"#, #"{"id":"e9"}"#], cursor: nil)), model: employees, connector: "globex")
        return path
    }

    /// Rebuilds `hris_employees` from its own DDL transformed by `edit`, keeping the rows of the columns that remain.
    func rebuildEmployees(_ path: String, _ edit: (String) -> String, keep columns: [String]? = nil) throws {
        let db = try SQLiteDatabase(path: path)
        let kept = (columns ?? (["_connector"] + employees.fields.map(\.name) + ["_record", "_synced_at", "_deleted_at"])).map(MirrorSchema.quote).joined(separator: ", ")
        try db.execute("ALTER TABLE hris_employees RENAME TO old_employees")
        try db.execute(edit(MirrorSchema.createTable(for: employees)))
        try db.execute("INSERT INTO hris_employees (\(kept)) SELECT \(kept) FROM old_employees; DROP TABLE old_employees")
    }

    @Test func aSoundMirrorHasNoProblem() throws {
        let dir = try TemporaryDirectory()
        let report = MirrorVerifier.verify(path: try mirror(dir))
        #expect(report.problems == [])
        #expect(report.tables == ModelCatalog.shared.models.count + 6)
        #expect(report.rows == 5 + MirrorSchema.version)  // the rows, and one _schema_migrations row per version
    }

    @Test func aTableWithoutItsPrimaryKeyAndADuplicatedKeyAreBothReported() throws {
        let dir = try TemporaryDirectory()
        let path = try mirror(dir)
        try rebuildEmployees(path) { $0.replacingOccurrences(of: #",\#n  PRIMARY KEY ("_connector", "id")"#, with: "") }
        let db = try SQLiteDatabase(path: path)
        try db.execute("INSERT INTO hris_employees SELECT * FROM hris_employees WHERE _connector = 'acme' AND id = 'e2' LIMIT 1")
        try db.execute("INSERT INTO hris_employees SELECT * FROM hris_employees WHERE _connector = 'acme' AND id = 'e2' LIMIT 1")
        let report = MirrorVerifier.verify(path: path)
        #expect(report.problems.map(\.description) == [
            #"hris_employees: the primary key is missing, expected (_connector, id)"#,
            #"hris_employees: 1 key (_connector, id) is held by more than one row (2 extra), e.g. (acme, e2) 3 times"#,
        ])
    }

    @Test func aMissingColumnATypeChangeAndALostNotNullAreNamedWithTheirColumn() throws {
        let dir = try TemporaryDirectory()
        let path = try mirror(dir)
        let kept = ["_connector"] + employees.fields.map(\.name).filter { $0 != "first_name" } + ["_record", "_synced_at", "_deleted_at"]
        try rebuildEmployees(path, { ddl in
            ddl.replacingOccurrences(of: "  \"first_name\" TEXT,\n", with: "")
                .replacingOccurrences(of: "\"last_name\" TEXT", with: "\"last_name\" INTEGER")
                .replacingOccurrences(of: "\"_record\" TEXT NOT NULL", with: "\"_record\" TEXT")
        }, keep: kept)
        let report = MirrorVerifier.verify(path: path)
        #expect(report.problems.map(\.description) == [
            #"hris_employees: column "first_name": is missing (expected TEXT)"#,
            #"hris_employees: column "last_name": is declared INTEGER, expected TEXT"#,
            #"hris_employees: column "_record": accepts NULL, expected NOT NULL"#,
        ])
    }

    @Test func missingTablesAndAnOldSchemaVersionAreReported() throws {
        let dir = try TemporaryDirectory()
        let path = try mirror(dir)
        let db = try SQLiteDatabase(path: path)
        try db.execute("DROP TABLE ats_candidates; DROP TABLE _sync_run_pulls; DELETE FROM _schema_migrations WHERE version >= 2")
        let report = MirrorVerifier.verify(path: path)
        #expect(report.problems.map(\.description) == [
            "_schema_migrations: schema version 1, this build writes \(MirrorSchema.version) (the next run migrates it)",
            "_sync_run_pulls: table is missing",
            "ats_candidates: table is missing",
        ])
    }

    @Test func aNullKeyIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = try mirror(dir)
        try rebuildEmployees(path) {
            $0.replacingOccurrences(of: #",\#n  PRIMARY KEY ("_connector", "id")"#, with: "").replacingOccurrences(of: "\"id\" TEXT NOT NULL", with: "\"id\" TEXT")
        }
        try SQLiteDatabase(path: path).execute("INSERT INTO hris_employees (_connector, id, _record, _synced_at) VALUES ('acme', NULL, '{}', 'x')")
        let problems = MirrorVerifier.verify(path: path).problems.map(\.description)
        #expect(problems.contains("hris_employees: 1 row has a NULL in the key (_connector, id)"), "\(problems)")
        #expect(problems.contains(#"hris_employees: column "id": accepts NULL, expected NOT NULL"#), "\(problems)")
    }

    @Test func aFileThatIsNotADatabaseIsAProblemNotACrash() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("notes.txt", String(repeating: "not a database\n", count: 100))
        let report = MirrorVerifier.verify(path: path)
        #expect(report.problems.count == 1)
        #expect(report.problems.first?.message.contains("file is not a database") == true)
    }
}
