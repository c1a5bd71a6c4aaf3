import BindbeeSync
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `bindbee-sync benchmark fetch|store`: the worker's own halves of a sync, measured apart, for
/// `benchmarks/run` ("where the time goes"). `fetch` walks every configured pull with the
/// worker's client and page scanner and keeps nothing; `store` reads pages saved on disk into
/// memory first (not measured), then writes them through the mirror's writer exactly as a full
/// sync would (walk positions, batches, commits). Each prints one JSON line with its wall
/// time, the process's user and system CPU for that phase alone, and its peak RSS.
enum BenchmarkCommand {
    static let spec = ArgumentSpec(command: "benchmark", valueOptions: ["--config", "--pages", "--db", "--model", "--concurrency"],
                                   maxPositionals: 1)

    static let help = """
        Usage: bindbee-sync benchmark fetch --config FILE [--concurrency N]
               bindbee-sync benchmark store --pages DIR --db FILE [--model hris/employees]

        Measures one half of a sync (used by benchmarks/run; prints one JSON line).
          fetch    walk every pull of the config (full mode) with the worker's client and
                   scanner, store nothing
          store    load DIR/<connector>-<NNNNNN>.json (pages as the API sent them) into memory,
                   then write them into a fresh mirror FILE through the worker's writer
        """

    static func main(_ arguments: [String], output: CommandOutput) -> Int32 {
        let parsed: ParsedArguments
        do {
            parsed = try ParsedArguments.parse(arguments, spec: spec)
        } catch {
            output.err("error: \(error)\nRun 'bindbee-sync benchmark --help' for usage.")
            return ExitCode.badInput
        }
        if parsed.has("--help") {
            output.out(help)
            return ExitCode.ok
        }
        do {
            switch parsed.positionals.first {
            case "fetch":
                guard let configPath = parsed.value("--config") else { throw InputError(source: "bindbee-sync benchmark", field: "--config", "is required") }
                var config = try ConfigLoader.load(path: configPath)
                if let concurrency = try parsed.int("--concurrency", range: 1...64, command: "benchmark") { config.concurrency = concurrency }
                output.out(try fetch(config))
            case "store":
                guard let pages = parsed.value("--pages"), let db = parsed.value("--db") else {
                    throw InputError(source: "bindbee-sync benchmark store", field: "--pages/--db", "are required")
                }
                let name = parsed.value("--model") ?? "hris/employees"
                guard let model = ModelCatalog.shared.models.first(where: { $0.qualifiedName == name }) else {
                    throw InputError(source: "bindbee-sync benchmark store", field: "--model", "\(name) is not a list model")
                }
                output.out(try store(pagesIn: pages, database: db, model: model))
            default:
                throw InputError(source: "bindbee-sync benchmark", "expected fetch or store")
            }
            return ExitCode.ok
        } catch let error as InputError {
            output.err("error: \(error)")
            return ExitCode.badInput
        } catch {
            output.err("error: \(error)")
            return ExitCode.failed
        }
    }

    /// Walks every pull of `config`, `concurrency` at a time, scanning each page and dropping it.
    static func fetch(_ config: SyncConfig) throws -> String {
        // The same client a run builds (and the embedded sandbox, when the config asks for it).
        let session = try APIEndpointSession.open(config, redactor: Redactor(config.secrets), log: RunLog(redactor: Redactor(), sink: { _ in }))
        defer { session.close() }
        let client = session.client
        let plans = try Planner.plan(job: JobDefinition(mode: .full), config: config)
        let next = Locked(0)
        let totals = Locked<(pages: Int, records: Int, bytes: Int, failure: Error?)>((0, 0, 0, nil))
        let phase = Phase()
        let group = DispatchGroup()
        for worker in 0..<min(config.concurrency, plans.count) {
            DispatchQueue(label: "bindbee-sync.benchmark-\(worker)").async(group: group) {
                while let index = next.withLock({ taken -> Int? in
                    defer { taken += 1 }
                    return taken < plans.count ? taken : nil
                }) {
                    let plan = plans[index]
                    let query = ListQuery(path: plan.model.path, token: plan.connector.token, connector: plan.connector.name,
                                          pageSize: config.pageSize, parameters: plan.queryParameters(modifiedAfter: nil))
                    do {
                        _ = try client.walk(query) { page, _, _ in
                            totals.withLock { $0.pages += 1; $0.records += page.items.count; $0.bytes += page.body.count }
                        }
                    } catch {
                        totals.withLock { $0.failure = $0.failure ?? error }
                    }
                }
            }
        }
        group.wait()
        let result = totals.withLock { $0 }
        if let failure = result.failure { throw failure }
        return phase.report(mode: "fetch", pages: result.pages, records: result.records, bytes: result.bytes)
    }

    /// Writes the saved pages of every connector into a fresh mirror, pages of different
    /// connectors interleaved as concurrent pulls would hand them over.
    static func store(pagesIn directory: String, database: String, model: ModelSpec) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        var byConnector: [String: [ScannedPage]] = [:]
        var bytes = 0
        for name in names {
            guard let dash = name.lastIndex(of: "-") else { continue }
            let body = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name)))
            bytes += body.count
            byConnector[String(name[..<dash]), default: []].append(try PageScanner.scan(body))
        }
        guard !byConnector.isEmpty else { throw InputError(source: directory, "no <connector>-<NNNNNN>.json pages") }
        let phase = Phase()
        let store = try MirrorStore(path: database)
        var walks: [String: WalkPosition] = [:]
        for connector in byConnector.keys.sorted() {
            let plan = PullPlan(connector: ConnectorConfig(name: connector, category: model.category, token: Secret("unused")), model: model, mode: .full)
            walks[connector] = try store.beginWalk(connector: connector, model: model, spec: plan.walkSpec(state: nil, pageSize: 200))
        }
        let done = DispatchGroup()
        let failure = Locked<Error?>(nil)
        var pages = 0
        var records = 0
        let deepest = byConnector.values.map(\.count).max() ?? 0
        for index in 0..<deepest {
            for connector in byConnector.keys.sorted() {
                guard let connectorPages = byConnector[connector], index < connectorPages.count else { continue }
                let page = connectorPages[index]
                pages += 1
                records += page.items.count
                done.enter()
                store.enqueueWrite(page: page, model: model, connector: connector, walk: walks[connector]) { result in
                    if case .failure(let error) = result { failure.withLock { $0 = $0 ?? error } }
                    done.leave()
                }
            }
        }
        store.flush()
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
        return phase.report(mode: "store", pages: pages, records: records, bytes: bytes)
    }

    /// Wall time and this process's CPU from its start to `report`.
    final class Phase {
        private let started = DispatchTime.now()
        private let usage = Phase.rusage()

        static func rusage() -> rusage {
            var usage = Glibc.rusage()
            getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
            return usage
        }

        static func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }

        func report(mode: String, pages: Int, records: Int, bytes: Int) -> String {
            let now = Phase.rusage()
            let wall = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            let user = Phase.seconds(now.ru_utime) - Phase.seconds(usage.ru_utime)
            let system = Phase.seconds(now.ru_stime) - Phase.seconds(usage.ru_stime)
            let fields: [(String, JSONValue)] = [
                ("mode", .string(mode)), ("pages", .int(Int64(pages))), ("records", .int(Int64(records))),
                ("bytes", .int(Int64(bytes))), ("seconds", .double(wall)), ("user", .double(user)), ("sys", .double(system)),
                ("max_rss_kb", .int(Int64(now.ru_maxrss))),
            ]
            return JSONValue.object(JSONObject(fields)).serialized
        }
    }
}
