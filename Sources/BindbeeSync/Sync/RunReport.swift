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
        var lines: [String] = []
        let connectors = Array(Set(results.map(\.connector))).sorted()
        let header = ["connector", "pulls", "ok", "failed", "pages", "records", "deleted", "retries", "429s"]
        var rows: [[String]] = []
        for connector in connectors {
            let mine = results.filter { $0.connector == connector }
            rows.append([connector, String(mine.count), String(mine.filter { $0.status == .succeeded }.count),
                         String(mine.filter { $0.status != .succeeded }.count),
                         String(mine.reduce(0) { $0 + $1.pages }), String(mine.reduce(0) { $0 + $1.records }),
                         String(mine.reduce(0) { $0 + $1.deleted }),
                         String(mine.reduce(0) { $0 + $1.requests.retries }), String(mine.reduce(0) { $0 + $1.requests.throttled })])
        }
        rows.append(["total", String(results.count), String(succeeded.count), String(unsuccessful.count), String(pages), String(records),
                     String(deleted),
                     String(results.reduce(0) { $0 + $1.requests.retries }), String(results.reduce(0) { $0 + $1.requests.throttled })])
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func format(_ row: [String]) -> String {
            row.enumerated().map { i, cell in
                i == 0 ? cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[i] - cell.count) + cell
            }.joined(separator: "  ")
        }
        lines.append(format(header))
        lines += rows.map(format)
        for failure in unsuccessful {
            lines.append("\(failure.status.rawValue.uppercased()) \(failure.connector) \(failure.model.qualifiedName): \(failure.error ?? "")")
        }
        let verdict = exitCode == 0 ? "run succeeded" : "run FAILED"
        lines.append("\(verdict) in \(String(format: "%.1f", seconds))s: \(succeeded.count) of \(results.count) pulls ok, \(records) records, \(deleted) marked deleted, \(requests) requests")
        return lines.joined(separator: "\n")
    }
}
