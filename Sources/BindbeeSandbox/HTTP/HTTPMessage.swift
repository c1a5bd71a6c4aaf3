import Foundation

/// Header fields in arrival order with case-insensitive lookup, because HTTP field names are
/// case-insensitive (`X-Connector-Token` and `x-connector-token` are the same header).
public struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)] = []) {
        self.fields = fields
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of the named header, or nil.
    public subscript(name: String) -> String? {
        fields.first { Self.sameName($0.name, name) }?.value
    }

    /// Every value of the named header, in arrival order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// Appends a field (duplicates allowed, as on the wire).
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every field of that name with one field.
    public mutating func set(_ name: String, _ value: String) {
        fields.removeAll { Self.sameName($0.name, name) }
        fields.append((name, value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.sameName($0.name, name) }
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// ASCII case-insensitive comparison (field names are tokens: ASCII only).
    static func sameName(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q {
            guard asciiLower(p) == asciiLower(q) else { return false }
        }
        return true
    }

    static func asciiLower(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte + 0x20 : byte
    }
}

/// One parsed HTTP/1.x request, as a handler sees it.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, ... exactly as sent (methods are case-sensitive).
    public let method: String
    /// The request target as sent on the request line (path and query, still percent-encoded).
    public let target: String
    /// The percent-decoded path (without the query).
    public let path: String
    /// The raw query string after `?` (nil when there is none), still encoded.
    public let rawQuery: String?
    /// Query parameters decoded like an HTML form: `+` is a space, then percent-decoding.
    public let queryItems: [(name: String, value: String)]
    /// `HTTP/1.1` or `HTTP/1.0`.
    public let version: String
    public let headers: HTTPHeaders
    public let body: [UInt8]

    public init(method: String, target: String, version: String = "HTTP/1.1",
                headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        var pathPart = Substring(target)
        // absolute-form ("http://host/path?q") is allowed by RFC 9112; keep only the path.
        if let schemeEnd = pathPart.range(of: "://") {
            let afterScheme = pathPart[schemeEnd.upperBound...]
            pathPart = afterScheme.firstIndex(of: "/").map { afterScheme[$0...] } ?? "/"
        }
        if let q = pathPart.firstIndex(of: "?") {
            self.rawQuery = String(pathPart[pathPart.index(after: q)...])
            pathPart = pathPart[..<q]
        } else {
            self.rawQuery = nil
        }
        self.path = FormDecoding.percentDecode(pathPart, plusIsSpace: false)
        self.queryItems = rawQuery.map(FormDecoding.queryItems) ?? []
    }

    /// The value of a query parameter; when repeated, the last one wins (as in Starlette).
    public func queryValue(_ name: String) -> String? {
        queryItems.last { $0.name == name }?.value
    }

    /// Whether the client asked to keep the connection open after this request.
    public var wantsKeepAlive: Bool {
        let tokens = headers.values("Connection")
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if tokens.contains("close") { return false }
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") }
        return true
    }
}

/// How the server should misbehave while writing one response: the seam for fault injection.
/// Handlers ask for it per response; `HTTPServer` applies it where it writes responses, so
/// the misbehaviour is real on the wire (a reset is a TCP RST, a stall a silent socket).
public enum HTTPFault: Sendable, Equatable {
    /// Write the response normally.
    case none
    /// Write the status line and headers (with the full `Content-Length`), then close the
    /// connection with a TCP reset (SO_LINGER 0) instead of sending the body.
    case resetAfterHeaders
    /// Send only the first `bytes` bytes of the body, with `Content-Length: bytes`: the
    /// framing is valid, the content is cut. The connection stays usable.
    case truncateBody(bytes: Int)
    /// Write nothing for `seconds` (less if the peer closes or the server stops), then close
    /// the connection.
    case stall(seconds: Double)
}

/// A response a handler returns; the server adds `Content-Length` and `Connection`.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Misbehaviour to apply while writing this response (see `HTTPFault`).
    public var fault: HTTPFault

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], fault: HTTPFault = .none) {
        self.status = status
        self.headers = headers
        self.body = body
        self.fault = fault
    }

    /// A response with a JSON body (`Content-Type: application/json`).
    public static func json(_ status: Int, _ text: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var all = headers
        all.set("Content-Type", "application/json")
        return HTTPResponse(status: status, headers: all, body: Array(text.utf8))
    }

    /// A plain-text response, for protocol errors the server answers itself.
    public static func text(_ status: Int, _ text: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// The standard reason phrase for the status line.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
