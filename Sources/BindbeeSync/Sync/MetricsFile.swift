import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One (connector, model) pair: how the metrics name a pull.
public struct PullKey: Hashable, Sendable {
    public let connector: String
    /// The qualified name, `hris/employees`.
    public let model: String

    public init(connector: String, model: String) {
        self.connector = connector
        self.model = model
    }
}

/// What `--metrics-file` exports about one run: the run's outcome and, per pull, its counts
/// and how fresh the mirror is. A batch job has no endpoint to scrape, so node_exporter's
/// textfile collector reads this file instead; the values stay until the next run replaces
/// them.
public struct RunMetrics: Sendable {
    /// The `sync_job` label: the job file's name (`nightly` for `jobs/nightly.json`), so runs of
    /// several jobs can write several files without their series colliding.
    public let job: String
    public let started: Date
    public let finished: Date
    public let exitCode: Int32
    public let pulls: [PullResult]
    /// When each pull last completed, this run or an earlier one (from `_sync_state`).
    public let lastSuccess: [PullKey: Date]

    public init(job: String, started: Date, finished: Date, exitCode: Int32, pulls: [PullResult], lastSuccess: [PullKey: Date]) {
        self.job = job
        self.started = started
        self.finished = finished
        self.exitCode = exitCode
        self.pulls = pulls
        self.lastSuccess = lastSuccess
    }

    /// The `sync_job` label for a job file: its name without directory and `.json`; `default`
    /// for a run without a job file.
    public static func jobLabel(source: String) -> String {
        guard !source.hasPrefix("<") else { return "default" }
        let name = URL(fileURLWithPath: source).lastPathComponent
        return name.hasSuffix(".json") ? String(name.dropLast(5)) : name
    }

    /// The run as Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE`
    /// before each family's samples, every family once, label values escaped, no timestamps.
    /// Pulls are sorted by connector and model, so the same run always renders the same text.
    public func rendered() -> String {
        var out = ""
        let job = ("sync_job", self.job)
        func family(_ name: String, _ help: String, _ samples: [([(String, String)], Double)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) gauge\n"
            for (labels, value) in samples {
                out += name + "{" + labels.map { "\($0.0)=\"\(backslashEscaped($0.1))\"" }.joined(separator: ",") + "} " + Self.format(value) + "\n"
            }
        }
        let succeeded = exitCode == 0
        family("bindbee_sync_run_success", "1 when the last run exited 0 (every planned pull finished), else 0.",
               [([job], succeeded ? 1 : 0)])
        family("bindbee_sync_run_status", "The last run's status: 1 on the series of its status, 0 on the others.",
               ["succeeded", "failed"].map { ([job, ("status", $0)], ($0 == "succeeded") == succeeded ? 1 : 0) })
        family("bindbee_sync_run_exit_code", "The last run's exit status (0 ok, 1 some pull failed).", [([job], Double(exitCode))])
        family("bindbee_sync_run_start_timestamp_seconds", "When the last run started (Unix seconds).",
               [([job], started.timeIntervalSince1970)])
        family("bindbee_sync_run_end_timestamp_seconds", "When the last run ended (Unix seconds).",
               [([job], finished.timeIntervalSince1970)])
        family("bindbee_sync_run_duration_seconds", "How long the last run took.", [([job], finished.timeIntervalSince(started))])
        let results: [PullResult.Status] = [.succeeded, .failed, .skipped, .unhealthy]
        family("bindbee_sync_run_pulls", "Pulls of the last run by result.",
               results.map { status in ([job, ("result", status.rawValue)], Double(pulls.filter { $0.status == status }.count)) })

        let sorted = pulls.sorted { ($0.connector, $0.model.qualifiedName) < ($1.connector, $1.model.qualifiedName) }
        func perPull(_ name: String, _ help: String, _ value: (PullResult) -> Double?) {
            family(name, help, sorted.compactMap { pull in
                value(pull).map { ([job, ("connector", pull.connector), ("model", pull.model.qualifiedName)], $0) }
            })
        }
        func last(_ pull: PullResult) -> Date? { lastSuccess[PullKey(connector: pull.connector, model: pull.model.qualifiedName)] }
        perPull("bindbee_sync_pull_success", "1 when the pull finished in the last run, else 0 (failed or skipped).") {
            $0.status == .succeeded ? 1 : 0
        }
        perPull("bindbee_sync_pull_records", "Records fetched and written by the pull in the last run.") { Double($0.records) }
        perPull("bindbee_sync_pull_pages", "Pages fetched and written by the pull in the last run.") { Double($0.pages) }
        perPull("bindbee_sync_pull_deleted", "Rows the pull marked deleted in the last run.") { Double($0.deleted) }
        perPull("bindbee_sync_pull_requests", "HTTP requests the pull sent in the last run, retries included.") { Double($0.requests.requests) }
        perPull("bindbee_sync_pull_retries", "Requests the pull sent again after a failure in the last run.") { Double($0.requests.retries) }
        perPull("bindbee_sync_pull_throttled", "429 Too Many Requests answers the pull received in the last run.") {
            Double($0.requests.throttled)
        }
        perPull("bindbee_sync_pull_duration_seconds", "How long the pull took in the last run.") { $0.seconds }
        perPull("bindbee_sync_pull_last_success_timestamp_seconds",
                "When the pull last completed (Unix seconds), in the last run or an earlier one; absent if it never did.") {
            last($0)?.timeIntervalSince1970
        }
        perPull("bindbee_sync_pull_data_age_seconds",
                "Seconds from the pull's last completion to the end of the last run; absent if it never completed.") {
            last($0).map { max(0, finished.timeIntervalSince($0)) }
        }
        return out
    }

    /// Help text: `\` and newline escaped.
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// Whole numbers without a fraction, others in Swift's shortest exact form; `NaN`, `+Inf`, `-Inf`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// Writes the metrics file the way the textfile collector expects: the text goes to
/// `PATH.tmp.<pid>` in the same directory, is fsynced and then renamed over `PATH`, so a
/// scrape sees the old file or the new one, never half of one.
public enum MetricsFile {
    /// Why the file could not be written.
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let step: String
        public let code: Int32
        public var description: String { "cannot write the metrics file \(path): \(step): \(String(cString: strerror(code)))" }
    }

    /// Replaces `path` with `text`. A new file gets mode 0600; an existing file keeps its mode
    /// (so an operator who made it readable for node_exporter's user keeps that).
    public static func write(_ text: String, to path: String) throws(WriteError) {
        let temporary = "\(path).tmp.\(getpid())"
        var mode: mode_t = 0o600
        var existing = stat()
        if stat(path, &existing) == 0, existing.st_mode & S_IFMT == S_IFREG { mode = existing.st_mode & 0o777 }
        unlink(temporary)  // a leftover of a crashed run with the same pid
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw WriteError(path: path, step: "create \(temporary)", code: errno) }
        func fail(_ step: String) -> WriteError {
            let error = WriteError(path: path, step: step, code: errno)
            close(fd)
            unlink(temporary)
            return error
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw fail("write")
            }
            written += count
        }
        if mode != 0o600, fchmod(fd, mode) != 0 { throw fail("chmod") }
        guard fsync(fd) == 0 else { throw fail("fsync") }
        guard close(fd) == 0 else {
            let error = WriteError(path: path, step: "close", code: errno)
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = WriteError(path: path, step: "rename", code: errno)
            unlink(temporary)
            throw error
        }
        // Make the rename itself durable (best effort: not every file system allows it).
        let directory = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
