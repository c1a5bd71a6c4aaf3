import BindbeeSync
import Foundation

/// `bindbee-sync verify`: checks a mirror's integrity and contract (see `MirrorVerifier`),
/// read-only, and says so with its exit status, for a monitoring check or before a restore
/// is put back into service.
enum VerifyCommand {
    static let spec = ArgumentSpec(command: "verify", valueOptions: ["--db"])

    static let help = """
        Usage: bindbee-sync verify --db FILE

        Checks the mirror FILE without changing it: SQLite's integrity check; the schema
        version; every table and column this build creates (one table per model with
        _connector, a column per field, _record, _synced_at, _deleted_at, and the ledger
        tables), with its type, NOT NULL and primary key; and that no (_connector, id) key is
        held by two rows. Prints each problem with its table and column, then a last line.

        Exit status: 0 no problem; 1 some problem; 2 bad input (no such file, flags).
        """

    static func main(_ arguments: [String], output: CommandOutput) -> Int32 {
        let path: String
        switch ExistingDatabase.parse(arguments, spec: spec, help: help, output: output) {
        case .path(let db): path = db
        case .exit(let status): return status
        }
        let report = MirrorVerifier.verify(path: path)
        for problem in report.problems { output.out("problem: \(problem)") }
        if report.isClean {
            output.out("verify: \(path): ok: \(report.tables) tables, \(report.rows) rows, integrity ok, no duplicate keys")
            return ExitCode.ok
        }
        output.out("verify: \(path): \(report.problems.count) problem\(report.problems.count == 1 ? "" : "s") found")
        return ExitCode.failed
    }
}
