import BindbeeSync

/// One generated list item, kept both as a tree (for tests that compare a mirror with what was
/// served) and as pre-rendered compact JSON (so serving a page is a concatenation).
public struct SandboxRecord: Sendable {
    public let id: String
    public let remoteID: String?
    public let modifiedAt: SandboxTimestamp
    /// The record with `raw_data` and `custom_fields` filled in, in catalog field order.
    public let fields: JSONObject
    /// The item as served by default: no `raw_data`, `custom_fields: null`.
    public let defaultJSON: String
    /// The generator's index of the record within its model (nil for connector items), so an
    /// update can draw new values for the same record.
    let generatorIndex: Int?
    private let members: [Member]

    /// One top-level member, pre-rendered as `"key":value`, or one whose presence or value
    /// depends on the request's `include_*` flags.
    private enum Member: Sendable {
        case plain(String)
        case rawData(String)
        case customFields(requested: String)
    }

    init(fields: JSONObject, generatorIndex: Int? = nil) {
        self.fields = fields
        self.generatorIndex = generatorIndex
        func first(_ key: String) -> JSONValue? { fields.members.first { $0.key == key }?.value }
        self.id = first("id")?.stringValue ?? ""
        self.remoteID = first("remote_id")?.stringValue
        self.modifiedAt = first("modified_at")?.stringValue.flatMap(SandboxTimestamp.init(iso8601:))
            ?? SandboxTimestamp(millisecondsSince1970: 0)
        self.members = fields.members.map { member in
            var text = ""
            JSONWriter.writeString(member.key, into: &text)
            text += ":"
            JSONWriter.write(member.value, into: &text)
            switch member.key {
            case "raw_data": return .rawData(text)
            case "custom_fields": return .customFields(requested: text)
            default: return .plain(text)
            }
        }
        self.defaultJSON = Self.render(members, includeRawData: false, includeCustomFields: false)
    }

    /// The item's JSON text as the API serves it for these flags.
    public func json(includeRawData: Bool = false, includeCustomFields: Bool = false) -> String {
        if !includeRawData && !includeCustomFields { return defaultJSON }
        return Self.render(members, includeRawData: includeRawData, includeCustomFields: includeCustomFields)
    }

    /// The item as the API serves it for these flags, as a tree.
    public func item(includeRawData: Bool = false, includeCustomFields: Bool = false) -> JSONValue {
        .object(JSONObject(fields.members.compactMap { member in
            switch member.key {
            case "raw_data": return includeRawData ? member : nil
            case "custom_fields": return (member.key, includeCustomFields ? member.value : .null)
            default: return member
            }
        }))
    }

    private static func render(_ members: [Member], includeRawData: Bool, includeCustomFields: Bool) -> String {
        var out = "{"
        var first = true
        func append(_ text: String) {
            if !first { out += "," }
            out += text
            first = false
        }
        for member in members {
            switch member {
            case .plain(let text): append(text)
            case .rawData(let text): if includeRawData { append(text) }
            case .customFields(let text): append(includeCustomFields ? text : "\"custom_fields\":null")
            }
        }
        out += "}"
        return out
    }
}

/// The records of one model of one connector, in serving order (`modified_at`, then `id`).
public struct SandboxModelData: Sendable {
    public let spec: ModelSpec
    public let records: [SandboxRecord]
    /// The generator index the next inserted record gets (never reused, so new ids are new).
    let nextIndex: Int

    init(spec: ModelSpec, records: [SandboxRecord], nextIndex: Int) {
        self.spec = spec
        self.records = records.sorted { SandboxModelData.precedes($0.modifiedAt, $0.id, $1.modifiedAt, $1.id) }
        self.nextIndex = nextIndex
    }

    /// The record with this id, if any.
    public func record(id: String) -> SandboxRecord? {
        records.first { $0.id == id }
    }

    /// The serving order: by `modified_at`, then by `id` (ids are unique, so the order is total).
    static func precedes(_ t1: SandboxTimestamp, _ id1: String, _ t2: SandboxTimestamp, _ id2: String) -> Bool {
        t1 != t2 ? t1 < t2 : id1.utf8.lexicographicallyPrecedes(id2.utf8)
    }
}

/// Binary searches over records kept in serving order.
extension Array where Element == SandboxRecord {
    /// Index of the first record after the position (`modifiedAt`, `id`) in serving order.
    func firstIndex(after modifiedAt: SandboxTimestamp, id: String) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            let r = self[mid]
            if SandboxModelData.precedes(modifiedAt, id, r.modifiedAt, r.id) { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// Index of the first record with `modified_at >= instant` (microseconds since 1970).
    func firstIndex(modifiedAtOrAfterMicroseconds instant: Int64) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if self[mid].modifiedAt.millisecondsSince1970 * 1000 >= instant { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
