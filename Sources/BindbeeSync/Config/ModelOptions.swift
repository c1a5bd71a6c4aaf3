import Foundation

/// Per-model settings from the config's `models` object: what the mirror must not keep
/// (`exclude_fields`), what it keeps only as a keyed hash (`hash_fields`), and the optional
/// parts of the record to ask the API for. Keyed by qualified name (`hris/employees`), the
/// same for every connector, because a column means one thing in every row of its table.
public struct ModelOptions: Sendable, Equatable {
    /// Top-level fields dropped before storing: NULL in their column, absent from `_record`.
    public var excludeFields: Set<String> = []
    /// Top-level fields stored as HMAC-SHA256 (lower-case hex) of their value, in the column
    /// and in `_record`, so rows still join on them without holding the clear value.
    public var hashFields: Set<String> = []
    /// Send `include_raw_data=true` (adds `raw_data`: the upstream record as the HRIS sent it).
    public var includeRawData = false
    /// Send `include_custom_fields=true` (fills `custom_fields`).
    public var includeCustomFields = false

    public init(excludeFields: Set<String> = [], hashFields: Set<String> = [], includeRawData: Bool = false, includeCustomFields: Bool = false) {
        self.excludeFields = excludeFields
        self.hashFields = hashFields
        self.includeRawData = includeRawData
        self.includeCustomFields = includeCustomFields
    }

    public static let none = ModelOptions()

    /// True when stored records differ from served ones.
    public var rewritesRecords: Bool { !excludeFields.isEmpty || !hashFields.isEmpty }
}

extension ConfigLoader {
    /// Parses `"models": {"hris/employees": {"exclude_fields": [...], "hash_fields": [...],
    /// "include_raw_data": false, "include_custom_fields": false}}`.
    static func parseModelOptions(_ root: JSONFieldReader, catalog: ModelCatalog) throws(InputError) -> [String: ModelOptions] {
        guard let models = try root.nested("models") else { return [:] }
        var result: [String: ModelOptions] = [:]
        for (name, value) in models.object {
            let reader = try JSONFieldReader(source: root.source, path: models.fieldPath(name), value: value)
            guard let model = catalog.models.first(where: { $0.qualifiedName == name }) else {
                let hint = catalog.models.filter { $0.model == name }.map(\.qualifiedName)
                throw InputError(source: root.source, field: models.fieldPath(name),
                                 "not a list model; use category/model" + (hint.isEmpty ? "" : " (\(hint.joined(separator: " or ")))"))
            }
            try reader.rejectUnknownKeys(allowed: ["exclude_fields", "hash_fields", "include_raw_data", "include_custom_fields"])
            let known = Set(model.fields.map(\.name))
            func fields(_ key: String) throws(InputError) -> Set<String> {
                let names = try reader.stringArray(key) ?? []
                for (i, field) in names.enumerated() {
                    guard known.contains(field) else {
                        throw InputError(source: root.source, field: "\(reader.fieldPath(key))[\(i)]", "\"\(field)\" is not a field of \(name)")
                    }
                    guard field != "id" else {
                        throw InputError(source: root.source, field: "\(reader.fieldPath(key))[\(i)]", "id is the mirror's key and must be kept as it is")
                    }
                }
                return Set(names)
            }
            var options = ModelOptions(excludeFields: try fields("exclude_fields"), hashFields: try fields("hash_fields"),
                                       includeRawData: try reader.bool("include_raw_data") ?? false,
                                       includeCustomFields: try reader.bool("include_custom_fields") ?? false)
            if let both = options.excludeFields.intersection(options.hashFields).sorted().first {
                throw reader.fail("hash_fields", "\"\(both)\" is also excluded; a field is either excluded or hashed")
            }
            if options.includeRawData {
                guard model.supports.includeRawData else { throw reader.fail("include_raw_data", "\(name) does not accept include_raw_data") }
                if options.rewritesRecords && !options.excludeFields.contains("raw_data") {
                    throw reader.fail("include_raw_data", "raw_data is the upstream record and repeats the excluded and hashed fields; "
                                      + "turn include_raw_data off (or exclude raw_data)")
                }
            }
            if options.includeCustomFields && !model.supports.includeCustomFields {
                throw reader.fail("include_custom_fields", "\(name) does not accept include_custom_fields")
            }
            if options.excludeFields.contains("raw_data") { options.includeRawData = false }
            result[name] = options
        }
        return result
    }
}
