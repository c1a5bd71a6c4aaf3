/// A strict RFC 8259 reader over UTF-8 bytes: the one tokenizer behind `JSONValue.parse`
/// and `PageScanner`. It validates as it goes (UTF-8, escapes, number grammar, nesting depth),
/// so a page that slices cleanly is a page that is valid JSON.
///
/// The buffer must outlive the reader; all positions are byte offsets into it.
public struct JSONReader {
    public let bytes: UnsafeBufferPointer<UInt8>
    public var position: Int = 0
    /// Deeper nesting than this is refused rather than risking the stack.
    public static let maxDepth = 512

    public init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: - Tokens

    @inline(__always)
    public mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// The next non-space byte, without consuming it; nil at the end.
    @inline(__always)
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    public func error(_ message: String, at offset: Int? = nil) -> JSONError {
        JSONError(message: message, offset: offset ?? position)
    }

    public mutating func expect(_ byte: UInt8, _ what: String) throws(JSONError) {
        guard peek() == byte else { throw error("expected \(what)") }
        position += 1
    }

    public mutating func expectEnd() throws(JSONError) {
        if peek() != nil { throw error("unexpected data after the JSON value") }
    }

    /// Consumes `byte` if it is next.
    @inline(__always)
    public mutating func consume(_ byte: UInt8) -> Bool {
        if peek() == byte { position += 1; return true }
        return false
    }

    // MARK: - Strings

