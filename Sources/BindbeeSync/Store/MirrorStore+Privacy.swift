import CSQLite
import Foundation

/// The PII rules a mirror is written with: each model's `ModelOptions` (by qualified name)
/// and the key hashed fields are hashed with.
public struct MirrorPrivacy: Sendable {
    public var options: [String: ModelOptions]
    public var hasher: FieldHasher?

    public init(options: [String: ModelOptions] = [:], hasher: FieldHasher? = nil) {
        self.options = options
        self.hasher = hasher
    }

    public static let none = MirrorPrivacy()

    public func options(for model: ModelSpec) -> ModelOptions { options[model.qualifiedName] ?? .none }
}

/// Boxes the hasher for SQLite's user-data pointer.
private final class HasherBox {
    let hasher: FieldHasher
    init(_ hasher: FieldHasher) { self.hasher = hasher }
}

extension MirrorStore {
    /// Brings the rows already mirrored in line with the PII rules, in one transaction:
    /// a field newly excluded is set NULL and removed from `_record`; a field newly hashed is
    /// replaced by its hash in both. The rules and the hash key's fingerprint are recorded in
    /// `_privacy`; a different key is refused (`MirrorStoreError.hashKeyChanged`). A field
    /// taken off the rules is not restored here: the next full sync writes it again.
    func applyPrivacy() throws {
        if let hasher = privacy.hasher { registerHashFunction(hasher) }
        try database.transaction {
            let now = Timestamp.now()
            for model in catalog.models {
                let options = privacy.options(for: model)
                let stored = try database.query("SELECT excluded_fields, hashed_fields, hash_key_fingerprint FROM _privacy WHERE model = ?",
                                                [.text(model.qualifiedName)]).first
                let wasExcluded = Set(stored.flatMap { $0[0].text }.map(Self.fieldList) ?? [])
                let wasHashed = Set(stored.flatMap { $0[1].text }.map(Self.fieldList) ?? [])
                if stored == nil && !options.rewritesRecords { continue }
                var fingerprint = stored?[2].text
                if !options.hashFields.isEmpty, let hasher = privacy.hasher {
                    if let fingerprint, fingerprint != hasher.fingerprint, !wasHashed.isEmpty {
                        throw MirrorStoreError.hashKeyChanged(path: path, model: model.qualifiedName)
                    }
                    fingerprint = hasher.fingerprint
                }
                let table = MirrorSchema.quote(model.tableName)
                for field in options.excludeFields.subtracting(wasExcluded).sorted() {
                    let column = MirrorSchema.quote(field)
                    _ = try database.query("""
                        UPDATE \(table) SET \(column) = NULL, "_record" = json_remove("_record", ?)
                        WHERE \(column) IS NOT NULL OR json_type("_record", ?) IS NOT NULL
                        """, [.text(Self.jsonPath(field)), .text(Self.jsonPath(field))])
                    scrubbed["\(model.qualifiedName).\(field)"] = database.changes
                }
                for field in options.hashFields.subtracting(wasHashed).sorted() {
                    let column = MirrorSchema.quote(field)
                    // Hash the value as the writer does: a string's text (hash fields are text fields).
                    _ = try database.query("""
                        UPDATE \(table) SET
                          \(column) = bindbee_hmac_sha256(json_extract("_record", ?1)),
                          "_record" = json_set("_record", ?1, bindbee_hmac_sha256(json_extract("_record", ?1)))
                        WHERE json_type("_record", ?1) = 'text'
                        """, [.text(Self.jsonPath(field))])
                    scrubbed["\(model.qualifiedName).\(field)"] = database.changes
                }
                _ = try database.query("""
                    INSERT INTO _privacy (model, excluded_fields, hashed_fields, hash_key_fingerprint, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (model) DO UPDATE SET excluded_fields = excluded.excluded_fields, hashed_fields = excluded.hashed_fields,
                      hash_key_fingerprint = excluded.hash_key_fingerprint, updated_at = excluded.updated_at
                    """, [.text(model.qualifiedName), .text(Self.listText(options.excludeFields)), .text(Self.listText(options.hashFields)),
                          fingerprint.map(SQLiteValue.text) ?? .null, .text(now)])
            }
        }
    }

    /// `$."field"`: a JSON path naming one top-level key, whatever its characters.
    static func jsonPath(_ field: String) -> String {
        "$.\"" + field.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func listText(_ fields: Set<String>) -> String {
        JSONValue.array(fields.sorted().map { .string($0) }).serialized
    }

    static func fieldList(_ text: String) -> [String] {
        guard case .array(let items)? = try? JSONValue.parse(text) else { return [] }
        return items.compactMap { if case .string(let s) = $0 { return s }; return nil }
    }

    /// `bindbee_hmac_sha256(text)` on this connection, for the scrub above.
    private func registerHashFunction(_ hasher: FieldHasher) {
        let box = Unmanaged.passRetained(HasherBox(hasher)).toOpaque()
        sqlite3_create_function_v2(database.handle, "bindbee_hmac_sha256", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, box, { context, _, arguments in
            guard let context, let argument = arguments?[0], sqlite3_value_type(argument) != SQLITE_NULL,
                  let data = sqlite3_user_data(context) else {
                sqlite3_result_null(context)
                return
            }
            let hasher = Unmanaged<HasherBox>.fromOpaque(data).takeUnretainedValue().hasher
            let count = Int(sqlite3_value_bytes(argument))
            let digest = hasher.hex(UnsafeBufferPointer(start: sqlite3_value_text(argument), count: count))
            sqlite3_result_text(context, digest, -1, csqlite_transient())
        }, nil, nil, { data in
            if let data { Unmanaged<HasherBox>.fromOpaque(data).release() }
        })
    }
}
