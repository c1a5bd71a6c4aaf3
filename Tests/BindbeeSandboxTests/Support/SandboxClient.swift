import BindbeeSandbox
import BindbeeSync

/// Percent-encodes a query component: everything but RFC 3986 unreserved characters, so a
/// cursor's `+`, `/` and `=` reach the server intact.
func queryEncode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            out += "%" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return out
}

/// One page as the tests see it.
struct Page {
    let response: RawResponse
    let json: JSONValue

    var cursor: String? { json["cursor"]?.stringValue }
    var items: [JSONValue] { json["items"]?.arrayValue ?? [] }
    var pageSize: Int64? { json["page_size"]?.intValue }
}

/// Talks to a sandbox as a Bindbee client would, over one keep-alive connection.
final class SandboxClient {
    let sandbox: Sandbox
    let http: RawHTTPClient

    init(_ sandbox: Sandbox) throws {
        self.sandbox = sandbox
        self.http = try RawHTTPClient(port: sandbox.port)
    }

    /// GET `path` with the API key (unless `apiKey` says otherwise) and an optional token.
    func get(_ path: String, token: String? = nil, query: [(String, String)] = [], apiKey: String?? = .none,
             headers: [(String, String)] = []) throws -> RawResponse {
        var all = headers
        switch apiKey {
        case .none: all.append(("Authorization", "Bearer \(sandbox.apiKey)"))
        case .some(.some(let key)): all.append(("Authorization", "Bearer \(key)"))
        case .some(.none): break
        }
        if let token { all.append(("X-Connector-Token", token)) }
        return try http.request("GET", target(path, query), headers: all)
    }

    func target(_ path: String, _ query: [(String, String)]) -> String {
        query.isEmpty ? path : path + "?" + query.map { "\(queryEncode($0.0))=\(queryEncode($0.1))" }.joined(separator: "&")
    }

    /// One page of a data list; fails the test (throws) on anything but 200.
    func page(_ connector: SandboxConnector, _ spec: ModelSpec, query: [(String, String)] = []) throws -> Page {
        let response = try get(spec.path, token: connector.token, query: query)
        guard response.status == 200 else {
            throw ClientError(description: "\(spec.path) answered \(response.status): \(response.text)")
        }
        return Page(response: response, json: try response.json())
    }

    /// Follows cursors to the end; returns every page.
    func walk(_ connector: SandboxConnector, _ spec: ModelSpec, query: [(String, String)] = [],
              maxPages: Int = 1000) throws -> [Page] {
        var pages: [Page] = []
        var cursor: String?
        repeat {
            let page = try self.page(connector, spec, query: query + (cursor.map { [("cursor", $0)] } ?? []))
            pages.append(page)
            cursor = page.cursor
        } while cursor != nil && pages.count < maxPages
        return pages
    }
}

/// The catalog's spec of a model.
func spec(_ category: Category, _ model: String) -> ModelSpec {
    ModelCatalog.shared.model(category, model)!
}

/// Every connector token and the API key, for "never echoed" checks.
func secrets(of sandbox: Sandbox) -> [String] {
    [sandbox.apiKey] + sandbox.connectors.map(\.token)
}

extension SandboxClient {
    /// POSTs `body` to an admin route with the API key (unless `apiKey` says otherwise).
    func admin(_ path: String, _ body: String? = nil, apiKey: String?? = .none, method: String = "POST") throws -> RawResponse {
        var headers = [("Content-Type", "application/json")]
        switch apiKey {
        case .none: headers.append(("Authorization", "Bearer \(sandbox.apiKey)"))
        case .some(.some(let key)): headers.append(("Authorization", "Bearer \(key)"))
        case .some(.none): break
        }
        return try http.request(method, path, headers: headers, body: body)
    }

    /// The ids of every item of a walk.
    func ids(_ connector: SandboxConnector, _ spec: ModelSpec, query: [(String, String)] = []) throws -> [String] {
        try walk(connector, spec, query: query).flatMap(\.items).compactMap { $0["id"]?.stringValue }
    }
}

/// The field a refused change names, or nil when the change went through.
func refusedField(_ change: () throws(SandboxChangeError) -> Void) -> String? {
    do {
        try change()
        return nil
    } catch {
        return error.field
    }
}

/// The first page of a list with `page_size=200` exactly as the sandbox writes it for these
/// records (all of them fit), to compare response bodies byte for byte.
func wholeListBody(_ records: [SandboxRecord]) -> String {
    "{\"cursor\":null,\"page_size\":\(records.count),\"items\":[" + records.map(\.defaultJSON).joined(separator: ",") + "]}"
}
