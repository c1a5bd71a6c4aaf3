import BindbeeSync
import Foundation

/// The process's exit statuses (documented in the README).
public enum ExitCode {
    public static let ok: Int32 = 0
    /// Some pull failed (or the run could not start its sandbox); `verify` found a problem.
    public static let failed: Int32 = 1
    /// Bad input: config, job file or flags.
    public static let badInput: Int32 = 2
    /// Another run holds the database.
    public static let locked: Int32 = 3
}

/// Where a command writes: stdout for results, stderr for logs and errors. Tests pass their
/// own sinks to capture both.
public struct CommandOutput: Sendable {
    public let outSink: @Sendable (String) -> Void
    public let errSink: @Sendable (String) -> Void

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        self.outSink = out
        self.errSink = err
    }

    public static let standard = CommandOutput(
        out: { FileHandle.standardOutput.write(Data($0.utf8)) },
        err: { FileHandle.standardError.write(Data($0.utf8)) })

    func out(_ text: String) { outSink(text.hasSuffix("\n") ? text : text + "\n") }
    func err(_ text: String) { errSink(text.hasSuffix("\n") ? text : text + "\n") }
}

/// Modes of the files a command creates. The database (and SQLite's `-wal` and `-shm`, which
/// take the database's mode), the lock file and the metrics file hold mirrored HR data or
/// traces of it, so they are created for their owner only. A umask set first thing covers
/// every file, including those SQLite creates itself, which no `open` mode of ours can reach;
/// cron and many shells start with 022, systemd units should say `UMask=0077` too. Files that
/// exist keep their modes: the worker never chmods a user's file. It creates no directories.
enum FileModes {
    /// New files 0600, new directories 0700, whatever umask the process was started with.
    static func restrict() { umask(0o077) }
}

/// `bindbee-sync`: dispatches to the subcommands.
public enum BindbeeCommand {
    static let help = """
        bindbee-sync: a local SQLite mirror of HR, recruiting and learning data from the Bindbee API.

        Usage: bindbee-sync <command> [options]

        Commands:
          run [JOB] --config FILE --db FILE   mirror the configured connectors into FILE
          status --db FILE                    what the ledger says about every connector and model
          verify --db FILE                    check the mirror's integrity, tables, columns and keys
          sandbox [--port N] [--seed N]       serve the embedded imitation of the Bindbee API
          benchmark fetch|store ...           one half of a sync, measured (used by benchmarks/run)

        Run 'bindbee-sync <command> --help' for a command's options.
        """

    /// Runs the command named by `arguments` (without the program name); returns the exit status.
    public static func main(_ arguments: [String], output: CommandOutput = .standard) -> Int32 {
        guard let command = arguments.first else {
            output.err(help)
            return ExitCode.badInput
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "run": return RunCommand.main(rest, output: output)
        case "sandbox": return SandboxCommand.main(rest, output: output)
        case "status": return StatusCommand.main(rest, output: output)
        case "benchmark": return BenchmarkCommand.main(rest, output: output)
        case "verify": return VerifyCommand.main(rest, output: output)
        case "--help", "-h", "help":
            output.out(help)
            return ExitCode.ok
        default:
            output.err("error: unknown command \"\(command)\"\n\n\(help)")
            return ExitCode.badInput
        }
    }
}
