/// Decodes query strings the way form-decoding servers (Starlette, Python's `parse_qsl`) do:
/// `+` becomes a space *before* percent-decoding, so a client that sends a base64 cursor with a
/// raw `+` gets a space back. Invalid `%` escapes are kept literally.
enum FormDecoding {
    static func queryItems(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return (percentDecode(pair[..<eq], plusIsSpace: true),
                        percentDecode(pair[pair.index(after: eq)...], plusIsSpace: true))
            }
            return (percentDecode(pair, plusIsSpace: true), "")
        }
    }

    static func percentDecode(_ text: Substring, plusIsSpace: Bool) -> String {
        let utf8 = Array(text.utf8)
        var out = [UInt8]()
        out.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b == UInt8(ascii: "+"), plusIsSpace {
                out.append(UInt8(ascii: " "))
                i += 1
            } else if b == UInt8(ascii: "%"), i + 2 < utf8.count,
                      let hi = hexDigit(utf8[i + 1]), let lo = hexDigit(utf8[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(b)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}

/// Reads one HTTP/1.x request off the front of a connection's read buffer. It never consumes
/// bytes of the next request, so pipelined requests stay in the buffer for the next call.
struct HTTPRequestParser {
    /// Request line plus header fields; more is refused with 431.
    var maxHeaderBytes: Int
    /// Larger `Content-Length` values are refused with 413.
    var maxBodyBytes: Int

    enum Outcome {
        /// The buffer does not hold a whole request yet.
        case needMore
        /// A request, and how many bytes of the buffer it used.
        case request(HTTPRequest, consumed: Int)
        /// The bytes are not an acceptable request: answer with this status and close.
        case failure(status: Int, reason: String)
    }

    func parse(_ buffer: [UInt8]) -> Outcome {
        // RFC 9112 §2.2: ignore empty lines before the request line.
        var start = 0
        while start < buffer.count, buffer[start] == 0x0D || buffer[start] == 0x0A { start += 1 }
        guard let (headEnd, bodyStart) = findHeadEnd(buffer, from: start) else {
            if buffer.count - start > maxHeaderBytes {
                return .failure(status: 431, reason: "request header fields too large")
            }
            return .needMore
        }
        if headEnd - start > maxHeaderBytes {
            return .failure(status: 431, reason: "request header fields too large")
        }
        let lines = splitLines(buffer[start..<headEnd])
        guard let requestLine = lines.first else { return .failure(status: 400, reason: "empty request") }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-" || $0 == "_") }) else {
            return .failure(status: 400, reason: "malformed request line")
        }
        let version = String(parts[2])
        guard version.hasPrefix("HTTP/1.") else {
            return version.hasPrefix("HTTP/")
                ? .failure(status: 505, reason: "only HTTP/1.x is supported")
                : .failure(status: 400, reason: "malformed request line")
        }
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else {
            return .failure(status: 505, reason: "only HTTP/1.0 and HTTP/1.1 are supported")
        }
        var headers = HTTPHeaders()
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  !line[..<colon].contains(where: { $0 == " " || $0 == "\t" }),
                  line.first != " ", line.first != "\t" else {
                return .failure(status: 400, reason: "malformed header field")
            }
            let value = line[line.index(after: colon)...].trimmingSpacesAndTabs()
            headers.add(String(line[..<colon]), String(value))
        }
        if headers["Transfer-Encoding"] != nil {
            return .failure(status: 501, reason: "Transfer-Encoding is not supported")
        }
        var bodyLength = 0
        let lengths = Set(headers.values("Content-Length").map { $0 })
        if lengths.count > 1 { return .failure(status: 400, reason: "conflicting Content-Length") }
        if let text = lengths.first {
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(text) else {
                return .failure(status: 400, reason: "invalid Content-Length")
            }
            guard n <= maxBodyBytes else { return .failure(status: 413, reason: "request body too large") }
            bodyLength = n
        }
        guard buffer.count - bodyStart >= bodyLength else { return .needMore }
        let request = HTTPRequest(method: String(parts[0]), target: String(parts[1]), version: version,
                                  headers: headers, body: Array(buffer[bodyStart..<bodyStart + bodyLength]))
        return .request(request, consumed: bodyStart + bodyLength)
    }

    /// Finds the empty line ending the head. Returns where the head's last line ends and where
    /// the body starts. Accepts CRLF and bare LF line endings.
    private func findHeadEnd(_ buffer: [UInt8], from start: Int) -> (Int, Int)? {
        var i = start
        while i < buffer.count {
            if buffer[i] == 0x0A {
                if i + 1 < buffer.count, buffer[i + 1] == 0x0A { return (i, i + 2) }
                if i + 2 < buffer.count, buffer[i + 1] == 0x0D, buffer[i + 2] == 0x0A { return (i, i + 3) }
            }
            i += 1
        }
        return nil
    }

    /// Splits the head into lines on LF bytes (a Swift `String` would treat CRLF as one
    /// character), dropping a trailing CR from each line.
    private func splitLines(_ head: ArraySlice<UInt8>) -> [Substring] {
        head.split(separator: 0x0A, omittingEmptySubsequences: true).compactMap { line in
            let trimmed = line.last == 0x0D ? line.dropLast() : line
            return trimmed.isEmpty ? nil : Substring(String(decoding: trimmed, as: UTF8.self))
        }
    }
}

extension Substring {
    func trimmingSpacesAndTabs() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return s
    }
}
