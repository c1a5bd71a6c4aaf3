import Foundation

/// The outcome of a run: every pull's result, the exit status and a summary table.
public struct RunReport: Sendable {
    public let started: Date
    public let finished: Date
    public let results: [PullResult]

    public init(started: Date, finished: Date, results: [PullResult]) {
        self.started = started
        self.finished = finished
        self.results = results
    }

    /// This report with more results (pulls that were planned but not run).
    public func adding(_ more: [PullResult]) -> RunReport {
        RunReport(started: started, finished: finished, results: results + more)
    }

    public var succeeded: [PullResult] { results.filter { $0.status == .succeeded } }
    public var unsuccessful: [PullResult] { results.filter { $0.status != .succeeded } }
    public var records: Int { results.reduce(0) { $0 + $1.records } }
    public var pages: Int { results.reduce(0) { $0 + $1.pages } }
    public var deleted: Int { results.reduce(0) { $0 + $1.deleted } }
    public var retries: Int { results.reduce(0) { $0 + $1.requests.retries } }
    public var throttled: Int { results.reduce(0) { $0 + $1.requests.throttled } }
    public var requests: Int { results.reduce(0) { $0 + $1.requests.requests } }
    public var seconds: Double { finished.timeIntervalSince(started) }

    /// 0 when every planned pull finished (or was skipped as unhealthy on the job's word), 1 otherwise.
    public var exitCode: Int32 { unsuccessful.contains { $0.status != .unhealthy } ? 1 : 0 }

    /// One line per connector (pulls, pages, records, failures), then every failure's reason.
    public func summary() -> String {
        func row(_ label: String, _ pulls: [PullResult]) -> [String] {
            [label, String(pulls.count), String(pulls.filter { $0.status == .succeeded }.count),
             String(pulls.filter { $0.status != .succeeded }.count)]
                + [\PullResult.pages, \.records, \.deleted, \.requests.retries, \.requests.throttled].map { key in
                    String(pulls.reduce(0) { $0 + $1[keyPath: key] })
                }
        }
        let connectors = Array(Set(results.map(\.connector))).sorted()
        let rows = connectors.map { connector in row(connector, results.filter { $0.connector == connector }) } + [row("total", results)]
        let header = ["connector", "pulls", "ok", "failed", "pages", "records", "deleted", "retries", "429s"]
        var lines = [Table.render(header, rows, rightAligned: Set(1..<header.count)).trimmingCharacters(in: .newlines)]
        for failure in unsuccessful {
            lines.append("\(failure.status.rawValue.uppercased()) \(failure.connector) \(failure.model.qualifiedName): \(failure.error ?? "")")
        }
        let verdict = exitCode == 0 ? "run succeeded" : "run FAILED"
        lines.append("\(verdict) in \(String(format: "%.1f", seconds))s: \(succeeded.count) of \(results.count) pulls ok, \(records) records, \(deleted) marked deleted, \(requests) requests")
        return lines.joined(separator: "\n")
    }
}
