import BindbeeSandbox
import BindbeeSync
import Foundation
import Glibc

struct ClientError: Error, CustomStringConvertible {
    let description: String
}

/// A response read off the wire by `RawHTTPClient`.
struct RawResponse {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func json() throws -> JSONValue { try JSONValue.parse(body) }

    /// `true` when the server announced it closes the connection.
    var closes: Bool { headers["Connection"]?.lowercased() == "close" }
}

/// How a read off the wire ended.
enum WireOutcome {
    case response(RawResponse)
    /// The status line and headers arrived, then the connection ended before the body did.
    case cutAfterHead(status: Int, headers: HTTPHeaders, bodyBytes: Int, reset: Bool)
    /// The connection ended (reset: by a TCP RST) before any byte of a response.
    case closed(reset: Bool)
}

/// A blocking HTTP/1.1 client over one TCP connection, so tests control exactly what goes on
/// the wire (pipelining, keep-alive, malformed requests) and see exactly what comes back.
/// Used by one test at a time; not shared between threads.
final class RawHTTPClient {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(port: UInt16, timeoutSeconds: Int = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(fd)
            throw ClientError(description: "connect failed: errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError(description: "send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Sends a GET (or other method) with the given headers and reads the response.
    func request(_ method: String = "GET", _ target: String, headers: [(String, String)] = [],
                 body: String? = nil) throws -> RawResponse {
        try send(Self.requestText(method, target, headers: headers, body: body))
        return try readResponse()
    }

    static func requestText(_ method: String = "GET", _ target: String, headers: [(String, String)] = [],
                            body: String? = nil) -> String {
        var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)" } else { text += "\r\n" }
        return text
    }

    /// Reads one response (Content-Length framed). `headOnly` for responses to HEAD.
    func readResponse(headOnly: Bool = false) throws -> RawResponse {
        switch try readOutcome(headOnly: headOnly) {
        case .response(let response): return response
        case .cutAfterHead(let status, _, let bodyBytes, let reset):
            throw ClientError(description: "\(status) cut after \(bodyBytes) body bytes (\(reset ? "reset" : "closed"))")
        case .closed(let reset): throw ClientError(description: "connection \(reset ? "reset" : "closed") by server")
        }
    }

    /// Reads one response, or how the connection ended without one. Throws on a timeout.
    func readOutcome(headOnly: Bool = false) throws -> WireOutcome {
        var headEnd: Int?
        while true {
            headEnd = Self.find([0x0D, 0x0A, 0x0D, 0x0A], in: buffer)
            if headEnd != nil { break }
            if let reset = try fill() { return .closed(reset: reset) }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw ClientError(description: "bad status line: \(lines[0])")
        }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.add(String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        let length = headOnly ? 0 : Int(headers["Content-Length"] ?? "0") ?? 0
        let bodyStart = headEnd! + 4
        while buffer.count < bodyStart + length {
            if let reset = try fill() {
                let bodyBytes = buffer.count - bodyStart
                buffer.removeAll()
                return .cutAfterHead(status: status, headers: headers, bodyBytes: bodyBytes, reset: reset)
            }
        }
        let body = Array(buffer[bodyStart..<bodyStart + length])
        buffer.removeFirst(bodyStart + length)
        return .response(RawResponse(status: status, headers: headers, body: body))
    }

    /// True when the server has closed the connection (a read returns end of stream).
    func peerClosed() -> Bool {
        if !buffer.isEmpty { return false }
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        if n == 1 { buffer.append(byte) }
        return n == 0 || (n < 0 && errno == ECONNRESET)
    }

    /// Reads what is available; nil when bytes arrived, otherwise how the connection ended
    /// (true: reset, false: closed). Throws on a timeout or another error.
    private func fill() throws -> Bool? {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return nil
        }
        if n == 0 { return false }
        if errno == ECONNRESET { return true }
        throw ClientError(description: "recv failed: errno \(errno)")
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<i + needle.count]) == needle { return i }
        }
        return nil
    }
}
