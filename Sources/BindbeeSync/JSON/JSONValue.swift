/// A parsed JSON document that keeps what the mirror contract needs and Foundation loses:
/// key order, integers exact to 64 bits, `true` distinct from `1`, and strings compared by
/// their exact code points (Swift's `==` on `String` would equate "é" with "e\u{301}").
///
/// Used for configs, job files, API error bodies, the sandbox's data and tests. The hot path
/// (pages of records) does not build these trees: `PageScanner` slices records out instead.
public enum JSONValue: Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses one JSON document (RFC 8259; UTF-8; nothing but white space after it).
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONError) -> JSONValue {
        let array = Array(bytes)
        return try array.withUnsafeBufferPointer { (buf) throws(JSONError) -> JSONValue in
            var reader = JSONReader(buf)
            let value = try reader.readValue()
            try reader.expectEnd()
            return value
        }
    }

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Compact JSON text. Non-ASCII characters are written as they are (UTF-8).
    public var serialized: String {
        var out = ""
        JSONWriter.write(self, into: &out)
        return out
    }

    public var description: String { serialized }

    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int64? { if case .int(let i) = self { return i }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    public var objectValue: JSONObject? { if case .object(let o) = self { return o }; return nil }
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// The JSON type's name, for error messages ("expected a string, found an object").
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int: return "an integer"
        case .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension JSONValue: Equatable {
    /// Semantic equality: same types, same key sets (order ignored), integers exact,
    /// strings equal code point by code point.
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }
}

/// A JSON object that keeps its members in document order.
public struct JSONObject: Sendable, Equatable, Sequence {
    public private(set) var members: [(key: String, value: JSONValue)]

    public init(_ members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    /// The last member with this key (later duplicates win, as in most parsers).
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members.reversed() where member.key.unicodeScalars.elementsEqual(key.unicodeScalars) {
                return member.value
            }
            return nil
        }
        set {
            if let i = members.lastIndex(where: { $0.key.unicodeScalars.elementsEqual(key.unicodeScalars) }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    public var keys: [String] { members.map(\.key) }
    public var count: Int { members.count }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.members.count == b.members.count else { return false }
        for (key, value) in a.members {
            guard let other = b[key], other == value else { return false }
        }
        return true
    }
}

/// Where and why a JSON text failed to parse.
public struct JSONError: Error, Sendable, CustomStringConvertible, Equatable {
    public let message: String
    /// Byte offset into the document.
    public let offset: Int

    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

/// Compact serializer shared by `JSONValue` and the sandbox's page renderer.
public enum JSONWriter {
    public static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            // Swift prints the shortest text that reads back to the same Double ("3.0", "1e+20").
            out += d.isFinite ? String(d) : "null"
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (i, member) in object.members.enumerated() {
                if i > 0 { out += "," }
                writeString(member.key, into: &out)
                out += ":"
                write(member.value, into: &out)
            }
            out += "}"
        }
    }

    /// Writes a JSON string literal: `"` and `\` and control characters escaped; every other
    /// code point written as it is, so no normalization can happen.
    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
