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
        let path: String
        switch ExistingDatabase.parse(arguments, spec: spec, help: help, output: output) {
        case .path(let db): path = db
        case .exit(let status): return status
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
