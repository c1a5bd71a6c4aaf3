import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// The built binary against the sandbox on loopback: what the mirror holds must be what the
/// sandbox served, table by table, record by record.
@Suite(.serialized) struct EndToEndTests {
    let catalog = ModelCatalog.shared

    @Test func everyTableHoldsExactlyWhatTheSandboxServed() throws {
        let dir = try ScratchDirectory()
        let sandbox = try Sandbox(seed: 7)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox))
        let outcome = try BinaryRunner.run(["run", "--config", configPath, "--db", dir.path("mirror.sqlite")], environment: environment(for: sandbox))
        #expect(outcome.status == 0, "\(outcome.all)")
        for secret in secrets(of: sandbox) { #expect(!outcome.all.contains(secret)) }

        let store = try MirrorStore(path: dir.path("mirror.sqlite"))
        #expect(try expectMirrorEqualsSandbox(store, sandbox) > 1000)
        for model in catalog.models {
            #expect(try store.rowCounts(model).values.reduce(0, +) > 0, "\(model.tableName) is empty")
        }
        // Nothing secret reached the database file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path("mirror.sqlite")))
        for secret in secrets(of: sandbox) { #expect(bytes.range(of: Data(secret.utf8)) == nil) }
    }

    @Test func aSecondRunReplacesRowsInsteadOfDuplicatingThem() throws {
        let dir = try ScratchDirectory()
        let sandbox = try Sandbox(seed: 3)
        defer { sandbox.stop() }
        let configPath = try dir.write("config.json", config(for: sandbox))
        let args = ["run", "--config", configPath, "--db", dir.path("m.sqlite"), "--model", "employees", "--model", "candidates"]
        #expect(try BinaryRunner.run(args, environment: environment(for: sandbox)).status == 0)
        let first = try MirrorStore(path: dir.path("m.sqlite")).query("SELECT COUNT(*), COUNT(DISTINCT _connector || id) FROM hris_employees")
        #expect(try BinaryRunner.run(args, environment: environment(for: sandbox)).status == 0)
        let second = try MirrorStore(path: dir.path("m.sqlite")).query("SELECT COUNT(*), COUNT(DISTINCT _connector || id) FROM hris_employees")
        #expect(first == second)
        #expect(first[0][0] == first[0][1])
        #expect(first[0][0].integer == Int64(sandbox.connectors.filter { $0.category == .hris }.map { sandbox.dataset.records(connector: $0.name, model: "employees").count }.reduce(0, +)))
    }

    @Test func aConnectorWithTheWrongCategoryFailsWhileTheOthersComplete() throws {
        let dir = try ScratchDirectory()
        let sandbox = try Sandbox(seed: 1)
        defer { sandbox.stop() }
        let hris = try #require(sandbox.connectors.first { $0.category == .hris })
        let configPath = try dir.write("config.json", config(for: sandbox, categories: [hris.name: "ats"]))
        let outcome = try BinaryRunner.run(["run", "--config", configPath, "--db", dir.path("m.sqlite"), "--concurrency", "2"],
                                           environment: environment(for: sandbox))
        #expect(outcome.status == 1, "\(outcome.all)")
        #expect(outcome.stdout.contains("FAILED \(hris.name) ats/"))
        #expect(outcome.stdout.contains("HTTP 403"))
        #expect(outcome.stdout.contains("run FAILED"))
        for secret in secrets(of: sandbox) { #expect(!outcome.all.contains(secret)) }
        let store = try MirrorStore(path: dir.path("m.sqlite"))
        for other in sandbox.connectors where other.name != hris.name {
            for model in catalog.models(in: other.category) {
                #expect(try store.rowCounts(model)[other.name] == sandbox.dataset.records(connector: other.name, model: model.model).count,
                        "\(other.name) \(model.tableName)")
            }
        }
        #expect(try store.query("SELECT COUNT(*) FROM ats_candidates WHERE _connector = ?", [.text(hris.name)]).first?.first == .integer(0))
    }

    @Test func theShippedDemoConfigFillsEveryTableFromTheEmbeddedSandbox() throws {
        let dir = try ScratchDirectory()
        let outcome = try BinaryRunner.run(["run", "jobs/nightly.json", "--config", "config/sandbox.json", "--db", dir.path("demo.sqlite")])
        #expect(outcome.status == 0, "\(outcome.all)")
        #expect(outcome.stdout.contains("run succeeded"))
        let store = try MirrorStore(path: dir.path("demo.sqlite"))
        for model in catalog.models {
            #expect(try store.rowCounts(model).values.reduce(0, +) > 0, "\(model.tableName) is empty")
        }
    }

    @Test(arguments: [
        (#"{"sandbox": {}, "connectors": [{"name": "a", "category": "crm", "token": "t"}]}"#, "connectors[0].category: expected one of hris, ats, lms"),
        (#"{"base_url": "https://api.bindbee.dev", "connectors": []}"#, "api_key_env: is required"),
        (#"{"base_url": "https://x.test", "api_key_env": "NOPE_NOT_SET_ANYWHERE", "connectors": []}"#, "environment variable NOPE_NOT_SET_ANYWHERE is not set"),
        (#"{"sandbox": {}, "connectors": [{"name": "a", "category": "hris", "token": "t", "models": ["candidates"]}]}"#, "\"candidates\" is not a hris list model"),
        (#"{"sandbox": {}, "page_size": 500, "connectors": []}"#, "page_size: must be between 1 and 200"),
        (#"{"sandbox": {}, "conectors": []}"#, "conectors: unknown key"),
        (#"{"sandbox": {}, "connectors": [{"name": "a", "category": "hris"}]}"#, "connectors[0].token_env: is required"),
        (#"{"sandbox": {"seed": 1}, "connectors": [{"name": "a", "category": "hris", "token": "x"}, {"name": "a", "category": "ats", "token": "y"}]}"#, "connectors[1].name"),
        (#"{"sandbox": {}, "connectors": [}"#, "invalid JSON"),
    ])
    func badConfigExitsTwoNamingFileAndFieldAndWritesNothing(_ text: String, _ expected: String) throws {
        let dir = try ScratchDirectory()
        let configPath = try dir.write("bad.json", text)
        let outcome = try BinaryRunner.run(["run", "--config", configPath, "--db", dir.path("m.sqlite")])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(configPath), "\(outcome.stderr)")
        #expect(outcome.stderr.contains(expected), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("m.sqlite")))
    }

    @Test(arguments: [
        (["run", "--config"], "--config: needs a value"),
        (["run", "--db", "x.sqlite"], "--config: is required"),
        (["run", "--config", "config/sandbox.json", "--db", "x.sqlite", "--page-size", "0"], "--page-size: expected a whole number from 1 to 200"),
        (["run", "--config", "config/sandbox.json", "--db", "x.sqlite", "--bogus"], "--bogus: unknown option"),
        (["run", "--config", "config/sandbox.json", "--db", "x.sqlite", "--connector", "nobody"], "\"nobody\" is not a connector of config/sandbox.json"),
        (["run", "--config", "config/sandbox.json", "--db", "x.sqlite", "--mode", "sometimes"], "--mode: expected incremental or full"),
        (["run", "no-such-job.json", "--config", "config/sandbox.json", "--db", "x.sqlite"], "no-such-job.json: cannot read the file"),
        (["frobnicate"], "unknown command \"frobnicate\""),
    ])
    func badFlagsExitTwoWithAClearMessage(_ arguments: [String], _ expected: String) throws {
        let dir = try ScratchDirectory()
        let outcome = try BinaryRunner.run(arguments.map { $0 == "x.sqlite" ? dir.path("x.sqlite") : $0 })
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(expected), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("x.sqlite")))
    }

    @Test func everyCommandHasHelp() throws {
        for command in [["--help"], ["run", "--help"], ["sandbox", "--help"], ["status", "--help"], ["verify", "--help"]] {
            let outcome = try BinaryRunner.run(command)
            #expect(outcome.status == 0)
            #expect(outcome.stdout.contains("Usage: bindbee-sync"))
        }
    }
}
