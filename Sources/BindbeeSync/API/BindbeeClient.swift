import Foundation

/// Names one request in errors and logs: method, path, connector and page, never a secret
/// and never the query string.
public struct RequestLabel: Sendable, CustomStringConvertible {
    public let path: String
    public let connector: String?
    public let page: Int?

    public var description: String {
        var text = "GET \(path)"
        var context: [String] = []
        if let connector { context.append("connector \(connector)") }
        if let page { context.append("page \(page)") }
        if !context.isEmpty { text += " (" + context.joined(separator: ", ") + ")" }
        return text
    }
}

/// Why a request or a walk over pages failed. Carries what an operator needs (status, the
/// server's `detail`, which request) and never a token: details are passed through the
/// client's `Redactor` before they are stored here.
public indirect enum APIError: Error, Sendable, CustomStringConvertible {
    /// A non-2xx answer.
    case http(status: Int, detail: String, request: RequestLabel, retryAfter: Int?)
    /// No answer: connection refused or reset, timeout.
    case transport(TransportError, request: RequestLabel)
    /// A 2xx answer whose body is not a valid page.
    case invalidPage(String, request: RequestLabel)
    /// The server sent a cursor it had sent before: following it would loop forever.
    case repeatedCursor(request: RequestLabel)
    /// More pages than the configured bound.
    case tooManyPages(limit: Int, request: RequestLabel)
    /// The retry policy gave up; `last` is the final attempt's failure.
    case gaveUp(reason: String, last: APIError)

    public var description: String {
        switch self {
        case .http(let status, let detail, let request, _):
            return "\(request): HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")"
        case .transport(let error, let request):
            return "\(request): \(error.message)"
        case .invalidPage(let message, let request):
            return "\(request): invalid page: \(message)"
        case .repeatedCursor(let request):
            return "\(request): the server repeated a cursor it had already sent; stopped instead of looping"
        case .tooManyPages(let limit, let request):
            return "\(request): more than \(limit) pages; stopped (raise max_pages if this model is really that large)"
        case .gaveUp(let reason, let last):
            return "\(last) (\(reason))"
        }
    }

    /// The HTTP status, when the server answered.
    public var status: Int? {
        switch self {
        case .http(let status, _, _, _): return status
        case .gaveUp(_, let last): return last.status
        default: return nil
        }
    }

    /// True for failures that no retry can fix: the credentials or the request are wrong.
    public var isAuthFailure: Bool { status == 401 || status == 403 }

    /// True when the server refused the request itself (400, 404, 410, 422): what it answers
    /// to a cursor it no longer accepts.
    public var refusesRequest: Bool { [400, 404, 410, 422].contains(status ?? 0) }
}

/// One walk's parameters: which list, with which filters, for which connector.
public struct ListQuery: Sendable {
    public let path: String
    public let token: Secret?
    public let connector: String?
    public let pageSize: Int
    /// Extra parameters, kept byte-identical on every page (filters are not in the cursor).
    public let parameters: [(name: String, value: String)]

    public init(path: String, token: Secret?, connector: String?, pageSize: Int, parameters: [(name: String, value: String)] = []) {
        self.path = path
        self.token = token
        self.connector = connector
        self.pageSize = pageSize
        self.parameters = parameters
    }
}

/// What the requests of one walk cost: attempts beyond the first, throttling, waiting.
public struct RequestStats: Sendable, Equatable {
    /// Requests sent, retries included.
    public var requests = 0
    /// Requests sent again after a failure.
    public var retries = 0
    /// 429 answers received.
    public var throttled = 0
    /// Seconds spent waiting: backoff, `Retry-After` and the rate limiter.
    public var waited = 0.0

    public init() {}

    public mutating func add(_ other: RequestStats) {
        requests += other.requests
        retries += other.retries
        throttled += other.throttled
        waited += other.waited
    }
}

/// Talks to the Bindbee API: authentication headers, the page envelope, cursor pagination,
/// retries (`RetryPolicy`), the per-token budget (`RateLimiter`) and typed errors. One client
/// (one URLSession) serves every pull of a run.
public final class BindbeeClient: Sendable {
    public let baseURL: URL
    private let apiKey: Secret
    private let transport: HTTPTransport
    public let redactor: Redactor
    public let retryPolicy: RetryPolicy
    public let rateLimiter: RateLimiter
    /// A walk stops with an error past this many pages instead of looping forever.
    public let maxPages: Int
    private let sleep: @Sendable (Double) -> Void

