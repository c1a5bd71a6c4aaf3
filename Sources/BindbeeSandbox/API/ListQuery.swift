import BindbeeSync

/// The query parameters of a list request, validated the way Bindbee's FastAPI service does:
/// every problem becomes one entry of an `HTTPValidationError` (422), nothing is clamped.
///
/// Honoured: `page_size`, `cursor`, `modified_after` (where the endpoint declares it),
/// `include_raw_data`, `include_custom_fields`, `ids`, `remote_id` (where declared).
/// Ignored like unknown parameters: `expand` (relations stay ids) and every model-specific
/// filter (`employee_id`, `status`, `start_date_from`, ...).
struct ListQuery {
    var pageSize = 50
    /// nil or empty: the first page.
    var cursor: String?
    /// Microseconds since 1970; records with `modified_at >= modifiedAfter` match.
    var modifiedAfter: Int64?
    var includeRawData = false
    var includeCustomFields = false
    var ids: Set<String>?
    var remoteID: String?

    /// Which optional parameters an endpoint declares, and its page size bounds.
    struct Capabilities {
        var pageSizeDefault = 50
        var pageSizeMin = 1
        var pageSizeMax = 200
        var modifiedAfter = false
        var ids = false
        var remoteID = false

        init() {}

        init(_ spec: ModelSpec) {
            pageSizeDefault = spec.pageSizeDefault
            pageSizeMin = spec.pageSizeMin
            pageSizeMax = spec.pageSizeMax
            modifiedAfter = spec.supports.modifiedAfter
            ids = spec.supports.ids
            remoteID = spec.supports.remoteId
        }
    }

    /// Parses a list's query; validation problems are added to `errors`.
    static func parse(_ request: HTTPRequest, _ endpoint: Capabilities, errors: inout ValidationErrors) -> ListQuery {
        var query = ListQuery()
        query.cursor = request.queryValue("cursor")
        query.pageSize = endpoint.pageSizeDefault
        if let text = request.queryValue("page_size"),
           let size = errors.integer(text, name: "page_size", min: endpoint.pageSizeMin, max: endpoint.pageSizeMax) {
            query.pageSize = size
        }
        if endpoint.modifiedAfter, let text = request.queryValue("modified_after") {
            query.modifiedAfter = errors.dateTime(text, name: "modified_after")
        }
        if let text = request.queryValue("include_raw_data") {
            query.includeRawData = errors.boolean(text, name: "include_raw_data") ?? false
        }
        if let text = request.queryValue("include_custom_fields") {
            query.includeCustomFields = errors.boolean(text, name: "include_custom_fields") ?? false
        }
        if endpoint.ids, let text = request.queryValue("ids") {
            query.ids = Set(text.split(separator: ",").map { String($0.trimmingSpacesAndTabs()) }.filter { !$0.isEmpty })
        }
        if endpoint.remoteID, let text = request.queryValue("remote_id") {
            query.remoteID = text
        }
        return query
    }

    func matches(_ record: SandboxRecord) -> Bool {
        if let ids, !ids.contains(record.id) { return false }
        if let remoteID, record.remoteID != remoteID { return false }
        return true
    }
}

/// The `detail` entries of a FastAPI `HTTPValidationError`, in pydantic v2's shape.
struct ValidationErrors {
    private(set) var entries: [JSONValue] = []

    var isEmpty: Bool { entries.isEmpty }

    /// `{"detail":[...]}`.
    var body: String {
        JSONValue.object(JSONObject([("detail", .array(entries))])).serialized
    }

    /// A problem with a query parameter.
    mutating func add(name: String, type: String, message: String, input: String, context: JSONObject? = nil) {
        add(loc: [.string("query"), .string(name)], type: type, message: message, input: .string(input), context: context)
    }

    /// A problem anywhere (`loc` as FastAPI writes it: `["body", "seconds"]`).
    mutating func add(loc: [JSONValue], type: String, message: String, input: JSONValue, context: JSONObject? = nil) {
        var entry = JSONObject([
            ("type", .string(type)),
            ("loc", .array(loc)),
            ("msg", .string(message)),
            ("input", input),
        ])
        if let context { entry["ctx"] = .object(context) }
        entries.append(.object(entry))
    }

    /// An integer in `min...max`, or nil after recording why not.
    mutating func integer(_ text: String, name: String, min: Int, max: Int) -> Int? {
        let trimmed = Substring(text).trimmingSpacesAndTabs()
        let digits = trimmed.first == "+" || trimmed.first == "-" ? trimmed.dropFirst() : trimmed
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int(trimmed.first == "+" ? digits : trimmed) else {
            add(name: name, type: "int_parsing", message: "Input should be a valid integer, unable to parse string as an integer",
                input: text)
            return nil
        }
        if value < min {
            add(name: name, type: "greater_than_equal", message: "Input should be greater than or equal to \(min)",
                input: text, context: JSONObject([("ge", .int(Int64(min)))]))
            return nil
        }
        if value > max {
            add(name: name, type: "less_than_equal", message: "Input should be less than or equal to \(max)",
                input: text, context: JSONObject([("le", .int(Int64(max)))]))
            return nil
        }
        return value
    }

    /// A boolean as pydantic reads one from a query string.
    mutating func boolean(_ text: String, name: String) -> Bool? {
        switch text.lowercased() {
        case "1", "true", "t", "yes", "y", "on": return true
        case "0", "false", "f", "no", "n", "off": return false
        default:
            add(name: name, type: "bool_parsing", message: "Input should be a valid boolean, unable to interpret input",
                input: text)
            return nil
        }
    }

    /// An ISO 8601 date-time (microseconds since 1970), or nil after recording why not.
    mutating func dateTime(_ text: String, name: String) -> Int64? {
        if let micros = ISO8601Parsing.microseconds(text) { return micros }
        add(name: name, type: "datetime_from_date_parsing", message: "Input should be a valid datetime or date",
            input: text)
        return nil
    }
}
