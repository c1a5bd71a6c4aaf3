import Foundation
import Testing
@testable import BindbeeSync

/// The mirror's tables are a public contract; upserts are idempotent and typed.
@Suite struct MirrorStoreTests {
    let catalog = ModelCatalog.shared

    @Test func createsAll44TablesWithEveryFieldColumn() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        for model in catalog.models {
            let info = try store.query("PRAGMA table_info(\(MirrorSchema.quote(model.tableName)))")
            let columns = info.map { $0[1].text! }
            let types = Dictionary(uniqueKeysWithValues: info.map { ($0[1].text!, $0[2].text!) })
            #expect(columns == ["_connector"] + model.fields.map(\.name) + ["_record", "_synced_at", "_deleted_at"], "\(model.tableName)")
            for field in model.fields {
                #expect(types[field.name] == field.columnType.sqlType, "\(model.tableName).\(field.name)")
            }
            let primaryKey = info.filter { ($0[5].integer ?? 0) > 0 }.sorted { $0[5].integer! < $1[5].integer! }.map { $0[1].text! }
            #expect(primaryKey == ["_connector", "id"], "\(model.tableName)")
        }
        #expect(try store.query("PRAGMA journal_mode").first?.first?.text == "wal")
        #expect(try store.query("SELECT version FROM _schema_migrations ORDER BY version").map { $0[0].integer } == (1...MirrorSchema.version).map(Int64.init))
    }

    @Test func reopeningKeepsRowsAndSchema() throws {
        let dir = try TemporaryDirectory()
        let model = try #require(catalog.model(.hris, "companies"))
        do {
            let store = try MirrorStore(path: dir.path("m.sqlite"))
            try store.write(page: PageScanner.scan(pageJSON([#"{"id":"c1"}"#], cursor: nil)), model: model, connector: "acme")
        }
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        #expect(try store.rowCounts(model) == ["acme": 1])
        #expect(try store.query("SELECT COUNT(*) FROM _schema_migrations").first?.first == .integer(Int64(MirrorSchema.version)))
    }

    @Test func aVersion1DatabaseMigratesForwardKeepingItsRows() throws {
        let dir = try TemporaryDirectory()
        let model = try #require(catalog.model(.hris, "companies"))
        do {
            let store = try MirrorStore(path: dir.path("m.sqlite"))
            try store.write(page: PageScanner.scan(pageJSON([#"{"id":"c1"}"#, #"{"id":"c2"}"#], cursor: nil)), model: model, connector: "acme")
        }
        // Roll the file back to what the version-1 build wrote.
        let db = try SQLiteDatabase(path: dir.path("m.sqlite"))
        try db.execute("DROP TABLE _sync_state; DROP TABLE _sync_runs; DROP TABLE _sync_run_pulls; DROP TABLE _connectors; DROP TABLE _privacy; DELETE FROM _schema_migrations WHERE version > 1")
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        #expect(try store.rowCounts(model) == ["acme": 2])
        #expect(try store.query("SELECT COUNT(*) FROM _sync_state").first?.first == .integer(0))
        #expect(try store.query("SELECT MAX(version) FROM _schema_migrations").first?.first == .integer(Int64(MirrorSchema.version)))
    }

    @Test func upsertIsIdempotentAndChangedRecordsUpdateTheirRows() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let model = try #require(catalog.model(.hris, "employees"))
        let page = try PageScanner.scan(pageJSON([
            #"{"id":"e1","first_name":"Ada","modified_at":"2026-11-01T00:00:00.000Z"}"#,
            #"{"id":"e2","first_name":"Grace","modified_at":"2026-11-01T00:00:00.000Z"}"#,
        ], cursor: nil))
        try store.write(page: page, model: model, connector: "acme")
        try store.write(page: page, model: model, connector: "acme")
        try store.write(page: page, model: model, connector: "globex")  // same ids, another connector: other rows
        #expect(try store.rowCounts(model) == ["acme": 2, "globex": 2])

        let changed = try PageScanner.scan(pageJSON([#"{"id":"e1","first_name":"Ada L.","modified_at":"2026-11-02T00:00:00.000Z"}"#], cursor: nil))
        try store.write(page: changed, model: model, connector: "acme")
        let rows = try store.query("SELECT first_name, modified_at, _record FROM hris_employees WHERE _connector = 'acme' AND id = 'e1'")
        #expect(rows.count == 1)
        #expect(rows[0][0] == .text("Ada L."))
        #expect(rows[0][1] == .text("2026-11-02T00:00:00.000Z"))
        #expect(rows[0][2] == .text(#"{"id":"e1","first_name":"Ada L.","modified_at":"2026-11-02T00:00:00.000Z"}"#))
        #expect(try store.rowCounts(model) == ["acme": 2, "globex": 2])
    }

    @Test func typedColumnsAndRecordKeepTheAPIValues() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let employees = try #require(catalog.model(.hris, "employees"))
        let item = #"{"id":"e1","tobacco_use":true,"first_name":"Zoe\u0308 \"Z\"","last_name":"e\#u{301}","manager":"m-1","company":{"id":"c1","name":"Acme"},"groups":["g1","g2"],"home_location":{"city":"Ærøskøbing"},"ssn":null,"unknown_new_field":[1]}"#
        try store.write(page: PageScanner.scan(pageJSON([item], cursor: nil)), model: employees, connector: "acme")
        let row = try #require(try store.query("""
            SELECT tobacco_use, typeof(tobacco_use), first_name, hex(last_name), manager, company, groups, home_location, ssn, _record, _deleted_at
            FROM hris_employees
            """).first)
        #expect(row[0] == .integer(1))
        #expect(row[1] == .text("integer"))
        #expect(row[2] == .text("Zoe\u{308} \"Z\""))              // escapes decoded, no normalization
        #expect(row[3] == .text("65CC81"))                       // the decomposed bytes, exactly
        #expect(row[4] == .text("m-1"))                          // a relation id is plain text
        #expect(row[5] == .text(#"{"id":"c1","name":"Acme"}"#))   // an expanded relation is JSON
        #expect(row[6] == .text(#"["g1","g2"]"#))
        #expect(row[7] == .text(#"{"city":"Ærøskøbing"}"#))
        #expect(row[8] == .null)
        #expect(row[9] == .text(item))                           // every key kept, nulls included
        #expect(row[10] == .null)

        let contents = try #require(catalog.model(.lms, "contents"))
        try store.write(page: PageScanner.scan(pageJSON([#"{"id":"k1","order":9007199254740993}"#], cursor: nil)), model: contents, connector: "lms")
        #expect(try store.query(#"SELECT "order", typeof("order") FROM lms_contents"#).first == [.integer(9_007_199_254_740_993), .text("integer")])

        let timesheets = try #require(catalog.model(.hris, "timesheet-entry"))
        try store.write(page: PageScanner.scan(pageJSON([#"{"id":"t1","hours_worked":7.5,"break_duration":1}"#], cursor: nil)), model: timesheets, connector: "acme")
        #expect(try store.query("SELECT hours_worked, break_duration, typeof(break_duration) FROM hris_timesheet_entry").first == [.real(7.5), .real(1), .text("real")])
    }

    @Test func aFailedPageWritesNothing() throws {
        let dir = try TemporaryDirectory()
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        let model = try #require(catalog.model(.hris, "companies"))
        // A trigger makes the second row fail mid-page; the first must not survive.
        _ = try store.query("CREATE TRIGGER refuse BEFORE INSERT ON hris_companies WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'refused'); END")
        let page = try PageScanner.scan(pageJSON([#"{"id":"good"}"#, #"{"id":"bad"}"#], cursor: nil))
        #expect(throws: SQLiteError.self) { try store.write(page: page, model: model, connector: "acme") }
        #expect(try store.rowCounts(model).isEmpty)
    }

    @Test func aDatabaseFromANewerVersionIsRefused() throws {
        let dir = try TemporaryDirectory()
        _ = try MirrorStore(path: dir.path("m.sqlite"))
        let db = try SQLiteDatabase(path: dir.path("m.sqlite"))
        try db.execute("INSERT INTO _schema_migrations VALUES (99, 'x', 'from the future')")
        #expect(throws: MirrorStoreError.self) { try MirrorStore(path: dir.path("m.sqlite")) }
    }

    @Test func transactionRethrowsTheBodysErrorAndRollsBack() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (x)")
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.execute("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try db.scalar("SELECT COUNT(*) FROM t") == .integer(0))
    }

    @Test func sqliteErrorsCarrySQLButNeverBoundValues() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t (x TEXT NOT NULL UNIQUE)")
        _ = try db.query("INSERT INTO t VALUES (?)", [.text("secret-value-123")])
        do {
            _ = try db.query("INSERT INTO t VALUES (?)", [.text("secret-value-123")])
            Issue.record("duplicate accepted")
        } catch let error as SQLiteError {
            #expect(error.description.contains("INSERT INTO t VALUES (?)"))
            #expect(!error.description.contains("secret-value-123"))
            #expect(error.code & 0xFF == 19)  // SQLITE_CONSTRAINT
        }
    }
}
