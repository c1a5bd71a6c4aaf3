import Foundation

/// What kind of JSON value a scanned member holds.
public enum ScannedKind: UInt8, Sendable {
    case string, escapedString, integer, number, `true`, `false`, null, object, array
}

/// One top-level `"key": value` of a record, as byte ranges into the page.
public struct ScannedMember: Sendable {
    public let key: Range<Int>
    public let keyEscaped: Bool
    /// The value's bytes; for strings, the contents between the quotes.
    public let value: Range<Int>
    public let kind: ScannedKind
}

/// One record of a page: its bytes (sliced, never re-serialized, so `_record` is exactly what
/// the API sent) and the range of its members in `ScannedPage.members`.
public struct ScannedItem: Sendable {
    public let bytes: Range<Int>
    public let members: Range<Int>
    /// The member holding `id` (always a string; the scanner refuses records without one).
    public let idMember: Int
}

/// A page of a list endpoint, validated and indexed in one pass over its bytes, without
/// building a tree. The byte ranges point into `body`, which the page keeps alive.
public struct ScannedPage: Sendable {
    public let body: [UInt8]
    /// `nil` on the last page.
    public let cursor: String?
    /// The envelope's `page_size`: the number of items in this page.
    public let declaredPageSize: Int?
    public let items: [ScannedItem]
    public let members: [ScannedMember]

    /// The decoded `id` of an item.
    public func id(of item: ScannedItem) -> String {
        let member = members[item.idMember]
        return body.withUnsafeBufferPointer {
            JSONReader($0).decodeString(member.value, escaped: member.kind == .escapedString)
        }
    }

    /// The decoded key of a member.
    public func key(_ member: ScannedMember) -> String {
        body.withUnsafeBufferPointer { JSONReader($0).decodeString(member.key, escaped: member.keyEscaped) }
    }

    /// The latest instant among the items' string values of top-level `field` (e.g.
    /// `modified_at`), with the server's text; nil when no item has a parsable one.
    public func maxTimestamp(of field: String) -> ServerTimestamp? {
        let fieldBytes = Array(field.utf8)
        var latest: ServerTimestamp?
        body.withUnsafeBufferPointer { buffer in
            let reader = JSONReader(buffer)
            for item in items {
                for m in item.members {
                    let member = members[m]
                    guard member.kind == .string || member.kind == .escapedString,
                          member.keyEscaped ? key(member) == field : buffer[member.key].elementsEqual(fieldBytes) else { continue }
                    if let stamp = ServerTimestamp(reader.decodeString(member.value, escaped: member.kind == .escapedString)),
                       latest.map({ stamp > $0 }) ?? true {
                        latest = stamp
                    }
                    break
                }
            }
        }
        return latest
    }

    /// An item's bytes as text.
    public func text(of item: ScannedItem) -> String {
        String(decoding: body[item.bytes], as: UTF8.self)
    }
}

/// Why a page body was refused.
public struct PageFormatError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// Validates a page envelope `{"cursor": string|null, "page_size": int, "items": [object]}`
/// and indexes its items. Every item must be an object with a string `id`.
public enum PageScanner {
    public static func scan(_ body: [UInt8]) throws(PageFormatError) -> ScannedPage {
        do {
            return try body.withUnsafeBufferPointer { try scan(buffer: $0, body: body) }
        } catch let error as PageFormatError {
            throw error
        } catch {
            throw PageFormatError(message: "\(error)")
        }
    }