    /// Scans a string token at the cursor. Returns the byte range of its contents (between
    /// the quotes) and whether it contains escapes; validates escapes and UTF-8.
    public mutating func scanString() throws(JSONError) -> (contents: Range<Int>, escaped: Bool) {
        guard peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        position += 1
        let start = position
        var escaped = false
        while true {
            position = Self.skipPlainASCII(bytes, from: position)
            guard position < bytes.count else { break }
            let b = bytes[position]
            if b == UInt8(ascii: "\"") {
                let range = start..<position
                position += 1
                return (range, escaped)
            } else if b == UInt8(ascii: "\\") {
                escaped = true
                position += 1
                guard position < bytes.count else { break }
                switch bytes[position] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    position += 1
                case UInt8(ascii: "u"):
                    guard position + 4 < bytes.count else { throw error("truncated \\u escape") }
                    for i in 1...4 where hexValue(bytes[position + i]) == nil {
                        throw error("invalid \\u escape", at: position + i)
                    }
                    position += 5
                default:
                    throw error("invalid escape character")
                }
            } else if b < 0x20 {
                throw error("unescaped control character in a string")
            } else if b < 0x80 {
                position += 1
            } else {
                try skipUTF8Scalar()
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    /// The first offset at or after `start` whose byte is not plain string content: a quote,
    /// a backslash, a control character or a non-ASCII byte (or `bytes.count`). Tests eight
    /// bytes at a time with the classic has-less-than / has-zero-byte word tricks (little-endian
    /// loads: the lowest bits are the first byte); the last few bytes of the buffer one by one.
    @inline(__always)
    static func skipPlainASCII(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var i = start
        while i + 8 <= bytes.count {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let special = (word & highs)                                  // non-ASCII
                | ((word &- ones &* 0x20) & ~word & highs)                 // a byte below 0x20
                | ((quote &- ones) & ~quote & highs)                       // a quote
                | ((backslash &- ones) & ~backslash & highs)               // a backslash
            // The lowest flagged byte is always a real match (a false flag can only sit above
            // a real one, where a borrow ran on), so it is the first special byte.
            if special != 0 { return i + special.trailingZeroBitCount / 8 }
            i += 8
        }
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { return i }
            i += 1
        }
        return i
    }

    /// Reads a string token into a `String`, decoding escapes (surrogate pairs included).
    public mutating func readString() throws(JSONError) -> String {
        let (range, escaped) = try scanString()
        return decodeString(range, escaped: escaped)
    }

    /// Decodes the contents of a string token already validated by `scanString`.
    public func decodeString(_ range: Range<Int>, escaped: Bool) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        if !escaped {
            return String(decoding: slice, as: UTF8.self)
        }
        var scalars = String.UnicodeScalarView()
        var utf8 = [UInt8]()
        var i = range.lowerBound
        func flush() {
            if !utf8.isEmpty {
                scalars.append(contentsOf: String(decoding: utf8, as: UTF8.self).unicodeScalars)
                utf8.removeAll(keepingCapacity: true)
            }
        }
        while i < range.upperBound {
            let b = bytes[i]
            guard b == UInt8(ascii: "\\") else { utf8.append(b); i += 1; continue }
            flush()
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = hex4(at: i)
                i += 4
                // A lone surrogate cannot live in a String: it becomes U+FFFD here (the typed
                // column), while `_record` keeps the original bytes.
                if (0xD800...0xDBFF).contains(code), i + 1 < range.upperBound,
                   bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                   case let low = hex4(at: i + 2), (0xDC00...0xDFFF).contains(low) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xD800...0xDFFF).contains(code) {
                    code = 0xFFFD
                }
                scalars.append(Unicode.Scalar(code)!)
            default:  // " \ /
                scalars.append(Unicode.Scalar(e))
            }
        }
        flush()
        return String(scalars)
    }

    // MARK: - Numbers

    /// Scans a number token (RFC 8259 grammar). Returns its range and whether it is an integer.
    public mutating func scanNumber() throws(JSONError) -> (range: Range<Int>, isInteger: Bool) {
        skipWhitespace()
        let start = position
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number", at: start) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            isInteger = false
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number", at: start) }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isInteger = false
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else { throw error("invalid number", at: start) }
            while position < bytes.count, isDigit(bytes[position]) { position += 1 }
        }
        return (start..<position, isInteger)
    }

    /// The exact Int64 of an integer token, or nil when it does not fit.
    public func int64(_ range: Range<Int>) -> Int64? {
        var i = range.lowerBound
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        var value: Int64 = 0
        while i < range.upperBound {
            let digit = Int64(bytes[i] &- 0x30)
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return value
    }

    public func double(_ range: Range<Int>) -> Double {
        Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)) ?? .nan
    }

    // MARK: - Values

    /// Skips one value of any kind, validating it. Returns its byte range.
    @discardableResult
    public mutating func skipValue(depth: Int = 0) throws(JSONError) -> Range<Int> {
        guard let b = peek() else { throw error("unexpected end of data") }
        let start = position
        switch b {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
            position += 1
            if !consume(UInt8(ascii: "}")) {
                repeat {
                    _ = try scanString()
                    try expect(UInt8(ascii: ":"), "':'")
                    try skipValue(depth: depth + 1)
                } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "}"), "',' or '}'")
            }
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
            position += 1
            if !consume(UInt8(ascii: "]")) {
                repeat { try skipValue(depth: depth + 1) } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "]"), "',' or ']'")
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try scanNumber()
        }
        return start..<position
    }

    /// Reads one value into a `JSONValue` tree.
    public mutating func readValue(depth: Int = 0) throws(JSONError) -> JSONValue {
        guard let b = peek() else { throw error("unexpected end of data") }
        switch b {
        case UInt8(ascii: "\""):
            return .string(try readString())
        case UInt8(ascii: "{"):
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
            position += 1
            var members: [(key: String, value: JSONValue)] = []
            if !consume(UInt8(ascii: "}")) {
                repeat {
                    let key = try readString()
                    try expect(UInt8(ascii: ":"), "':'")
                    members.append((key, try readValue(depth: depth + 1)))
                } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "}"), "',' or '}'")
            }
            return .object(JSONObject(members))
        case UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw error("nesting deeper than \(Self.maxDepth)") }
            position += 1
            var items: [JSONValue] = []
            if !consume(UInt8(ascii: "]")) {
                repeat { items.append(try readValue(depth: depth + 1)) } while consume(UInt8(ascii: ","))
                try expect(UInt8(ascii: "]"), "',' or ']'")
            }
            return .array(items)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            let (range, isInteger) = try scanNumber()
            if isInteger, let i = int64(range) { return .int(i) }
            return .double(double(range))
        }
    }

    // MARK: - Helpers

    private mutating func literal(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        guard position + n <= bytes.count else { throw error("invalid literal") }
        let w = word.utf8Start
        for i in 0..<n where bytes[position + i] != w[i] { throw error("invalid literal") }
        position += n
    }

    /// Validates one multi-byte UTF-8 scalar at the cursor (no overlongs, no surrogates).
    private mutating func skipUTF8Scalar() throws(JSONError) {
        let b0 = bytes[position]
        let length: Int
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw error("invalid UTF-8")
        }
        guard position + length <= bytes.count else { throw error("invalid UTF-8") }
        let b1 = bytes[position + 1]
        guard b1 >= lower, b1 <= upper else { throw error("invalid UTF-8") }
        for i in 2..<max(length, 2) where bytes[position + i] & 0xC0 != 0x80 {
            throw error("invalid UTF-8")
        }
        position += length
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: return UInt32(b - 0x30)
        case 0x41...0x46: return UInt32(b - 0x41 + 10)
        case 0x61...0x66: return UInt32(b - 0x61 + 10)
        default: return nil
        }
    }

    private func hex4(at i: Int) -> UInt32 {
        (hexValue(bytes[i])! << 12) | (hexValue(bytes[i + 1])! << 8) | (hexValue(bytes[i + 2])! << 4) | hexValue(bytes[i + 3])!
    }
}
