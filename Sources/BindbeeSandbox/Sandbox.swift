import BindbeeSync
import Foundation

/// A running Bindbee imitation on 127.0.0.1: a `SandboxDataset`, the `SandboxAPI` serving it
/// and the `HTTPServer` carrying it. This is what the CLI's `sandbox` command and the tests
/// start; each instance is independent (its own port, data, counters and rate limits).
///
/// Faults (`Options.faults`) are decided per request from (fault seed, connector token or API
/// key, path, cursor position, other query parameters, attempt number of that request), never
/// from arrival order, so concurrency does not change which requests fail; at most
/// `FaultPlan.maxConsecutiveFaults` in a row hit one request.
///
/// The data changes over time on request (clock, record updates, inserts, deletions,
/// connectors appearing or breaking): in-process through the methods below, or over HTTP
/// through the admin routes (`POST /_admin/...`, see `SandboxAdmin.swift`). Every change is
/// seeded and applied atomically.
///
/// Call `stop()` when done (deinit also stops it).
public final class Sandbox: Sendable {
    /// Everything that shapes a sandbox; the defaults are the demo.
    public struct Options: Sendable {
        public var seed: UInt64
        public var connectors: [SandboxConnector]
        /// The dataset's clock ("now").
        public var now: SandboxTimestamp
        public var apiKey: String
        /// 0 picks a free port.
        public var port: UInt16
        public var rateLimit: Int
        public var rateLimitWindowSeconds: Double
        /// The rate limiter's clock (Unix seconds); use `ManualClock` in tests.
        public var clock: SandboxClock
        /// Idle keep-alive connections are closed after this many seconds.
        public var idleTimeout: Double
        /// What to inject (nothing by default).
        public var faults: FaultPlan
        /// See `SandboxAPI.Options.earlyRequestGrace`.
        public var earlyRequestGrace: Double

        public init(seed: UInt64 = 1, connectors: [SandboxConnector] = SandboxConnector.demo,
                    now: SandboxTimestamp = .defaultNow, apiKey: String = sandboxDefaultAPIKey, port: UInt16 = 0,
                    rateLimit: Int = 200, rateLimitWindowSeconds: Double = 60,
                    clock: @escaping SandboxClock = systemClock, idleTimeout: Double = 30, faults: FaultPlan = .none,
                    earlyRequestGrace: Double = 0.25) {
            self.seed = seed
            self.connectors = connectors
            self.now = now
            self.apiKey = apiKey
            self.port = port
            self.rateLimit = rateLimit
            self.rateLimitWindowSeconds = rateLimitWindowSeconds
            self.clock = clock
            self.idleTimeout = idleTimeout
            self.faults = faults
            self.earlyRequestGrace = earlyRequestGrace
        }
    }

    public let api: SandboxAPI
    public let server: HTTPServer

    /// The demo sandbox for `seed` on `port` (0 picks a free port).
    public convenience init(seed: UInt64 = 1, port: UInt16 = 0) throws(HTTPServerError) {
        try self.init(options: Options(seed: seed, port: port))
    }

    /// Generates the dataset and starts listening.
    public convenience init(options: Options) throws(HTTPServerError) {
        let dataset = SandboxDataset(seed: options.seed, connectors: options.connectors, now: options.now)
        try self.init(dataset: dataset, options: options)
    }

    /// Serves an existing dataset (its seed, connectors and clock win over `options`').
    public init(dataset: SandboxDataset, options: Options = Options()) throws(HTTPServerError) {
        let api = SandboxAPI(dataset: dataset, options: SandboxAPI.Options(
            apiKey: options.apiKey, rateLimit: options.rateLimit,
            rateLimitWindowSeconds: options.rateLimitWindowSeconds, clock: options.clock, faults: options.faults,
            earlyRequestGrace: options.earlyRequestGrace))
        self.api = api
        self.server = try HTTPServer(configuration: HTTPServer.Configuration(port: options.port,
                                                                              idleTimeout: options.idleTimeout),
                                     handler: { api.handle($0) })
    }

    deinit {
        server.stop()
    }

    public var port: UInt16 { server.port }

    /// `http://127.0.0.1:<port>`, without a trailing slash; list paths start with `/api/`.
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(server.port)")! }

    public var apiKey: String { api.apiKey }

    public var connectors: [SandboxConnector] { api.dataset.connectors }

    /// The data being served, to compare a mirror with.
    public var dataset: SandboxDataset { api.dataset }

    public var httpCounters: HTTPServerCounters { server.counters }

    public var apiCounters: SandboxAPICounters { api.counters }

    /// The faults this sandbox injects.
    public var faultPlan: FaultPlan { api.faultPlan }

    /// Refuses every cursor issued so far with `400 {"detail": "Cursor expired"}` (see
    /// `SandboxAPI.expireCursors()`).
    public func expireCursors() {
        api.expireCursors()
    }

    /// Applies several changes to the data at once (see `SandboxAPI.change(_:)`).
    public func change<R>(_ body: (inout SandboxDataset) throws(SandboxChangeError) -> R) throws(SandboxChangeError) -> R {
        try api.change(body)
    }

    /// Moves the dataset's clock (`now`) forward; the rate limiter's clock is separate.
    public func advanceClock(by seconds: Double) throws(SandboxChangeError) {
        try api.advanceClock(by: seconds)
    }

    /// Updates, inserts, deletes and touches shares of the records; see `SandboxDataset.mutate`.
    public func mutate(seed: UInt64, updateFraction: Double, insertFraction: Double, deleteFraction: Double,
                       touchFraction: Double = 0, connectors: [String]? = nil,
                       models: [String]? = nil) throws(SandboxChangeError) -> SandboxMutationSummary {
        try api.mutate(seed: seed, updateFraction: updateFraction, insertFraction: insertFraction,
                       deleteFraction: deleteFraction, touchFraction: touchFraction, connectors: connectors,
                       models: models)
    }

    /// Makes `count` records of one model share `modified_at` = now; see
    /// `SandboxDataset.setBoundaryTimestamp`.
    public func setBoundaryTimestamp(connector: String, model: String,
                                     count: Int) throws(SandboxChangeError) -> SandboxMutationSummary {
        try api.setBoundaryTimestamp(connector: connector, model: model, count: count)
    }

    /// A new connector: listed by the connectors endpoint, its token opens its data.
    public func addConnector(_ connector: SandboxConnector) throws(SandboxChangeError) {
        try api.addConnector(connector)
    }

    /// Status, sync status and last sync start as the connectors endpoint reports them; data
    /// endpoints keep serving whatever the health.
    public func setConnectorHealth(name: String, status: String, syncStatus: String?,
                                   lastSyncStartTime: SandboxTimestamp? = nil) throws(SandboxChangeError) {
        try api.setConnectorHealth(name: name, status: status, syncStatus: syncStatus, lastSyncStartTime: lastSyncStartTime)
    }

    /// A connector's `is_active`.
    public func setActive(name: String, _ active: Bool) throws(SandboxChangeError) {
        try api.setActive(name: name, active)
    }

    /// Stops the server and waits for its connections to close. Idempotent.
    public func stop() {
        server.stop()
    }
}
