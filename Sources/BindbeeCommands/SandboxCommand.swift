import BindbeeSandbox
import BindbeeSync
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `bindbee-sync sandbox`: serves the embedded imitation of the Bindbee API on 127.0.0.1 until
/// interrupted, so the worker (or curl) can be pointed at it like at the real API, and its
/// admin routes let a demo make the data change between two runs of the worker.
enum SandboxCommand {
    static let spec = ArgumentSpec(command: "sandbox",
                                   valueOptions: ["--port", "--seed", "--rate-limit", "--faults", "--fault-seed", "--stall-seconds",
                                                  "--bench-employees", "--bench-connectors", "--bench-mix",
                                                  "--bench-other-connectors", "--bench-page-size", "--latency-ms"])

    static let help = """
        Usage: bindbee-sync sandbox [--port N] [--seed N] [--rate-limit N]
                                    [--faults KIND=RATE,...] [--fault-seed N] [--stall-seconds S]
               bindbee-sync sandbox --bench-employees N [--bench-connectors N] [--bench-mix N]
                                    [--bench-other-connectors N] [--bench-page-size N] [--latency-ms N]
                                    [--port N] [--seed N]

        Serves an imitation of the Bindbee API on http://127.0.0.1:PORT (loopback only) with
        deterministic demo data, until interrupted (Ctrl-C or SIGTERM).

          --port N           TCP port, 0 for any free one (default 8080)
          --seed N           data seed (default 1); the same seed always serves the same data
          --rate-limit N     requests per minute per connector token (default 200, as Bindbee)
          --faults LIST      inject faults into the list endpoints, e.g. 500=0.05,reset=0.02 or
                             all=0.2 (every kind, rates adding up to 0.2; later entries override).
                             Kinds: 500 (JSON error), 502 (HTML from a gateway), 503 (with
                             Retry-After 0-2 s), reset (headers, then a TCP reset), truncate (200
                             with a cut JSON body), stall (no answer for --stall-seconds), 429 (a
                             burst of 1-4 with Retry-After 0-3 s), short (a page with fewer items
                             and a cursor). Rates are 0 to 1 and add up to at most 1. At most 3
                             faults in a row hit the same request.
          --fault-seed N     fault seed (default 1); the same seed fails the same requests
          --stall-seconds S  how long a stall holds a request (default 5)
          --help             this text

        Benchmark mode (benchmarks/run uses it): large lists served from pages rendered once at
        start-up, no rate limit, no faults, no admin routes beyond the ordinary ones.
          --bench-employees N        employees in total, split evenly over the HRIS connectors
          --bench-connectors N       HRIS connectors (default 4); they all serve the same pages
          --bench-mix N              N records in every other model too, plus ATS and LMS
                                     connectors with N records per model (default 0: employees only)
          --bench-other-connectors N ATS and LMS connectors each with --bench-mix (default 1)
          --bench-page-size N        the page size rendered (default 200); other sizes are served
                                     by the ordinary API
          --latency-ms N             sleep N ms before answering each list request
        Once ready it prints one line "bench {JSON}" with the port, the API key, the connectors
        (name, category, token, models) and the pages, bytes and records rendered.

        The API key and the demo connectors' tokens are in config/sandbox-server.json, a config
        that points the worker at this server: bindbee-sync run --config config/sandbox-server.json --db FILE

        Admin routes make the data change over time (same server, loopback only, API key
        required, JSON in and out, 422 naming the field on bad input; every change is seeded
        and changed records get modified_at = the data's clock):
          POST /_admin/advance                 {"seconds": 3600}: move the data's clock forward
          POST /_admin/mutate                  {"seed": 1, "update": 0.1, "insert": 0.05, "delete": 0.02,
                                               "touch": 0, "connectors": [...], "models": [...]}
                                               update/insert/delete/touch shares of the records
                                               (lists optional); answers the ids per connector/model
          POST /_admin/boundary                {"connector": "acme-hris", "model": "employees", "count": 300}
                                               give COUNT records one modified_at (the clock)
          POST /_admin/connectors              {"name", "category", "token", "origin_id", ...}: a new connector
          POST /_admin/connectors/NAME/health  {"status": "RELINK_NEEDED", "sync_status": "Failed",
                                               "last_sync_start_time": "2026-11-01T00:00:00Z", "is_active": true}
          POST /_admin/expire-cursors          refuse every cursor issued so far
        For example:
          curl -X POST -H 'Authorization: Bearer sbx_demo_api_key' \\
               -d '{"seed": 2, "update": 0.1, "insert": 0.05, "delete": 0.02}' http://127.0.0.1:8080/_admin/mutate
        """

