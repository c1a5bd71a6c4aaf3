import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Query-string encoding that leaves nothing to interpretation: only RFC 3986 unreserved
/// characters stay as they are. Cursors are base64 and may hold `+`, `/` and `=`; a `+` left
/// raw (as `URLComponents` leaves it) is read by servers as a space.
public enum QueryEncoding {
    public static func encode(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0x0F)]))
            }
        }
        return out
    }

    /// `a=1&b=2`, each name and value encoded, in the given order.
    public static func queryString(_ items: [(name: String, value: String)]) -> String {
        items.map { encode($0.name) + "=" + encode($0.value) }.joined(separator: "&")
    }
}

/// An HTTP answer as the client needs it: status, headers (lower-cased names) and body.
public struct HTTPResult: Sendable {
    public let status: Int
    public let headers: [String: String]
    public let body: [UInt8]

    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Timeouts for every request, in whole seconds (URLSession on Linux truncates fractions).
public struct HTTPTimeouts: Sendable, Equatable {
    /// Time allowed to connect and receive the response headers. URLSession has no separate
    /// connect timeout, so the transport enforces this one itself.
    public var connect: Int
    /// Time allowed for the whole request, body included (URLSession's request timer covers
    /// the whole transfer on Linux).
    public var request: Int

    public init(connect: Int = 15, request: Int = 60) {
        self.connect = connect
        self.request = request
    }
}

/// A failure below HTTP: connection refused or reset, a timeout, a broken transfer.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let isTimeout: Bool

    public init(message: String, isTimeout: Bool) {
        self.message = message
        self.isTimeout = isTimeout
    }

    public var description: String { message }
}

/// Blocking GETs over one long-lived URLSession (connection reuse is per session), safe to
/// call from many Dispatch threads at once. No cache, no cookies, explicit timeouts.
public final class HTTPTransport: Sendable {
    private let session: URLSession
    public let timeouts: HTTPTimeouts

    public init(timeouts: HTTPTimeouts = HTTPTimeouts(), maxConnectionsPerHost: Int = 64) {
        self.timeouts = timeouts
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = TimeInterval(max(1, timeouts.request))
        configuration.timeoutIntervalForResource = TimeInterval(max(1, timeouts.request))
        configuration.httpMaximumConnectionsPerHost = maxConnectionsPerHost
        // No delegate: the session gathers each body itself and calls one completion handler,
        // instead of handing every received chunk to a delegate queue (a thread wake-up each).
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    /// Sends a GET and waits for the whole answer.
    public func get(_ url: URL, headers: [String: String]) throws(TransportError) -> HTTPResult {
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let transfer = Transfer()
        let task = session.dataTask(with: request) { data, response, error in
            transfer.complete(data: data, response: response, error: error)
        }
        task.resume()
        // URLSession has no connect timeout: cancel the task if its response has not started in
        // time. Both are captured weakly: a strong `transfer` would keep the answer alive until
        // the timer fires, so memory would grow with the pages fetched in that time.
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(max(1, timeouts.connect))) { [weak task, weak transfer] in
            guard let task, task.response == nil else { return }
            if transfer?.markConnectTimeout() == true { task.cancel() }
        }
        return try transfer.wait().get()
    }
}

/// One transfer's outcome, set by the session's completion handler and awaited by the caller.
final class Transfer: Sendable {
    private let connectTimedOut = Locked(false)
    private let done = DispatchSemaphore(value: 0)
    private let outcome = Locked<Result<HTTPResult, TransportError>?>(nil)

    /// Marks the transfer as stopped by the connect timeout (the caller cancels the task);
    /// false when it already completed.
    func markConnectTimeout() -> Bool {
        if outcome.withLock({ $0 != nil }) { return false }
        connectTimedOut.withLock { $0 = true }
        return true
    }

    func complete(data: Data?, response: URLResponse?, error: Error?) {
        let result: Result<HTTPResult, TransportError>
        if connectTimedOut.withLock({ $0 }) {
            result = .failure(TransportError(message: "no response within the connect timeout", isTimeout: true))
        } else if let error {
            let nsError = error as NSError
            let timedOut = nsError.domain == NSURLErrorDomain && nsError.code == NSURLErrorTimedOut
            result = .failure(TransportError(message: HTTPTransport.describe(nsError), isTimeout: timedOut))
        } else if let http = response as? HTTPURLResponse {
            var headers: [String: String] = [:]
            for (key, value) in http.allHeaderFields {
                if let key = key as? String, let value = value as? String { headers[key.lowercased()] = value }
            }
            result = .success(HTTPResult(status: http.statusCode, headers: headers, body: data.map { [UInt8]($0) } ?? []))
        } else {
            result = .failure(TransportError(message: "no HTTP response", isTimeout: false))
        }
        outcome.withLock { $0 = result }
        done.signal()
    }

    func wait() -> Result<HTTPResult, TransportError> {
        done.wait()
        return outcome.withLock { $0! }
    }
}

extension HTTPTransport {
    /// A one-line reason without the URL (the URL carries query values; headers carry secrets).
    static func describe(_ error: NSError) -> String {
        guard error.domain == NSURLErrorDomain else { return error.localizedDescription }
        switch error.code {
        case NSURLErrorTimedOut: return "the request timed out"
        case NSURLErrorCancelled: return "the request was cancelled"
        case NSURLErrorCannotConnectToHost: return "could not connect to the server"
        case NSURLErrorNetworkConnectionLost: return "the connection was lost"
        case NSURLErrorCannotFindHost: return "the server's host name could not be resolved"
        case NSURLErrorNotConnectedToInternet: return "no network"
        case NSURLErrorBadServerResponse: return "the server sent a malformed response"
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted: return "the TLS connection failed"
        default: return "network error \(error.code)"
        }
    }
}
