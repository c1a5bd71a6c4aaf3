import BindbeeSandbox
import BindbeeSync
import Foundation

/// One list walked through faults, as the client saw it.
struct FaultyWalk {
    /// Ids of every item received, in order.
    var ids: [String] = []
    /// One entry per request: `<page index>:<outcome>`, the page index moving on whenever the
    /// position in the list does. Outcomes: ok, short, 500, 502, 503, 429, reset, truncate, stall.
    var log: [String] = []
    /// Every cursor received.
    var cursors: [String] = []
    /// The most faults seen in a row for one position (a short page with items ends a streak:
    /// the next request is for a new position).
    var maxFaultsInARow = 0
    /// Retry-After values received (429 and 503).
    var retryAfters: [Int] = []
    /// Short pages received, and how many of them were empty.
    var shortPages = 0
    var emptyShortPages = 0

    /// How often each outcome occurred.
    var outcomes: [String: Int] {
        log.reduce(into: [:]) { $0[String($1.split(separator: ":")[1]), default: 0] += 1 }
    }
}

/// A client that walks a list through injected faults the way a correct worker would: it
/// retries the same cursor after every fault, waits `Retry-After` (through `wait`), opens a
/// new connection after a reset or a silent close, and classifies every answer.
final class FaultWalker {
    let sandbox: Sandbox
    private var http: RawHTTPClient
    /// Called with each `Retry-After` before the retry (tests advance a `ManualClock` or sleep).
    var wait: (Int) -> Void = { _ in }

    init(_ sandbox: Sandbox) throws {
        self.sandbox = sandbox
        self.http = try RawHTTPClient(port: sandbox.port)
    }

    /// Follows cursors from the first page to `cursor: null`; `token` nil for the connectors endpoint.
    func walk(token: String?, path: String, pageSize: Int, maxRequests: Int = 20_000) throws -> FaultyWalk {
        var walk = FaultyWalk()
        var cursor: String?
        var pageIndex = 0
        var faultsInARow = 0
        while walk.log.count < maxRequests {
            var query = [("page_size", String(pageSize))]
            if let cursor { query.append(("cursor", cursor)) }
            let (outcome, json, retryAfter) = try attempt(token: token, path: path, query: query)
            walk.log.append("\(pageIndex):\(outcome)")
            if let retryAfter { walk.retryAfters.append(retryAfter) }
            guard let json else {
                faultsInARow += 1
                walk.maxFaultsInARow = max(walk.maxFaultsInARow, faultsInARow)
                wait(retryAfter ?? 0)
                continue
            }
            let items = json["items"]?.arrayValue ?? []
            guard json["page_size"]?.intValue == Int64(items.count) else {
                throw ClientError(description: "page_size \(String(describing: json["page_size"])) for \(items.count) items")
            }
            walk.ids += items.compactMap { $0["id"]?.stringValue }
            if outcome == "short" {
                walk.shortPages += 1
                if items.isEmpty { walk.emptyShortPages += 1 }
            }
            if outcome == "short" && items.isEmpty {
                faultsInARow += 1
                walk.maxFaultsInARow = max(walk.maxFaultsInARow, faultsInARow)
            } else {
                faultsInARow = 0
                pageIndex += 1
            }
            cursor = json["cursor"]?.stringValue
            guard let next = cursor else { return walk }
            walk.cursors.append(next)
        }
        throw ClientError(description: "\(path): no end after \(maxRequests) requests")
    }

    /// One request: its outcome, the page when one parsed, and any `Retry-After`.
    func attempt(token: String?, path: String, query: [(String, String)]) throws -> (String, JSONValue?, Int?) {
        var headers = [("Authorization", "Bearer \(sandbox.apiKey)")]
        if let token { headers.append(("X-Connector-Token", token)) }
        let target = path + "?" + query.map { "\(queryEncode($0.0))=\(queryEncode($0.1))" }.joined(separator: "&")
        let text = RawHTTPClient.requestText("GET", target, headers: headers)
        do {
            try http.send(text)
        } catch {
            http = try RawHTTPClient(port: sandbox.port)  // the server closed an idle connection
            try http.send(text)
        }
        switch try http.readOutcome() {
        case .closed:
            http = try RawHTTPClient(port: sandbox.port)
            return ("stall", nil, nil)
        case .cutAfterHead:
            http = try RawHTTPClient(port: sandbox.port)
            return ("reset", nil, nil)
        case .response(let response):
            if response.closes { http = try RawHTTPClient(port: sandbox.port) }
            let retryAfter = response.headers["Retry-After"].flatMap { Int($0) }
            guard response.status == 200 else { return (String(response.status), nil, retryAfter) }
            guard let json = try? response.json() else { return ("truncate", nil, nil) }
            let asked = Int(query.first { $0.0 == "page_size" }?.1 ?? "") ?? 50
            let short = json["cursor"]?.stringValue != nil && (json["items"]?.arrayValue?.count ?? 0) < asked
            return (short ? "short" : "ok", json, nil)
        }
    }
}

/// Faults that need no waiting: Retry-After always 0 and stalls of 50 ms.
func quickFaults(_ rates: [FaultKind: Double], seed: UInt64 = 1, maxConsecutiveFaults: Int = 3) -> FaultPlan {
    FaultPlan(rates: rates, seed: seed, stallSeconds: 0.05, maxConsecutiveFaults: maxConsecutiveFaults,
              throttleRetryAfter: 0...0, unavailableRetryAfter: 0...0)
}

/// A sandbox over the demo dataset with `faults` and a generous rate limit.
func startSandbox(faults: FaultPlan, clock: @escaping SandboxClock = systemClock, rateLimit: Int = 100_000) throws -> Sandbox {
    try Sandbox(dataset: demoDataset, options: Sandbox.Options(rateLimit: rateLimit, clock: clock, faults: faults))
}
