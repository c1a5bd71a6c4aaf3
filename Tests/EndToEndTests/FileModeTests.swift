import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// What a run creates is for its owner only, whatever umask it was started with: the
/// database, its `-wal` and `-shm`, the lock file and the metrics file are 0600. Files that
/// exist keep their modes.
@Suite(.serialized) struct FileModeTests {
    func mode(_ path: String) -> mode_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : nil
    }

    @Test func aRunStartedWithUmask022CreatesEveryFileMode0600() throws {
        let fixture = try OperationsFixture(seed: 51)
        defer { fixture.stop() }
        // Under the same wrapper a plain file gets 0644: the umask really is 022.
        let control = Process()
        control.executableURL = URL(fileURLWithPath: "/bin/sh")
        control.arguments = ["-c", "umask 022 && : > \"$0\"", fixture.dir.path("control")]
        try control.run()
        control.waitUntilExit()
        #expect(mode(fixture.dir.path("control")) == 0o644)

        // A throttled budget keeps the run going long enough to see its -wal and -shm.
        let slow = fixture.dir.path("slow.json")
        try Data(try String(contentsOfFile: fixture.configPath, encoding: .utf8)
            .replacingOccurrences(of: #""rate_limit": {"requests": 100000, "per_seconds": 60}"#, with: #""rate_limit": {"requests": 15, "per_seconds": 1}"#).utf8)
            .write(to: URL(fileURLWithPath: slow))
        let db = fixture.db
        let metrics = fixture.dir.path("bindbee.prom")
        let process = try BinaryRunner.start(["run", "--config", slow, "--db", db, "--metrics-file", metrics,
                                              "--connector", "acme-hris", "--model", "employees"],
                                             log: fixture.dir.path("run.log"), umask: "022")
        var seen: [String: mode_t] = [:]
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, seen.count < 2 {
            for suffix in ["-wal", "-shm"] where seen[suffix] == nil {
                if let found = mode(db + suffix) { seen[suffix] = found }
            }
            Thread.sleep(forTimeInterval: 0.005)
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(String(decoding: FileManager.default.contents(atPath: fixture.dir.path("run.log")) ?? Data(), as: UTF8.self))")
        #expect(seen == ["-wal": 0o600, "-shm": 0o600], "seen while the run wrote: \(seen)")
        for path in [db, RunLock.path(forDatabase: db), metrics] {
            #expect(mode(path) == 0o600, "\(path)")
        }
        for suffix in ["-wal", "-shm"] {
            if let left = mode(db + suffix) { #expect(left == 0o600) }
        }

        // Files that exist keep their modes.
        #expect(chmod(db, 0o640) == 0 && chmod(metrics, 0o644) == 0)
        let again = try BinaryRunner.run(["run", "--config", fixture.configPath, "--db", db, "--metrics-file", metrics,
                                          "--connector", "acme-hris", "--model", "employees"], umask: "022")
        #expect(again.status == 0, "\(again.all)")
        #expect(mode(db) == 0o640)
        #expect(mode(metrics) == 0o644)
    }

    @Test func aMissingDatabaseDirectoryIsBadInputAndNothingIsCreated() throws {
        let dir = try ScratchDirectory()
        let outcome = try BinaryRunner.run(["run", "--config", "config/sandbox.json", "--db", dir.path("missing/m.sqlite")])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--db: the directory \(dir.path("missing")) does not exist"), "\(outcome.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).isEmpty)
    }
}
