import BindbeeSync

/// What the API has answered, for tests and the demo's summary.
public struct SandboxAPICounters: Sendable, Equatable {
    /// Every request the API handled, whatever the outcome.
    public var requests = 0
    public var responsesByStatus: [Int: Int] = [:]
    /// Requests counted by rate-limit key: the connector token for data lists, the API key for
    /// the connectors endpoint. Requests refused before a key is known (404, 405, 401) are not here.
    public var requestsByKey: [String: Int] = [:]
    /// 429 responses by the same key.
    public var rateLimitedByKey: [String: Int] = [:]

    public var rateLimited: Int { rateLimitedByKey.values.reduce(0, +) }
}

/// The imitation of the Bindbee unified API: an `HTTPServer` handler serving the 44 data lists
/// and the three connectors lists from a `SandboxDataset`, with Bindbee's auth, validation,
/// cursor pagination, error bodies and rate limit.
///
/// Checks run in this order: route (404, 405), API key (401), connector token (401), rate
/// limit (429), token category (403), query validation (422), cursor (400). Every response
/// after the rate-limit step carries `X-RateLimit-*`. Error details never echo a credential.
/// `GET .../{id}` and the other Bindbee endpoints are not served (404).
public final class SandboxAPI: Sendable {
    /// Credentials and rate limit of the API.
    public struct Options: Sendable {
        public var apiKey: String
        /// Requests per window per key (Bindbee documents 200 per minute per connector token).
        public var rateLimit: Int
        public var rateLimitWindowSeconds: Double
        /// Where the rate limiter reads the time.
        public var clock: SandboxClock

        public init(apiKey: String = sandboxDefaultAPIKey, rateLimit: Int = 200, rateLimitWindowSeconds: Double = 60,
                    clock: @escaping SandboxClock = systemClock) {
            self.apiKey = apiKey
            self.rateLimit = rateLimit
            self.rateLimitWindowSeconds = rateLimitWindowSeconds
            self.clock = clock
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
    private let limiter: RateLimiter
    private let tally = Locked(SandboxAPICounters())

    public init(dataset: SandboxDataset, options: Options = Options(), catalog: ModelCatalog = .shared) {
        self.apiKey = options.apiKey
        self.current = Locked(dataset)
        self.limiter = RateLimiter(limit: options.rateLimit, windowSeconds: options.rateLimitWindowSeconds,
                                   clock: options.clock)
        var routes: [String: Route] = [:]
        for spec in catalog.models { routes[spec.path] = .list(spec) }
        for category in Category.allCases { routes["/api/\(category.rawValue)/v1/connectors"] = .connectors(category) }
        self.routes = routes
    }

    /// The data being served right now.
    public var dataset: SandboxDataset { current.withLock { $0 } }

    public var counters: SandboxAPICounters { tally.withLock { $0 } }

    /// The `HTTPServer.Handler` entry point.
    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let response = respond(request)
        tally.withLock {
            $0.requests += 1
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
                return listRecords(request, spec: spec, connector: connector, dataset: dataset)
            }
        }
    }

    /// 401 unless the request carries `Authorization: Bearer <apiKey>`.
    private func authenticate(_ request: HTTPRequest) -> HTTPResponse? {
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

    /// Counts the request against `key`; 429 past the limit, otherwise `body()` with the
    /// rate-limit headers added.
    private func limited(key: String, _ body: () -> HTTPResponse) -> HTTPResponse {
        let decision = limiter.admit(key)
        tally.withLock {
            $0.requestsByKey[key, default: 0] += 1
            if !decision.allowed { $0.rateLimitedByKey[key, default: 0] += 1 }
        }
        var response = decision.allowed ? body() : Self.error(429, "Rate limit exceeded")
        for (name, value) in decision.headers { response.headers.set(name, value) }
        return response
    }

    private func listRecords(_ request: HTTPRequest, spec: ModelSpec, connector: SandboxConnector,
                             dataset: SandboxDataset) -> HTTPResponse {
        var errors = ValidationErrors()
        let query = ListQuery.parse(request, ListQuery.Capabilities(spec), errors: &errors)
        guard errors.isEmpty else { return .json(422, errors.body) }
        let records = dataset.records(connector: connector.name, model: spec.model)
        let scope = PageCursor.scope(connector.name, spec.path)
        var start = 0
        if let text = query.cursor, !text.isEmpty {
            guard let cursor = PageCursor.decode(text, scope: scope) else { return Self.error(400, "Invalid cursor") }
            start = records.firstIndex(after: cursor.modifiedAt, id: cursor.id)
        }
        if let after = query.modifiedAfter {
            start = max(start, records.firstIndex(modifiedAtOrAfterMicroseconds: after))
        }
        let body = Pager.page(records, from: start, pageSize: query.pageSize, scope: scope, nonceSeed: dataset.seed,
                              matches: query.matches) {
            $0.json(includeRawData: query.includeRawData, includeCustomFields: query.includeCustomFields)
        }
        return .json(200, body)
    }

    private func listConnectors(_ request: HTTPRequest, category: Category) -> HTTPResponse {
        var errors = ValidationErrors()
        let query = ListQuery.parse(request, ListQuery.Capabilities(), errors: &errors)
        let matches = ConnectorListing.filter(request, errors: &errors)
        guard errors.isEmpty else { return .json(422, errors.body) }
        let dataset = self.dataset
        let items = ConnectorListing.items(dataset, category: category)
        let scope = PageCursor.scope("connectors", category.rawValue, apiKey)
        var start = 0
        if let text = query.cursor, !text.isEmpty {
            guard let cursor = PageCursor.decode(text, scope: scope) else { return Self.error(400, "Invalid cursor") }
            start = items.firstIndex(after: cursor.modifiedAt, id: cursor.id)
        }
        let body = Pager.page(items, from: start, pageSize: query.pageSize, scope: scope, nonceSeed: dataset.seed,
                              matches: matches) { $0.defaultJSON }
        return .json(200, body)
    }

    /// `{"detail": "..."}` (FastAPI's `ErrorResponse`).
    static func error(_ status: Int, _ detail: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        .json(status, JSONValue.object(JSONObject([("detail", .string(detail))])).serialized, headers: headers)
    }
}

/// Cuts one page out of records in serving order and writes the envelope
/// `{"cursor": ..., "page_size": <items in this page>, "items": [...]}`.
enum Pager {
    static func page(_ records: [SandboxRecord], from start: Int, pageSize: Int, scope: UInt16, nonceSeed: UInt64,
                     matches: (SandboxRecord) -> Bool, render: (SandboxRecord) -> String) -> String {
        var chosen: [SandboxRecord] = []
        var hasMore = false
        var i = start
        while i < records.count {
            if matches(records[i]) {
                if chosen.count == pageSize { hasMore = true; break }
                chosen.append(records[i])
            }
            i += 1
        }
        var out = "{\"cursor\":"
        if hasMore, let last = chosen.last {
            JSONWriter.writeString(PageCursor(scope: scope, modifiedAt: last.modifiedAt, id: last.id)
                .encoded(nonceSeed: nonceSeed), into: &out)
        } else {
            out += "null"
        }
        out += ",\"page_size\":\(chosen.count),\"items\":["
        for (k, record) in chosen.enumerated() {
            if k > 0 { out += "," }
            out += render(record)
        }
        out += "]}"
        return out
    }
}
