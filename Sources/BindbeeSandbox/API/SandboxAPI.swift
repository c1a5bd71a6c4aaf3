import BindbeeSync

/// The imitation of the Bindbee unified API: an `HTTPServer` handler serving the 44 data lists
/// and the three connectors lists from a `SandboxDataset`, with Bindbee's auth, validation,
/// cursor pagination, error bodies and rate limit, plus the faults of a `FaultPlan`.
///
/// Checks run in this order: route (404, 405), API key (401), connector token (401), rate
/// limit (429), token category (403), query validation (422), cursor (400), then faults,
/// which only ever replace or alter a `200` page. Every response after the rate-limit step
/// carries `X-RateLimit-*`. Error details never echo a credential.
/// `GET .../{id}` and the other Bindbee endpoints are not served (404).
///
/// The data can change while serving (`change(_:)` and the methods built on it, in-process or
/// through the admin routes under `/_admin/`, see `SandboxAdmin.swift`).
public final class SandboxAPI: Sendable {
    /// Credentials, rate limit and faults of the API.
    public struct Options: Sendable {
        public var apiKey: String
        /// Requests per window per key (Bindbee documents 200 per minute per connector token).
        public var rateLimit: Int
        public var rateLimitWindowSeconds: Double
        /// Where the rate limiter, throttle windows and early-request counter read the time.
        public var clock: SandboxClock
        /// What to inject (nothing by default).
        public var faults: FaultPlan
        /// Seconds after a `Retry-After` went out during which a request of the same key is not
        /// yet counted as early (it may have been in flight already).
        public var earlyRequestGrace: Double

        public init(apiKey: String = sandboxDefaultAPIKey, rateLimit: Int = 200, rateLimitWindowSeconds: Double = 60,
                    clock: @escaping SandboxClock = systemClock, faults: FaultPlan = .none,
                    earlyRequestGrace: Double = 0.25) {
            self.apiKey = apiKey
            self.rateLimit = rateLimit
            self.rateLimitWindowSeconds = rateLimitWindowSeconds
            self.clock = clock
            self.faults = faults
            self.earlyRequestGrace = earlyRequestGrace
        }
    }

    private enum Route {
        case list(ModelSpec)
        case connectors(Category)
    }

    public let apiKey: String
    private let routes: [String: Route]
    /// The dataset behind a lock, so a later change can swap in a new value while requests
    /// keep serving from the snapshot they took.
    private let current: Locked<SandboxDataset>
    /// Held while a change is computed, so changes apply one after the other while requests
    /// go on reading `current`.
    private let writer = Locked(())
    private let limiter: RateLimiter
    private let clock: SandboxClock
    private let injector: FaultInjector
    private let ledger: RetryAfterLedger
    /// Moved on by `expireCursors()`; cursors carry the generation they were issued in.
    private let cursorGeneration = Locked(0)
    private let tally = Locked(SandboxAPICounters())

    public init(dataset: SandboxDataset, options: Options = Options(), catalog: ModelCatalog = .shared) {
        self.apiKey = options.apiKey
        self.current = Locked(dataset)
        self.limiter = RateLimiter(limit: options.rateLimit, windowSeconds: options.rateLimitWindowSeconds,
                                   clock: options.clock)
        self.clock = options.clock
        self.injector = FaultInjector(plan: options.faults)
        self.ledger = RetryAfterLedger(grace: options.earlyRequestGrace)
        var routes: [String: Route] = [:]
        for spec in catalog.models { routes[spec.path] = .list(spec) }
        for category in Category.allCases { routes["/api/\(category.rawValue)/v1/connectors"] = .connectors(category) }
        self.routes = routes
    }

    /// The data being served right now.
    public var dataset: SandboxDataset { current.withLock { $0 } }

    public var counters: SandboxAPICounters { tally.withLock { $0 } }