    static func main(_ arguments: [String], output: CommandOutput) -> Int32 {
        let port: Int
        let seed: Int
        let rateLimit: Int
        let faults: FaultPlan
        var bench: BenchServer.Options?
        do {
            let parsed = try ParsedArguments.parse(arguments, spec: spec)
            if parsed.has("--help") {
                output.out(help)
                return ExitCode.ok
            }
            port = try parsed.int("--port", range: 0...65535, command: "sandbox") ?? 8080
            seed = try parsed.int("--seed", range: 0...Int(Int32.max), command: "sandbox") ?? 1
            rateLimit = try parsed.int("--rate-limit", range: 1...1_000_000, command: "sandbox") ?? 200
            faults = try faultPlan(parsed)
            if let employees = try parsed.int("--bench-employees", range: 0...100_000_000, command: "sandbox") {
                bench = BenchServer.Options(
                    employees: employees,
                    hrisConnectors: try parsed.int("--bench-connectors", range: 1...10_000, command: "sandbox") ?? 4,
                    mixRecordsPerModel: try parsed.int("--bench-mix", range: 0...10_000_000, command: "sandbox") ?? 0,
                    otherConnectors: try parsed.int("--bench-other-connectors", range: 1...10_000, command: "sandbox") ?? 1,
                    latencyMilliseconds: try parsed.int("--latency-ms", range: 0...600_000, command: "sandbox") ?? 0,
                    pageSize: try parsed.int("--bench-page-size", range: 1...200, command: "sandbox") ?? 200,
                    seed: UInt64(seed), port: UInt16(port))
            } else {
                for flag in ["--bench-connectors", "--bench-mix", "--bench-other-connectors", "--bench-page-size", "--latency-ms"]
                where parsed.value(flag) != nil {
                    throw InputError(source: "bindbee-sync sandbox", field: flag, "only works with --bench-employees")
                }
            }
        } catch {
            output.err("error: \(error)\nRun 'bindbee-sync sandbox --help' for usage.")
            return ExitCode.badInput
        }
        if let bench { return serveBench(bench, output: output) }
        let sandbox: Sandbox
        do {
            sandbox = try Sandbox(options: Sandbox.Options(seed: UInt64(seed), port: UInt16(port), rateLimit: rateLimit,
                                                           faults: faults))
        } catch {
            output.err("error: cannot start the sandbox on port \(port): \(error)")
            return ExitCode.failed
        }
        output.out("sandbox listening on \(sandbox.baseURL.absoluteString) (seed \(seed)); Ctrl-C stops it")
        let plan = sandbox.faultPlan
        if !plan.isEmpty {
            output.out("  faults \(plan.summary) (fault seed \(plan.seed), stalls of \(plan.stallSeconds) s)")
        }
        for connector in sandbox.connectors {
            output.out("  connector \(connector.name) (\(connector.category.rawValue))")
        }
        output.out("  admin routes: POST \(sandbox.baseURL.absoluteString)/_admin/... (see --help)")
        waitForSignal()
        sandbox.stop()
        output.out("sandbox stopped")
        return ExitCode.ok
    }

    /// Blocks until SIGINT or SIGTERM.
    private static func waitForSignal() {
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
        _ = sources
    }

    /// `--bench-employees`: pre-rendered pages, then one machine-readable line for the harness.
    private static func serveBench(_ options: BenchServer.Options, output: CommandOutput) -> Int32 {
        let bench: BenchServer
        do {
            bench = try BenchServer(options: options)
        } catch {
            output.err("error: cannot start the benchmark sandbox on port \(options.port): \(error)")
            return ExitCode.failed
        }
        let connectors: [JSONValue] = bench.connectors.map { connector in
            .object(JSONObject([("name", .string(connector.name)), ("category", .string(connector.category.rawValue)),
                                ("token", .string(connector.token)),
                                ("models", .array(connector.models.map { .string($0) }))]))
        }
        let records: [(String, JSONValue)] = bench.recordsPerConnector.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { ($0.key.rawValue, JSONValue.int(Int64($0.value))) }
        let info = JSONValue.object(JSONObject([
            ("port", .int(Int64(bench.port))), ("api_key", .string(bench.apiKey)),
            ("pages", .int(Int64(bench.pageCount))),
            ("bytes_per_connector", .object(JSONObject(bench.renderedBytes.sorted { $0.key.rawValue < $1.key.rawValue }
                .map { ($0.key.rawValue, JSONValue.int(Int64($0.value))) }))),
            ("records_per_connector", .object(JSONObject(records))),
            ("setup_seconds", .double(bench.setupSeconds)), ("connectors", .array(connectors)),
        ]))
        output.out("bench \(info.serialized)")
        waitForSignal()
        bench.stop()
        return ExitCode.ok
    }

    /// `--faults`, `--fault-seed` and `--stall-seconds` as a plan; the seed and the stall
    /// length without `--faults` are accepted but change nothing.
    private static func faultPlan(_ parsed: ParsedArguments) throws(InputError) -> FaultPlan {
        let source = "bindbee-sync sandbox"
        var plan = FaultPlan.none
        if let text = parsed.value("--faults") {
            do {
                plan = try FaultPlan.parse(text)
            } catch {
                throw InputError(source: source, field: "--faults", error.description)
            }
        }
        plan.seed = UInt64(try parsed.int("--fault-seed", range: 0...Int.max, command: "sandbox") ?? 1)
        if let text = parsed.value("--stall-seconds") {
            guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 3600 else {
                throw InputError(source: source, field: "--stall-seconds",
                                 "expected seconds from 0 (exclusive) to 3600, found \"\(text)\"")
            }
            plan.stallSeconds = seconds
        }
        return plan
    }
}
