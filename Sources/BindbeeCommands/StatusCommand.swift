import BindbeeSync
import Foundation

/// `bindbee-sync status`: what the ledger holds, per connector and model.
enum StatusCommand {
    static let spec = ArgumentSpec(command: "status", valueOptions: ["--db"])

    static let help = """
        Usage: bindbee-sync status --db FILE

        Prints the latest runs and, per connector and model: the last run, the walk's state,
        the watermark, live and deleted rows, the age of Bindbee's data and the last error.
        Reads the database without changing it.
        """

    static func main(_ arguments: [String], output: CommandOutput) -> Int32 {
        FileModes.restrict()  // a read-only open of a WAL database may still create its -shm
        let path: String
        do {
            let parsed = try ParsedArguments.parse(arguments, spec: spec)
            if parsed.has("--help") {
                output.out(help)
                return ExitCode.ok
            }
            guard let db = parsed.value("--db") else { throw InputError(source: "bindbee-sync status", field: "--db", "is required") }
            guard FileManager.default.fileExists(atPath: db) else { throw InputError(source: db, "no such database") }
            path = db
        } catch {
            output.err("error: \(error)\nRun 'bindbee-sync status --help' for usage.")
            return ExitCode.badInput
        }
        do {
            output.out(try MirrorStatus.read(path: path).rendered())
            return ExitCode.ok
        } catch {
            output.err("error: \(path): \(error) (is it a bindbee-sync mirror?)")
            return ExitCode.badInput
        }
    }
}
