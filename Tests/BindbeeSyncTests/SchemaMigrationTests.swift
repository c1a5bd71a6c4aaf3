import Foundation
import Testing
@testable import BindbeeSync

/// A mirror written by an older bindbee-sync opens in this one: pending migrations and the
/// columns of fields the catalog gained are applied in the opening transaction, and every row
/// is kept.
@Suite struct SchemaMigrationTests {
    let employees = ModelCatalog.shared.model(.hris, "employees")!

    /// A database as a build at `version` left it, with two employees and a ledger row when
    /// the ledger existed.
    func makeDatabase(_ path: String, version: Int, withoutColumn dropped: String? = nil) throws {
        let database = try SQLiteDatabase(path: path)
        try database.execute(MirrorSchema.bookkeepingDDL)
        for migration in MirrorSchema.migrations(.shared) where migration.version <= version {
            for statement in migration.statements { try database.execute(statement) }
            try database.query("INSERT INTO _schema_migrations VALUES (?, '2026-01-01T00:00:00.000Z', ?)",
                               [.integer(Int64(migration.version)), .text(migration.description)])
        }
        if let dropped {
            // The table as a catalog without that field created it.
            try database.execute("DROP TABLE hris_employees")
            let ddl = MirrorSchema.createTable(for: employees).split(separator: "\n")
                .filter { !$0.contains("\"\(dropped)\" ") }.joined(separator: "\n")
            try database.execute(ddl)
        }
        for id in ["e1", "e2"] {
            try database.query(#"INSERT INTO hris_employees ("_connector", "id", "first_name", "_record", "_synced_at") VALUES ('acme', ?, 'Ana', ?, 'T0')"#,
                               [.text(id), .text(#"{"id":"\#(id)","first_name":"Ana"}"#)])
        }
        if version >= 2 {
            try database.query("""
                INSERT INTO _sync_state (connector, model, walk_status, walk_mode, walk_marks_deletions, walk_started_at, walk_params,
                                         walk_pages, walk_records, watermark, updated_at)
                VALUES ('acme', 'hris/employees', 'complete', 'full', 1, 'T0', '[]', 1, 2, '2026-01-01T00:00:00Z', 'T0')
                """)
        }
    }

    func appliedVersions(_ store: MirrorStore) throws -> [Int64] {
        try store.query("SELECT version FROM _schema_migrations ORDER BY version").compactMap { $0[0].integer }
    }

    @Test(arguments: [1, 2])
    func anOlderVersionMigratesForwardAndKeepsEveryRow(_ version: Int) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        try makeDatabase(path, version: version)
        let store = try MirrorStore(path: path)
        #expect(try appliedVersions(store) == (1...MirrorSchema.version).map(Int64.init))
        #expect(try store.rowCounts(employees) == ["acme": 2])
        #expect(try store.query(#"SELECT "first_name", "_record" FROM hris_employees WHERE id = 'e1'"#).first
            == [.text("Ana"), .text(#"{"id":"e1","first_name":"Ana"}"#)])
        if version >= 2 {
            #expect(try store.pullState(connector: "acme", model: employees)?.watermark == "2026-01-01T00:00:00Z")
        }
        #expect(try store.query("SELECT COUNT(*) FROM _privacy").first == [.integer(0)])  // version 3's table
    }

    @Test func aFieldTheCatalogGainedGetsItsColumnAndTheRowsStay() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        try makeDatabase(path, version: MirrorSchema.version, withoutColumn: "avatar")
        let store = try MirrorStore(path: path)
        #expect(store.addedColumns == [#"ALTER TABLE "hris_employees" ADD COLUMN "avatar" TEXT"#])
        let columns = try store.query("SELECT name FROM pragma_table_info('hris_employees')").compactMap { $0[0].text }
        #expect(columns.contains("avatar"))
        #expect(try store.rowCounts(employees) == ["acme": 2])
        // The writer fills the new column from then on.
        try store.write(page: PageScanner.scan(pageJSON([#"{"id":"e1","avatar":"https://a.example/1.png"}"#], cursor: nil)),
                        model: employees, connector: "acme")
        #expect(try store.query(#"SELECT "avatar" FROM hris_employees WHERE id = 'e1'"#).first == [.text("https://a.example/1.png")])
        #expect(try MirrorStore(path: path).addedColumns.isEmpty)
    }

    @Test func aColumnTheCatalogNoLongerListsIsKept() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        try makeDatabase(path, version: MirrorSchema.version)
        let database = try SQLiteDatabase(path: path)
        try database.execute(#"ALTER TABLE hris_employees ADD COLUMN "legacy_field" TEXT"#)
        try database.execute(#"UPDATE hris_employees SET "legacy_field" = 'kept'"#)
        let store = try MirrorStore(path: path)
        #expect(try store.query(#"SELECT COUNT(*) FROM hris_employees WHERE "legacy_field" = 'kept'"#).first == [.integer(2)])
    }
}
