import Foundation
import Testing
@testable import BindbeeSync

/// `bindbee-sync verify` with the built binary: a freshly synced mirror passes; a duplicated
/// key, a missing column and a missing table each fail it (exit 1) with a line naming the
/// table; a missing file is bad input and is not created.
@Suite(.serialized) struct VerifyCommandTests {
    func copy(_ source: String, _ target: String) throws -> String {
        try FileManager.default.copyItem(atPath: source, toPath: target)
        return target
    }

    @Test func aFreshMirrorPassesAndEachBreakageIsNamed() throws {
        let dir = try ScratchDirectory()
        let db = dir.path("demo.sqlite")
        let synced = try BinaryRunner.run(["run", "jobs/nightly.json", "--config", "config/sandbox.json", "--db", db])
        #expect(synced.status == 0, "\(synced.all)")
        let before = try Data(contentsOf: URL(fileURLWithPath: db))

        let clean = try BinaryRunner.run(["verify", "--db", db])
        #expect(clean.status == 0, "\(clean.all)")
        let store = try MirrorStore(path: db)
        var rows: Int64 = 0
        for table in try store.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'") {
            rows += try store.query("SELECT COUNT(*) FROM \(MirrorSchema.quote(table[0].text!))").first?.first?.integer ?? 0
        }
        #expect(rows > 2000)
        #expect(clean.stdout == "verify: \(db): ok: \(ModelCatalog.shared.models.count + 6) tables, \(rows) rows, integrity ok, no duplicate keys\n")
        // Read-only: the database file is unchanged.
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == before)

        // A table rebuilt without its primary key, then a row inserted twice.
        let duplicated = try copy(db, dir.path("duplicated.sqlite"))
        do {
            let database = try SQLiteDatabase(path: duplicated)
            let model = try #require(ModelCatalog.shared.model(.hris, "employees"))
            try database.execute("ALTER TABLE hris_employees RENAME TO old")
            try database.execute(MirrorSchema.createTable(for: model).replacingOccurrences(of: ",\n  PRIMARY KEY (\"_connector\", \"id\")", with: ""))
            try database.execute("INSERT INTO hris_employees SELECT * FROM old; DROP TABLE old")
            try database.execute("INSERT INTO hris_employees SELECT * FROM hris_employees WHERE _connector = 'acme-hris' ORDER BY id LIMIT 1")
        }
        let dup = try BinaryRunner.run(["verify", "--db", duplicated])
        #expect(dup.status == 1, "\(dup.all)")
        #expect(dup.stdout.contains("problem: hris_employees: the primary key is missing, expected (_connector, id)"), "\(dup.stdout)")
        #expect(dup.stdout.contains("problem: hris_employees: 1 key (_connector, id) is held by more than one row (1 extra), e.g. (acme-hris, "), "\(dup.stdout)")
        #expect(dup.stdout.hasSuffix("verify: \(duplicated): 2 problems found\n"), "\(dup.stdout)")

        // A column dropped.
        let noColumn = try copy(db, dir.path("no-column.sqlite"))
        try SQLiteDatabase(path: noColumn).execute("ALTER TABLE ats_candidates DROP COLUMN last_name")
        let column = try BinaryRunner.run(["verify", "--db", noColumn])
        #expect(column.status == 1)
        #expect(column.stdout == "problem: ats_candidates: column \"last_name\": is missing (expected TEXT)\nverify: \(noColumn): 1 problem found\n", "\(column.stdout)")

        // A table dropped.
        let noTable = try copy(db, dir.path("no-table.sqlite"))
        try SQLiteDatabase(path: noTable).execute("DROP TABLE lms_courses")
        let table = try BinaryRunner.run(["verify", "--db", noTable])
        #expect(table.status == 1)
        #expect(table.stdout == "problem: lms_courses: table is missing\nverify: \(noTable): 1 problem found\n", "\(table.stdout)")
    }

    @Test func aMissingDatabaseIsBadInputAndIsNotCreated() throws {
        let dir = try ScratchDirectory()
        let outcome = try BinaryRunner.run(["verify", "--db", dir.path("none.sqlite")])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("\(dir.path("none.sqlite")): no such database"), "\(outcome.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
        let noFlag = try BinaryRunner.run(["verify"])
        #expect(noFlag.status == 2)
        #expect(noFlag.stderr.contains("bindbee-sync verify: --db: is required"))
    }
}