    /// Applies `body` to a copy of the data being served and swaps the result in at once: a
    /// request sees the data from before or after the change, never part of it, and pages
    /// being written keep their snapshot. Changes run one at a time; when `body` throws,
    /// nothing changes. Cursors stay valid (they are positions, not offsets).
    public func change<R>(_ body: (inout SandboxDataset) throws(SandboxChangeError) -> R) throws(SandboxChangeError) -> R {
        let outcome: Result<R, SandboxChangeError> = writer.withLock { _ in
            var copy = dataset
            do throws(SandboxChangeError) {
                let result = try body(&copy)
                current.withLock { $0 = copy }
                return .success(result)
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// The faults this API injects.
    public var faultPlan: FaultPlan { injector.plan }

    /// From now on every cursor issued before is refused with `400 {"detail": "Cursor expired"}`;
    /// new cursors work. Generations wrap after 255 calls.
    public func expireCursors() {
        cursorGeneration.withLock { $0 = ($0 + 1) % PageCursor.generations }
    }

    /// The `HTTPServer.Handler` entry point.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        // The admin routes are not Bindbee traffic: no rate limit, faults or counters.
        if AdminRoute.covers(request.path) { return administer(request) }
        let response = respond(request)
        tally.withLock {
            $0.requests += 1
            if case .stall = response.fault { return }
            $0.responsesByStatus[response.status, default: 0] += 1
        }
        return response
    }

    private func respond(_ request: HTTPRequest) -> HTTPResponse {
        guard let route = routes[request.path] else { return Self.error(404, "Not Found") }
        guard request.method == "GET" || request.method == "HEAD" else {
            return Self.error(405, "Method Not Allowed", headers: ["Allow": "GET"])
        }
        if let failure = authenticate(request) { return failure }
        switch route {
        case .connectors(let category):
            return limited(key: apiKey) { listConnectors(request, category: category) }
        case .list(let spec):
            guard let token = request.headers["X-Connector-Token"], !token.isEmpty else {
                return Self.error(401, "Missing connector token", headers: ["WWW-Authenticate": "Bearer"])
            }
            let dataset = self.dataset
            guard let connector = dataset.connector(token: token) else {
                return Self.error(401, "Invalid connector token", headers: ["WWW-Authenticate": "Bearer"])
            }
            return limited(key: token) {
                guard connector.category == spec.category else {
                    return Self.error(403, "This connector token is not allowed on the \(spec.category.rawValue.uppercased()) API")
                }
                return listRecords(request, spec: spec, connector: connector, dataset: dataset, token: token)
            }
        }
    }

    /// 401 unless the request carries `Authorization: Bearer <apiKey>`.
    func authenticate(_ request: HTTPRequest) -> HTTPResponse? {
        let challenge: HTTPHeaders = ["WWW-Authenticate": "Bearer"]
        guard let header = request.headers["Authorization"] else {
            return Self.error(401, "Not authenticated", headers: challenge)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return Self.error(401, "Not authenticated", headers: challenge)
        }
        guard parts[1].trimmingSpacesAndTabs() == apiKey else {
            return Self.error(401, "Invalid API key", headers: challenge)
        }
        return nil
    }

    /// Counts the request against `key` (and as early if it came inside a pending
    /// `Retry-After`); 429 past the limit, otherwise `body()`. Adds the rate-limit headers the
    /// body did not set, and records any `Retry-After` it sends.
    private func limited(key: String, _ body: () -> HTTPResponse) -> HTTPResponse {
        let early = ledger.isEarly(key, now: clock())
        let decision = limiter.admit(key)
        var response = decision.allowed ? body() : Self.error(429, "Rate limit exceeded")
        for (name, value) in decision.headers where response.headers[name] == nil { response.headers.set(name, value) }
        if let seconds = response.headers["Retry-After"].flatMap({ Int($0) }) {
            ledger.announce(key, seconds: seconds, written: clock())
        }
        tally.withLock {
            $0.requestsByKey[key, default: 0] += 1
            if early { $0.earlyRequestsByKey[key, default: 0] += 1 }
            if response.status == 429 { $0.rateLimitedByKey[key, default: 0] += 1 }
        }
        return response
    }

    private func listRecords(_ request: HTTPRequest, spec: ModelSpec, connector: SandboxConnector,
                             dataset: SandboxDataset, token: String) -> HTTPResponse {
        var errors = ValidationErrors()
        let query = ListQuery.parse(request, ListQuery.Capabilities(spec), errors: &errors)
        guard errors.isEmpty else { return .json(422, errors.body) }
        let records = dataset.records(connector: connector.name, model: spec.model)
        let scope = PageCursor.scope(connector.name, spec.path)
        let position: PageCursor
        switch readCursor(query.cursor, scope: scope) {
        case .valid(let cursor): position = cursor
        case .expired: return Self.error(400, "Cursor expired")
        case .invalid: return Self.error(400, "Invalid cursor")
        }
        var start = records.firstIndex(after: position.modifiedAt, id: position.id)
        if let after = query.modifiedAfter {
            start = max(start, records.firstIndex(modifiedAtOrAfterMicroseconds: after))
        }
        let page = Pager.cut(records, from: start, pageSize: query.pageSize, matches: query.matches)
        return serve(page, request, credential: token, position: position, nonceSeed: dataset.seed, faultable: true) {
            $0.json(includeRawData: query.includeRawData, includeCustomFields: query.includeCustomFields)
        }
    }

    private func listConnectors(_ request: HTTPRequest, category: Category) -> HTTPResponse {
        var errors = ValidationErrors()
        let query = ListQuery.parse(request, ListQuery.Capabilities(), errors: &errors)
        let matches = ConnectorListing.filter(request, errors: &errors)
        guard errors.isEmpty else { return .json(422, errors.body) }
        let dataset = self.dataset
        let items = ConnectorListing.items(dataset, category: category)
        let scope = PageCursor.scope("connectors", category.rawValue, apiKey)
        let position: PageCursor
        switch readCursor(query.cursor, scope: scope) {
        case .valid(let cursor): position = cursor
        case .expired: return Self.error(400, "Cursor expired")
        case .invalid: return Self.error(400, "Invalid cursor")
        }
        let start = items.firstIndex(after: position.modifiedAt, id: position.id)
        let page = Pager.cut(items, from: start, pageSize: query.pageSize, matches: matches)
        return serve(page, request, credential: apiKey, position: position, nonceSeed: dataset.seed,
                     faultable: injector.plan.includesConnectorsEndpoint) { $0.defaultJSON }
    }

    /// No cursor (or an empty one) reads as the start of the list.
    private func readCursor(_ text: String?, scope: UInt16) -> PageCursor.Reading {
        guard let text, !text.isEmpty else { return .valid(.start(scope: scope)) }
        return PageCursor.decode(text, scope: scope, generation: cursorGeneration.withLock { $0 })
    }

    /// Writes `page` (from `position` on) as the response, unless a fault replaces or alters it.
    private func serve(_ page: Pager.Page, _ request: HTTPRequest, credential: String, position: PageCursor,
                       nonceSeed: UInt64, faultable: Bool, render: (SandboxRecord) -> String) -> HTTPResponse {
        let key = FaultRequestKey(credential: credential, path: request.path, position: position.positionKey,
                                  request: request)
        let decision = faultable ? injector.decide(key, itemsInPage: page.items.count, now: clock()) : .none
        let generation = cursorGeneration.withLock { $0 }
        func cursor(after record: SandboxRecord) -> String {
            PageCursor(scope: position.scope, modifiedAt: record.modifiedAt, id: record.id)
                .encoded(nonceSeed: nonceSeed, generation: generation)
        }
        var served = page.items[...]
        var next = page.hasMore ? page.items.last.map(cursor(after:)) : nil
        if case .shortPage(let count, let variant) = decision {
            served = page.items.prefix(count)
            next = served.last.map(cursor(after:))
                ?? position.encoded(nonceSeed: nonceSeed, generation: generation, variant: variant)
        }
        tally.withLock { t in
            if let kind = decision.kind { t.faultsInjected[kind, default: 0] += 1 }
            if case .throttle(_, _, true) = decision { t.throttleBursts += 1 }
            guard decision == .none || decision.kind == .shortPage, request.method == "GET" else { return }
            t.pagesServedByKey[credential, default: 0] += 1
            t.itemsServedByKey[credential, default: 0] += served.count
            t.pagesServedByPath[credential, default: [:]][request.path, default: 0] += 1
        }
        if let replacement = decision.replacement { return replacement }
        var response = HTTPResponse.json(200, Pager.envelope(served, cursor: next, render: render))
        response.fault = decision.httpFault(bodyLength: response.body.count)
        return response
    }

    /// `{"detail": "..."}` (FastAPI's `ErrorResponse`).
    static func error(_ status: Int, _ detail: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        .json(status, JSONValue.object(JSONObject([("detail", .string(detail))])).serialized, headers: headers)
    }
}
