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
public enum APIError: Error, Sendable, CustomStringConvertible {
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
        }
    }

    /// The HTTP status, when the server answered.
    public var status: Int? {
        if case .http(let status, _, _, _) = self { return status }
        return nil
    }

    /// True for failures that no retry can fix: the credentials or the request are wrong.
    public var isAuthFailure: Bool { status == 401 || status == 403 }
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

/// Talks to the Bindbee API: authentication headers, the page envelope, cursor pagination
/// and typed errors. One client (one URLSession) serves every pull of a run.
public final class BindbeeClient: Sendable {
    public let baseURL: URL
    private let apiKey: Secret
    private let transport: HTTPTransport
    public let redactor: Redactor
    /// A walk stops with an error past this many pages instead of looping forever.
    public let maxPages: Int

    public init(baseURL: URL, apiKey: Secret, transport: HTTPTransport = HTTPTransport(), redactor: Redactor = Redactor(), maxPages: Int = 100_000) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.transport = transport
        self.redactor = redactor
        self.maxPages = maxPages
        redactor.register(apiKey)
    }

    /// Fetches one page. `cursor` nil asks for the first page.
    public func fetchPage(_ query: ListQuery, cursor: String?, pageNumber: Int) throws(APIError) -> ScannedPage {
        let label = RequestLabel(path: query.path, connector: query.connector, page: pageNumber)
        var items: [(name: String, value: String)] = [("page_size", String(query.pageSize))]
        items += query.parameters
        if let cursor { items.append(("cursor", cursor)) }
        let result = try send(path: query.path, query: items, token: query.token, label: label)
        do {
            return try PageScanner.scan(result.body)
        } catch {
            throw .invalidPage(redactor.redact(error.message), request: label)
        }
    }

    /// Follows the cursor from the first page until `cursor: null`, calling `onPage` with each
    /// page and its number (1-based). A short or empty page is not the end; a repeated cursor
    /// or more than `maxPages` pages stop the walk with an error.
    public func walk(_ query: ListQuery, onPage: (ScannedPage, Int) throws -> Void) throws -> Int {
        var cursor: String?
        var seen = Set<String>()
        var pageNumber = 0
        repeat {
            pageNumber += 1
            let label = RequestLabel(path: query.path, connector: query.connector, page: pageNumber)
            if pageNumber > maxPages { throw APIError.tooManyPages(limit: maxPages, request: label) }
            let page = try fetchPage(query, cursor: cursor, pageNumber: pageNumber)
            try onPage(page, pageNumber)
            if let next = page.cursor {
                guard seen.insert(next).inserted else { throw APIError.repeatedCursor(request: label) }
            }
            cursor = page.cursor
        } while cursor != nil
        return pageNumber
    }

    /// Sends a GET with the API key (and the connector token when given); a non-2xx answer
    /// becomes `APIError.http` with the server's `detail`.
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
        guard (200..<300).contains(result.status) else {
            let detail = redactor.redact(ErrorDetail.extract(from: result.body))
            throw .http(status: result.status, detail: detail, request: label, retryAfter: result.header("Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) })
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
