import BindbeeSandbox
import BindbeeSync
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `bindbee-sync sandbox`: serves the embedded imitation of the Bindbee API on 127.0.0.1 until
/// interrupted, so the worker (or curl) can be pointed at it like at the real API.
enum SandboxCommand {
    static let spec = ArgumentSpec(command: "sandbox", valueOptions: ["--port", "--seed"])

    static let help = """
        Usage: bindbee-sync sandbox [--port N] [--seed N]

        Serves an imitation of the Bindbee API on http://127.0.0.1:PORT (loopback only) with
        deterministic demo data, until interrupted (Ctrl-C or SIGTERM).

          --port N    TCP port, 0 for any free one (default 8080)
          --seed N    data seed (default 1); the same seed always serves the same data
          --help      this text

        The API key and the demo connectors' tokens are in config/sandbox-server.json, a config
        that points the worker at this server: bindbee-sync run --config config/sandbox-server.json --db FILE
        """

    static func main(_ arguments: [String], output: CommandOutput) -> Int32 {
        let port: Int
        let seed: Int
        do {
            let parsed = try ParsedArguments.parse(arguments, spec: spec)
            if parsed.has("--help") {
                output.out(help)
                return ExitCode.ok
            }
            port = try parsed.int("--port", range: 0...65535, command: "sandbox") ?? 8080
            seed = try parsed.int("--seed", range: 0...Int(Int32.max), command: "sandbox") ?? 1
        } catch {
            output.err("error: \(error)\nRun 'bindbee-sync sandbox --help' for usage.")
            return ExitCode.badInput
        }
        let sandbox: Sandbox
        do {
            sandbox = try Sandbox(seed: UInt64(seed), port: UInt16(port))
        } catch {
            output.err("error: cannot start the sandbox on port \(port): \(error)")
            return ExitCode.failed
        }
        output.out("sandbox listening on \(sandbox.baseURL.absoluteString) (seed \(seed)); Ctrl-C stops it")
        for connector in sandbox.connectors {
            output.out("  connector \(connector.name) (\(connector.category.rawValue))")
        }
        let stopped = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stopped.signal() }
            source.resume()
            sources.append(source)
        }
        stopped.wait()
        sandbox.stop()
        output.out("sandbox stopped")
        return ExitCode.ok
    }
}
