import Foundation

/// Binds one scanned record to a model's upsert statement: each top-level member to its typed
/// column, the record's own bytes to `_record`. Keys are matched as bytes (no String per key):
/// records usually list fields in schema order, so the expected field is tried first.
struct RecordBinder {
    let model: ModelSpec
    private let names: [[UInt8]]
    private let types: [ColumnType]
    /// Parameter index of the first field (1 is `_connector`).
    private static let firstFieldParameter: Int32 = 2

    /// Per field (catalog order): keep, exclude or hash (the model's `ModelOptions`).
    private let actions: [FieldAction]
    private let rewriter: RecordRewriter

    init(model: ModelSpec, options: ModelOptions = .none, hasher: FieldHasher? = nil) {
        self.model = model
        self.names = model.fields.map { Array($0.name.utf8) }
        self.types = model.fields.map(\.columnType)
        self.actions = model.fields.map { field in
            options.excludeFields.contains(field.name) ? .exclude : options.hashFields.contains(field.name) ? .hash : .keep
        }
        self.rewriter = RecordRewriter(hasher: hasher)
    }

    var recordParameter: Int32 { Self.firstFieldParameter + Int32(names.count) }
    var syncedAtParameter: Int32 { recordParameter + 1 }

    /// Binds the fields and `_record` of `item`. Members not in the catalog stay in `_record`
    /// only; fields missing from the item are NULL (bindings are cleared between rows).
    /// With excluded or hashed fields, `_record` is the rewritten record (see `RecordRewriter`)
    /// and those columns hold NULL or the hash.
    func bind(_ item: ScannedItem, of page: ScannedPage, buffer: UnsafeBufferPointer<UInt8>, to statement: SQLiteStatement) throws {
        var expected = 0
        var changes: [Int: RecordChange] = [:]  // by member: what the stored record does differently
        for m in item.members {
            let member = page.members[m]
            guard let field = fieldIndex(of: member, page: page, buffer: buffer, expected: expected) else { continue }
            expected = field + 1
            let parameter = Self.firstFieldParameter + Int32(field)
            switch actions[field] {
            case .keep:
                try bindValue(member, type: types[field], buffer: buffer, at: parameter, statement)
            case .exclude:
                changes[m] = .drop
            case .hash:
                // A null stays null (and stays in the record as it is).
                if let digest = rewriter.hash(member, buffer: buffer) {
                    try statement.bind(.text(digest), at: parameter)
                    changes[m] = .replace(digest)
                }
            }
        }
        guard !changes.isEmpty else {
            return try statement.bindTextNoCopy(UnsafeBufferPointer(rebasing: buffer[item.bytes]), at: recordParameter)
        }
        let record = rewriter.rewrite(item, of: page, buffer: buffer, changes: changes)
        try record.withUnsafeBufferPointer { try statement.bindText($0, at: recordParameter) }
    }

    private func fieldIndex(of member: ScannedMember, page: ScannedPage, buffer: UnsafeBufferPointer<UInt8>, expected: Int) -> Int? {
        if member.keyEscaped {
            let key = page.key(member)
            return model.fields.firstIndex { $0.name.unicodeScalars.elementsEqual(key.unicodeScalars) }
        }
        let key = UnsafeBufferPointer(rebasing: buffer[member.key])
        // The expected field first, then onwards (an optional field the server left out), then
        // from the start: one comparison per member when the order is the catalog's.
        for offset in 0..<names.count {
            let index = (expected + offset) % names.count
            if Self.same(names[index], key) { return index }
        }
        return nil
    }

    @inline(__always)
    private static func same(_ name: [UInt8], _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        name.count == key.count && name.withUnsafeBufferPointer { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }
    }

    private func bindValue(_ member: ScannedMember, type: ColumnType, buffer: UnsafeBufferPointer<UInt8>, at index: Int32, _ statement: SQLiteStatement) throws {
        let reader = JSONReader(buffer)
        /// The value's JSON text (strings with their quotes).
        func rawJSON() -> UnsafeBufferPointer<UInt8> {
            switch member.kind {
            case .string, .escapedString:
                return UnsafeBufferPointer(rebasing: buffer[(member.value.lowerBound - 1)..<(member.value.upperBound + 1)])
            default:
                return UnsafeBufferPointer(rebasing: buffer[member.value])
            }
        }
        switch member.kind {
        case .null:
            return  // already NULL
        case .string:
            if type == .json { return try statement.bindTextNoCopy(rawJSON(), at: index) }
            try statement.bindTextNoCopy(UnsafeBufferPointer(rebasing: buffer[member.value]), at: index)
        case .escapedString:
            if type == .json { return try statement.bindTextNoCopy(rawJSON(), at: index) }
            try statement.bind(.text(reader.decodeString(member.value, escaped: true)), at: index)
        case .true, .false:
            switch type {
            case .text, .json: try statement.bindTextNoCopy(rawJSON(), at: index)
            default: try statement.bindInt64(member.kind == .true ? 1 : 0, at: index)
            }
        case .integer:
            switch type {
            case .text, .json: try statement.bindTextNoCopy(rawJSON(), at: index)
            case .real: try statement.bindDouble(reader.int64(member.value).map(Double.init) ?? reader.double(member.value), at: index)
            default:
                if let value = reader.int64(member.value) {
                    try statement.bindInt64(value, at: index)
                } else {
                    // Beyond 64 bits: kept as its exact digits (the column cannot hold it).
                    try statement.bindTextNoCopy(rawJSON(), at: index)
                }
            }
        case .number:
            switch type {
            case .text, .json: try statement.bindTextNoCopy(rawJSON(), at: index)
            default: try statement.bindDouble(reader.double(member.value), at: index)
            }
        case .object, .array:
            try statement.bindTextNoCopy(rawJSON(), at: index)
        }
    }
}
