import Foundation

/// The three Bindbee API categories; a connector token belongs to exactly one.
public enum Category: String, Sendable, CaseIterable, Codable, Comparable {
    case hris, ats, lms

    public static func < (a: Category, b: Category) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// The JSON type the spec declares for a field. `any` is the spec's untyped `{}`
/// (relation fields: a UUID string, or an object when expanded); `number` is integer|number.
public enum FieldType: String, Sendable, Codable {
    case string, integer, number, boolean, object, array, any
}

/// One top-level field of a list item, as `models.json` describes it.
/// It decides the mirror column's name and SQLite type, and what the sandbox generates.
public struct FieldSpec: Sendable, Codable, Equatable {
    public let name: String
    public let type: FieldType
    public let nullable: Bool
    public let format: String?
    public let `enum`: [String]?
    /// Name of a nested schema in `ModelCatalog.nestedSchemas` (objects, or array items).
    public let ref: String?
    public let required: Bool
    public let declaredTypes: [String]
    /// Array element type: `"any"`, `"string"`, `"object"` or `{"ref": Schema}` in models.json.
    public let items: ArrayItems?
    public let enumPassthrough: Bool?

    enum CodingKeys: String, CodingKey {
        case name, type, nullable, format, `enum`, ref, required, items
        case declaredTypes = "declared_types"
        case enumPassthrough = "enum_passthrough"
    }

    /// How the field is stored in its mirror column.
    public var columnType: ColumnType {
        switch type {
        case .string: return .text
        case .integer: return .integer
        case .number: return .real
        case .boolean: return .boolean
        case .object, .array: return .json
        case .any: return .relation
        }
    }
}

/// The element type of an array field.
public enum ArrayItems: Sendable, Codable, Equatable {
    case type(String)
    case ref(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            self = .type(s)
        } else {
            struct Ref: Codable { let ref: String }
            self = .ref(try c.decode(Ref.self).ref)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .type(let s): try c.encode(s)
        case .ref(let r): try c.encode(["ref": r])
        }
    }
}

/// How a field's value is kept in its typed column.
public enum ColumnType: Sendable, Equatable {
    /// TEXT: strings as they are.
    case text
    /// INTEGER: exact 64-bit integers.
    case integer
    /// REAL: integer|number amounts.
    case real
    /// INTEGER 0/1.
    case boolean
    /// TEXT holding the value's JSON (objects and arrays).
    case json
    /// TEXT: a related record's id as plain text, or the JSON of an expanded object.
    case relation

    /// The declared SQLite type of the column.
    public var sqlType: String {
        switch self {
        case .text, .json, .relation: return "TEXT"
        case .integer, .boolean: return "INTEGER"
        case .real: return "REAL"
        }
    }
}

/// Which optional query parameters a list endpoint accepts.
public struct EndpointSupports: Sendable, Codable, Equatable {
    public let modifiedAfter: Bool
    public let expand: Bool
    public let includeRawData: Bool
    public let includeCustomFields: Bool
    public let remoteId: Bool
    public let ids: Bool

    enum CodingKeys: String, CodingKey {
        case expand, ids
        case modifiedAfter = "modified_after"
        case includeRawData = "include_raw_data"
        case includeCustomFields = "include_custom_fields"
        case remoteId = "remote_id"
    }
}

/// One paginated list endpoint of the Bindbee API (one mirror table).
public struct ModelSpec: Sendable, Codable, Equatable {
    public let path: String
    public let category: Category
    /// The last URL segment, verbatim (`bank-info`, `time-off`): how configs and jobs name models.
    public let model: String
    public let itemSchema: String
    public let filters: [String]
    public let endpointFilters: [String]
    public let supports: EndpointSupports
    public let pageSizeDefault: Int
    public let pageSizeMin: Int
    public let pageSizeMax: Int
    public let fields: [FieldSpec]
    public let beta: Bool?

    enum CodingKeys: String, CodingKey {
        case path, category, model, filters, supports, fields, beta
        case itemSchema = "item_schema"
        case endpointFilters = "endpoint_filters"
        case pageSizeDefault = "page_size_default"
        case pageSizeMin = "page_size_min"
        case pageSizeMax = "page_size_max"
    }

    /// `<category>_<model>` with `-` turned into `_`: the mirror table's name (public contract).
    public var tableName: String {
        "\(category.rawValue)_\(model.replacingOccurrences(of: "-", with: "_"))"
    }

    /// `hris/employees`: how logs and reports name a model.
    public var qualifiedName: String { "\(category.rawValue)/\(model)" }

    public func field(named name: String) -> FieldSpec? { fields.first { $0.name == name } }
}

/// Every list model of the Bindbee API, derived from `models.json` (embedded at build time by
/// `update-catalog.sh`), so the mirror's tables, the client's paths and the sandbox's data all
/// follow the same facts.
public struct ModelCatalog: Sendable {
    public let models: [ModelSpec]
    /// Nested object schemas referenced by fields (`HrisAddress`, `Earning`, `AtsUrl`, ...).
    public let nestedSchemas: [String: [FieldSpec]]

    /// The catalog compiled into the binary.
    public static let shared: ModelCatalog = {
        do {
            return try ModelCatalog(json: Data(embeddedModelsJSON.utf8))
        } catch {
            fatalError("the embedded models.json does not decode: \(error)")
        }
    }()

    public init(json: Data) throws {
        struct File: Decodable {
            let list_endpoints: [ModelSpec]
            let nested_schemas: [String: [FieldSpec]]
        }
        let file = try JSONDecoder().decode(File.self, from: json)
        self.models = file.list_endpoints
        self.nestedSchemas = file.nested_schemas
    }

    public func models(in category: Category) -> [ModelSpec] {
        models.filter { $0.category == category }
    }

    public func model(_ category: Category, _ name: String) -> ModelSpec? {
        models.first { $0.category == category && $0.model == name }
    }
}