    private static func scan(buffer: UnsafeBufferPointer<UInt8>, body: [UInt8]) throws -> ScannedPage {
        var reader = JSONReader(buffer)
        var cursor: String?? = .none
        var pageSize: Int?
        var items: [ScannedItem] = []
        var members: [ScannedMember] = []
        var sawItems = false
        try reader.expect(UInt8(ascii: "{"), "the page to be a JSON object")
        if !reader.consume(UInt8(ascii: "}")) {
            repeat {
                let key = try reader.readString()
                try reader.expect(UInt8(ascii: ":"), "':'")
                switch key {
                case "cursor":
                    switch try reader.readValue() {
                    case .null: cursor = .some(nil)
                    case .string(let value): cursor = .some(value)
                    default: throw PageFormatError(message: "\"cursor\" is neither a string nor null")
                    }
                case "page_size":
                    guard case .int(let n) = try reader.readValue() else {
                        throw PageFormatError(message: "\"page_size\" is not an integer")
                    }
                    pageSize = Int(n)
                case "items":
                    sawItems = true
                    guard reader.peek() == UInt8(ascii: "[") else { throw PageFormatError(message: "\"items\" is not an array") }
                    reader.position += 1
                    if !reader.consume(UInt8(ascii: "]")) {
                        repeat {
                            items.append(try scanItem(&reader, index: items.count, into: &members))
                        } while reader.consume(UInt8(ascii: ","))
                        try reader.expect(UInt8(ascii: "]"), "',' or ']'")
                    }
                default:
                    try reader.skipValue()
                }
            } while reader.consume(UInt8(ascii: ","))
            try reader.expect(UInt8(ascii: "}"), "',' or '}'")
        }
        try reader.expectEnd()
        guard sawItems else { throw PageFormatError(message: "the page has no \"items\"") }
        guard case .some(let finalCursor) = cursor else {
            throw PageFormatError(message: "the page has no \"cursor\" (null marks the last page)")
        }
        return ScannedPage(body: body, cursor: finalCursor, declaredPageSize: pageSize, items: items, members: members)
    }

    private static func scanItem(_ reader: inout JSONReader, index: Int, into members: inout [ScannedMember]) throws -> ScannedItem {
        guard reader.peek() == UInt8(ascii: "{") else { throw PageFormatError(message: "item \(index) is not an object") }
        let start = reader.position
        let firstMember = members.count
        var idMember: Int?
        reader.position += 1
        if !reader.consume(UInt8(ascii: "}")) {
            repeat {
                let (key, keyEscaped) = try reader.scanString()
                try reader.expect(UInt8(ascii: ":"), "':'")
                guard let b = reader.peek() else { throw reader.error("unexpected end of data") }
                let kind: ScannedKind
                var value: Range<Int>
                switch b {
                case UInt8(ascii: "\""):
                    let (contents, escaped) = try reader.scanString()
                    value = contents
                    kind = escaped ? .escapedString : .string
                case UInt8(ascii: "{"): value = try reader.skipValue(depth: 2); kind = .object
                case UInt8(ascii: "["): value = try reader.skipValue(depth: 2); kind = .array
                case UInt8(ascii: "t"): value = try reader.skipValue(depth: 2); kind = .true
                case UInt8(ascii: "f"): value = try reader.skipValue(depth: 2); kind = .false
                case UInt8(ascii: "n"): value = try reader.skipValue(depth: 2); kind = .null
                default:
                    let (range, isInteger) = try reader.scanNumber()
                    value = range
                    kind = isInteger ? .integer : .number
                }
                if !keyEscaped, key.count == 2, reader.bytes[key.lowerBound] == UInt8(ascii: "i"),
                   reader.bytes[key.lowerBound + 1] == UInt8(ascii: "d") {
                    guard kind == .string || kind == .escapedString, !value.isEmpty else {
                        throw PageFormatError(message: "item \(index): \"id\" is not a non-empty string")
                    }
                    idMember = members.count
                }
                members.append(ScannedMember(key: key, keyEscaped: keyEscaped, value: value, kind: kind))
            } while reader.consume(UInt8(ascii: ","))
            try reader.expect(UInt8(ascii: "}"), "',' or '}'")
        }
        guard let idMember else { throw PageFormatError(message: "item \(index) has no \"id\"") }
        return ScannedItem(bytes: start..<reader.position, members: firstMember..<members.count, idMember: idMember)
    }
}
