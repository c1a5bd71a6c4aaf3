/// What the API has answered, for tests and the demo's summary: the evidence that a client
/// paced itself, survived the injected faults and did not refetch more than it had to.
///
/// "Key" is the rate-limit key: the connector token for data lists, the API key for the
/// connectors endpoint. Requests refused before a key is known (404, 405, 401) are counted in
/// `requests` and `responsesByStatus` only.
public struct SandboxAPICounters: Sendable, Equatable {
    /// Every request the API handled, whatever the outcome.
    public var requests = 0
    /// Responses by status, as written; a stalled request (nothing written) is not here.
    public var responsesByStatus: [Int: Int] = [:]
    /// Requests by key.
    public var requestsByKey: [String: Int] = [:]
    /// `429` responses by key: the rate limit's and injected ones.
    public var rateLimitedByKey: [String: Int] = [:]
    /// Requests that arrived while a `Retry-After` (of a 429 or 503) sent to the same key was
    /// pending: after the answer went out plus `SandboxAPI.Options.earlyRequestGrace`, and
    /// before the announced time. A client that honours `Retry-After` keeps this at 0.
    public var earlyRequestsByKey: [String: Int] = [:]
    /// Faults injected, by kind (a throttle counts every 429 of a burst).
    public var faultsInjected: [FaultKind: Int] = [:]
    /// 429 bursts started; `faultsInjected[.throttle]` minus this is the number of requests
    /// caught inside a burst's window.
    public var throttleBursts = 0
    /// Pages delivered complete (normal or short, GET only), by key.
    public var pagesServedByKey: [String: Int] = [:]
    /// Items in those pages, by key.
    public var itemsServedByKey: [String: Int] = [:]
    /// Pages delivered complete, by key and then by path (`/api/hris/v1/employees`).
    public var pagesServedByPath: [String: [String: Int]] = [:]

    public var rateLimited: Int { rateLimitedByKey.values.reduce(0, +) }

    public var earlyRequests: Int { earlyRequestsByKey.values.reduce(0, +) }

    public var faults: Int { faultsInjected.values.reduce(0, +) }
}
