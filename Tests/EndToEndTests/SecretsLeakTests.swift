import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// The API key and the tokens, read from a secrets file, never leave the process: not in
/// stdout or stderr (logfmt or JSON, normal or verbose), not in the metrics file, not in the
/// database or its WAL, not in what `status` and `verify` print, even when a token is refused
/// (401) and the network fails in every way. A secrets file others can read is refused without
/// printing what it holds.
@Suite(.serialized) struct SecretsLeakTests {
    /// `(what, bytes)` holding none of `secrets`.
    func expectNoSecret(_ captured: [(String, Data)], _ secrets: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in secrets {
            for (name, bytes) in captured {
                #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(name) holds a secret", sourceLocation: sourceLocation)
            }
        }
    }

    /// Every file of the fixture's directory but the secrets file itself.
    func files(_ fixture: OperationsFixture) throws -> [(String, Data)] {
        try FileManager.default.contentsOfDirectory(atPath: fixture.dir.url.path).sorted().filter { $0 != "secrets.env" }.map { name in
            (name, try Data(contentsOf: fixture.dir.url.appendingPathComponent(name)))
        }
    }

    @Test(arguments: [[], ["--verbose"], ["--log-format", "json"], ["--verbose", "--log-format", "json"]])
    func noSecretReachesAnyOutputOrFile(_ flags: [String]) throws {
        let fixture = try OperationsFixture(seed: 61, faults: .quickMatrix(rate: 0.25, seed: 7), refusedConnector: true)
        defer { fixture.stop() }
        // The check can see a secret where there is one.
        let secretsBytes = try Data(contentsOf: URL(fileURLWithPath: fixture.secretsPath))
        for secret in fixture.secrets { #expect(secretsBytes.range(of: Data(secret.utf8)) != nil) }

        let outcome = try fixture.run(flags + ["--metrics-file", fixture.dir.path("bindbee.prom"),
                                               "--model", "employees", "--model", "candidates", "--model", "users", "--model", "companies"])
        #expect(outcome.status == 1, "the refused connector fails the run: \(outcome.all)")
        #expect(outcome.stdout.contains("FAILED \(OperationsFixture.wrongConnector) hris/"))
        #expect(outcome.stdout.contains("HTTP 401"))
        #expect(outcome.stdout.split(separator: "\n").contains { $0.hasPrefix("total") && !$0.hasSuffix(" 0") }, "the faults cause 429s: \(outcome.stdout)")
        let status = try BinaryRunner.run(["status", "--db", fixture.db])
        #expect(status.status == 0)
        #expect(status.stdout.contains(OperationsFixture.wrongConnector))
        let verify = try BinaryRunner.run(["verify", "--db", fixture.db])
        #expect(verify.status == 0, "\(verify.all)")
        let captured = [("stdout", outcome.stdout), ("stderr", outcome.stderr), ("status", status.all), ("verify", verify.all)]
            .map { ($0.0, Data($0.1.utf8)) } + (try files(fixture))
        #expect(Set(captured.map(\.0)).isSuperset(of: ["mirror.sqlite", "mirror.sqlite.lock", "bindbee.prom", "config.json"]))
        expectNoSecret(captured, fixture.secrets)
    }

    @Test func aKilledRunLeavesNoSecretInTheDatabaseOrItsWAL() throws {
        let fixture = try OperationsFixture(seed: 62, refusedConnector: true)
        defer { fixture.stop() }
        // A slow budget keeps the run going; kill it once pages are committed, leaving its -wal.
        let slow = fixture.dir.path("slow.json")
        try Data(try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            .replacingOccurrences(of: #""rate_limit": {"requests": 100000, "per_seconds": 60}"#, with: #""rate_limit": {"requests": 10, "per_seconds": 1}"#).utf8)
            .write(to: URL(fileURLWithPath: slow))
        let process = try BinaryRunner.start(["run", "--config", slow, "--db", fixture.db, "--verbose", "--log-format", "json"],
                                             log: fixture.dir.path("run.log"))
        let deadline = Date().addingTimeInterval(60)
        var pages: Int64 = 0
        while process.isRunning, Date() < deadline, pages < 5 {
            Thread.sleep(forTimeInterval: 0.05)
            pages = (try? SQLiteDatabase(path: fixture.db, readOnly: true).scalar("SELECT COALESCE(SUM(walk_pages), 0) FROM _sync_state"))??.integer ?? 0
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run finished before it could be killed")
        let left = try files(fixture)
        #expect(left.contains { $0.0 == "mirror.sqlite-wal" && !$0.1.isEmpty }, "\(left.map(\.0))")
        expectNoSecret(left, fixture.secrets)
    }

    @Test(arguments: [
        (0o644, "the secrets file is readable or writable by group or others (mode 0644); chmod 600 it"),
        (0o640, "the secrets file is readable or writable by group or others (mode 0640); chmod 600 it"),
    ])
    func aSecretsFileOthersCanReadIsRefused(_ mode: Int, _ expected: String) throws {
        let fixture = try OperationsFixture(seed: 63)
        defer { fixture.stop() }
        #expect(chmod(fixture.secretsPath, mode_t(mode)) == 0)
        let outcome = try fixture.run()
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("error: \(fixture.secretsPath): \(expected)"), "\(outcome.stderr)")
        expectNoSecret([("stdout", Data(outcome.stdout.utf8)), ("stderr", Data(outcome.stderr.utf8))], fixture.secrets)
        #expect(!FileManager.default.fileExists(atPath: fixture.db))
    }

    @Test func aMalformedSecretsFileNamesTheLineNotTheValue() throws {
        let fixture = try OperationsFixture(seed: 64)
        defer { fixture.stop() }
        // The third line loses its '=': the whole token is now the line.
        var lines = try String(contentsOfFile: fixture.secretsPath, encoding: .utf8).split(separator: "\n").map(String.init)
        let token = try #require(fixture.sandbox.connectors.first?.token)
        lines[2] = token
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: fixture.secretsPath))
        let outcome = try fixture.run()
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("error: \(fixture.secretsPath): line 3: expected NAME=value"), "\(outcome.stderr)")
        expectNoSecret([("stdout", Data(outcome.stdout.utf8)), ("stderr", Data(outcome.stderr.utf8))], fixture.secrets)
    }
}