    public init(baseURL: URL, apiKey: Secret, transport: HTTPTransport = HTTPTransport(), redactor: Redactor = Redactor(),
                retryPolicy: RetryPolicy = RetryPolicy(), rateLimiter: RateLimiter = RateLimiter(), maxPages: Int = 100_000,
                sleep: @escaping @Sendable (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.transport = transport
        self.redactor = redactor
        self.retryPolicy = retryPolicy
        self.rateLimiter = rateLimiter
        self.maxPages = maxPages
        self.sleep = sleep
        redactor.register(apiKey)
    }

    /// Fetches one page, retrying on the same cursor as the policy allows. `cursor` nil asks
    /// for the first page.
    public func fetchPage(_ query: ListQuery, cursor: String?, pageNumber: Int, stats: inout RequestStats) throws(APIError) -> ScannedPage {
        let label = RequestLabel(path: query.path, connector: query.connector, page: pageNumber)
        var items: [(name: String, value: String)] = [("page_size", String(query.pageSize))]
        items += query.parameters
        if let cursor { items.append(("cursor", cursor)) }
        return try withRetries(token: query.token, label: label, stats: &stats) { () throws(APIError) -> ScannedPage in
            let result = try send(path: query.path, query: items, token: query.token, label: label)
            do throws(PageFormatError) {
                return try PageScanner.scan(result.body)
            } catch {
                throw .invalidPage(redactor.redact(error.message), request: label)
            }
        }
    }

    /// Runs `attempt` until it succeeds or the retry policy gives up. Every attempt first
    /// takes its place in the token's rate budget; a `Retry-After` pauses every pull of the token.
    func withRetries<T>(token: Secret?, label: RequestLabel, stats: inout RequestStats,
                        _ attempt: () throws(APIError) -> T) throws(APIError) -> T {
        let budgetKey = token ?? apiKey
        var history = RetryPolicy.AttemptHistory()
        while true {
            stats.waited += rateLimiter.acquire(budgetKey)
            history.attempts += 1
            stats.requests += 1
            do {
                return try attempt()
            } catch {
                let kind = retryPolicy.classify(error)
                switch kind {
                case .throttled(let retryAfter):
                    if error.status == 429 { stats.throttled += 1 }
                    if let retryAfter { rateLimiter.pause(budgetKey, seconds: Double(max(0, retryAfter))) }
                case .transient:
                    history.failures += 1
                case .permanent:
                    throw error
                }
                switch retryPolicy.decide(error, history: history, jitter: Double.random(in: 0..<1)) {
                case .giveUp(let reason):
                    throw .gaveUp(reason: reason, last: error)
                case .retry(let delay):
                    stats.retries += 1
                    history.waited += delay
                    // A Retry-After is already a pause in the rate budget, waited out by acquire().
                    if case .throttled(.some) = kind { continue }
                    if delay > 0 {
                        stats.waited += delay
                        sleep(delay)
                    }
                }
            }
        }
    }

    /// Follows the cursor from `start` (nil: the first page) until `cursor: null`, calling
    /// `onPage` with each page, its number and the cost of fetching it. A short or empty page
    /// is not the end; a repeated cursor or more than `maxPages` pages stop the walk with an error.
    public func walk(_ query: ListQuery, from start: String? = nil, firstPageNumber: Int = 1,
                     onPage: (ScannedPage, Int, RequestStats) throws -> Void) throws -> Int {
        var cursor = start
        var seen = Set<String>()
        if let start { seen.insert(start) }
        var pageNumber = firstPageNumber - 1
        repeat {
            pageNumber += 1
            let label = RequestLabel(path: query.path, connector: query.connector, page: pageNumber)
            if pageNumber - firstPageNumber >= maxPages { throw APIError.tooManyPages(limit: maxPages, request: label) }
            var stats = RequestStats()
            let page = try fetchPage(query, cursor: cursor, pageNumber: pageNumber, stats: &stats)
            try onPage(page, pageNumber, stats)
            if let next = page.cursor {
                guard seen.insert(next).inserted else { throw APIError.repeatedCursor(request: label) }
            }
            cursor = page.cursor
        } while cursor != nil
        return pageNumber - firstPageNumber + 1
    }

    /// Sends a GET with the API key (and the connector token when given); a non-2xx answer
    /// becomes `APIError.http` with the server's `detail`. Reads the rate-limit headers.
    public func send(path: String, query: [(name: String, value: String)], token: Secret?, label: RequestLabel) throws(APIError) -> HTTPResult {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        text += path
        if !query.isEmpty { text += "?" + QueryEncoding.queryString(query) }
        guard let url = URL(string: text) else {
            throw .invalidPage("cannot form a URL for \(path)", request: label)
        }
        var headers = ["Authorization": "Bearer \(apiKey.revealed)", "Accept": "application/json"]
        if let token { headers["X-Connector-Token"] = token.revealed }
        let result: HTTPResult
        do {
            result = try transport.get(url, headers: headers)
        } catch {
            throw .transport(TransportError(message: redactor.redact(error.message), isTimeout: error.isTimeout), request: label)
        }
        rateLimiter.observe(token ?? apiKey, headers: result)
        guard (200..<300).contains(result.status) else {
            let detail = redactor.redact(ErrorDetail.extract(from: result.body))
            throw .http(status: result.status, detail: detail, request: label,
                        retryAfter: result.header("Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) })
        }
        return result
    }
}

/// Reads the `detail` of Bindbee's error bodies: a string (`ErrorResponse`) or a list of
/// validation errors (`HTTPValidationError`); anything else is shown as a short excerpt.
enum ErrorDetail {
    static func extract(from body: [UInt8]) -> String {
        if let value = try? JSONValue.parse(body), let detail = value["detail"] {
            switch detail {
            case .string(let text):
                return oneLine(text)
            case .array(let errors):
                let parts = errors.map { error -> String in
                    let location = error["loc"]?.arrayValue?.map { $0.stringValue ?? $0.serialized }.joined(separator: ".")
                    let message = error["msg"]?.stringValue ?? error.serialized
                    return location.map { "\($0): \(message)" } ?? message
                }
                return oneLine(parts.joined(separator: "; "))
            default:
                return oneLine(detail.serialized)
            }
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return oneLine(text)
    }

    private static func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return flat.count > 300 ? String(flat.prefix(300)) + "…" : flat
    }
}
