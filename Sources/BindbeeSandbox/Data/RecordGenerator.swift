import BindbeeSync

/// Builds the records of one connector from the catalog: every field of the item schema with
/// a value of its declared type, derived from the seed and keyed by (connector, model, index,
/// field). Field names only refine the value (a `city` gets a city, an `*_email` an address);
/// the list of fields always comes from `ModelCatalog`.
struct RecordGenerator {
    let seed: UInt64
    let connector: SandboxConnector
    let now: SandboxTimestamp
    /// Record count of every model of the connector's category (relations pick among these).
    let counts: [String: Int]
    let nestedSchemas: [String: [FieldSpec]]
    /// Where record 0 of a model carries 2^53+1: the model and the field path.
    let bigInteger: (model: String, path: [String])?
    /// Model → ids of the records that exist now, sorted. Set for records made after the data
    /// has changed: relations then pick among these instead of the generated ids, so they
    /// never point at a deleted record.
    var liveIDs: [String: [String]]?

    /// Records with an index below this are never null and use the special samples in order.
    static let guaranteedCount = 8

    init(seed: UInt64, connector: SandboxConnector, now: SandboxTimestamp, catalog: ModelCatalog) {
        self.seed = seed
        self.connector = connector
        self.now = now
        let models = catalog.models(in: connector.category)
        var counts: [String: Int] = [:]
        for model in models { counts[model.model] = connector.recordCount(model: model.model, seed: seed) }
        self.counts = counts
        self.nestedSchemas = catalog.nestedSchemas
        self.bigInteger = Self.bigIntegerLocation(models, nested: catalog.nestedSchemas, counts: counts)
    }

    /// The first model (catalog order) with an integer field, top-level first, then nested.
    private static func bigIntegerLocation(_ models: [ModelSpec], nested: [String: [FieldSpec]],
                                           counts: [String: Int]) -> (model: String, path: [String])? {
        let populated = models.filter { (counts[$0.model] ?? 0) > 0 }
        for model in populated {
            if let field = model.fields.first(where: { $0.type == .integer }) { return (model.model, [field.name]) }
        }
        for model in populated {
            for field in model.fields where field.type == .object {
                if let ref = field.ref, let inner = nested[ref]?.first(where: { $0.type == .integer }) {
                    return (model.model, [field.name, inner.name])
                }
            }
        }
        return nil
    }

    /// The id of record `index` of `model`: a pure function, so relations can name records
    /// before they are built.
    func recordID(model: String, index: Int) -> String {
        var random = KeyedRandom(seed: seed, connector.name, model, String(index), "id")
        return random.uuid()
    }

    /// `modified_at` of every record of a model: groups of 5-20 consecutive records share one
    /// millisecond-precise instant within the 30 days before `now`.
    func modifiedAtValues(model: String, count: Int) -> [SandboxTimestamp] {
        var random = KeyedRandom(seed: seed, connector.name, model, "modified_at")
        var values: [SandboxTimestamp] = []
        values.reserveCapacity(count)
        let window = 30 * SandboxTimestamp.millisecondsPerDay
        while values.count < count {
            let groupSize = random.int(in: 5...20)
            let instant = now.adding(milliseconds: -Int64(random.below(Int(window))))
            values.append(contentsOf: repeatElement(instant, count: min(groupSize, count - values.count)))
        }
        return values
    }

    /// The complete record (with `raw_data` and `custom_fields` objects) in catalog field order.
    /// A `revision` draws every value but `id`, `remote_id` and the person from other streams:
    /// the same record as rewritten upstream.
    func record(_ spec: ModelSpec, index: Int, modifiedAt: SandboxTimestamp, revision: String? = nil) -> JSONObject {
        let person = person(model: spec.model, index: index)
        let noun = noun(spec.model)
        // Members are appended in order (JSONObject's subscript setter searches linearly).
        var recordStream = KeyedRandom(seed: seed, connector.name, spec.model, String(index))
        if let revision { recordStream = recordStream.derived("revision " + revision) }
        var anchorStream = recordStream.derived("anchor")
        let anchor = now.adding(milliseconds: -Int64(anchorStream.int(in: 30...400)) * SandboxTimestamp.millisecondsPerDay
            - Int64(anchorStream.below(Int(SandboxTimestamp.millisecondsPerDay))))
        return JSONObject(spec.fields.map { field in
            var random = recordStream.derived(field.name)
            let slot = Slot(model: spec.model, noun: noun, index: index, person: person,
                            path: [field.name], modifiedAt: modifiedAt, anchor: anchor)
            return (field.name, value(field, slot, &random))
        })
    }

    /// Where a value goes; the generator's only context besides the field itself.
    struct Slot {
        let model: String
        /// Singular, capitalized model name for generated names ("Pay Group").
        let noun: String
        let index: Int
        let person: SampleText.Person
        let path: [String]
        let modifiedAt: SandboxTimestamp
        /// Where the record's periods start (`start_date`, `start_time`, ...), so ends follow starts.
        let anchor: SandboxTimestamp

        func nested(_ name: String, noun: String) -> Slot {
            Slot(model: model, noun: noun, index: index, person: person, path: path + [name], modifiedAt: modifiedAt,
                 anchor: anchor)
        }
    }

    private func value(_ field: FieldSpec, _ slot: Slot, _ random: inout KeyedRandom) -> JSONValue {
        let topLevel = slot.path.count == 1
        if topLevel {
            switch field.name {
            case "id": return .string(recordID(model: slot.model, index: slot.index))
            case "remote_id": return .string(remoteID(model: slot.model, index: slot.index))
            case "modified_at": return .string(slot.modifiedAt.iso8601)
            case "raw_data": return rawData(slot, &random)
            case "custom_fields": return customFields(slot, &random)
            case "is_deleted": return .bool(false)
            default: break
            }
        }
        if let big = bigInteger, big.model == slot.model, big.path == slot.path, slot.index == 0 {
            return .int(SandboxDataset.beyondDoubleInteger)
        }
        if field.nullable, slot.index >= Self.guaranteedCount, random.chance(10) { return .null }
        if RelationMap.isRelation(field, category: connector.category) {
            return relation(field, slot, &random)
        }
        switch field.type {
        case .string:
            if let members = field.enum { return .string(enumValue(members, passthrough: field.enumPassthrough == true, &random)) }
            return .string(ValueText.string(field, slot, now: now, connector: connector, &random))
        case .integer:
            return .int(ValueText.integer(field.name, &random))
        case .number:
            return ValueText.number(field.name, &random)
        case .boolean:
            return .bool(random.bool())
        case .object:
            if let ref = field.ref, let schema = nestedSchemas[ref] {
                return nestedObject(schema, slot, noun: ValueText.words(ref), &random)
            }
            return .object(JSONObject([("note", .string(random.pick(SampleText.sentences)))]))
        case .array:
            return array(field, slot, &random)
        case .any:
            return .null  // every `any` field is a relation; an unmapped one stays null (a test catches it)
        }
    }

    private func nestedObject(_ schema: [FieldSpec], _ slot: Slot, noun: String, _ random: inout KeyedRandom) -> JSONValue {
        .object(JSONObject(schema.map { field in
            (field.name, value(field, slot.nested(field.name, noun: noun), &random))
        }))
    }

    private func array(_ field: FieldSpec, _ slot: Slot, _ random: inout KeyedRandom) -> JSONValue {
        let count = random.int(in: 1...3)
        if let members = field.enum {
            let real = members.filter { $0 != "-" }
            return .array(random.distinctIndices(count, of: real.count).map { .string(real[$0]) })
        }
        switch field.items {
        case .ref(let ref)?:
            let schema = nestedSchemas[ref] ?? []
            return .array((0..<count).map { _ in nestedObject(schema, slot, noun: ValueText.words(ref), &random) })
        case .type("object")?:
            return .array((0..<count).map { k in
                .object(JSONObject([("label", .string(random.pick(SampleText.words))), ("value", .string("option_\(k + 1)"))]))
            })
        default:
            return .array((0..<count).map { _ in .string(ValueText.listElement(field.name, slot, connector: connector, &random)) })
        }
    }

    private func relation(_ field: FieldSpec, _ slot: Slot, _ random: inout KeyedRandom) -> JSONValue {
        let isArray = field.type == .array
        if let liveIDs, let target = RelationMap.target(connector.category, field: field.name) {
            let own = target == slot.model ? recordID(model: slot.model, index: slot.index) : nil
            let pool = (liveIDs[target] ?? []).filter { $0 != own }
            guard !pool.isEmpty else { return isArray ? .array([]) : .null }
            if isArray {
                return .array(random.distinctIndices(random.int(in: 0...3), of: pool.count).map { .string(pool[$0]) })
            }
            return .string(pool[random.below(pool.count)])
        }
        guard let target = RelationMap.target(connector.category, field: field.name),
              let total = counts[target], total > 0 else { return isArray ? .array([]) : .null }
        // A record never points at itself (a manager is someone else).
        let selfIndex = target == slot.model ? slot.index : nil
        let candidates = total - (selfIndex == nil ? 0 : 1)
        guard candidates > 0 else { return isArray ? .array([]) : .null }
        func targetIndex(_ k: Int) -> Int { if let s = selfIndex, k >= s { return k + 1 }; return k }
        if isArray {
            let picks = random.distinctIndices(random.int(in: 0...3), of: candidates)
            return .array(picks.map { .string(recordID(model: target, index: targetIndex($0))) })
        }
        return .string(recordID(model: target, index: targetIndex(random.below(candidates))))
    }

    private func enumValue(_ members: [String], passthrough: Bool, _ random: inout KeyedRandom) -> String {
        let roll = random.below(100)
        if passthrough, roll < 5 { return SampleText.passthroughPrefix + random.pick(SampleText.words) }
        if members.contains("-"), roll >= 5, roll < 10 { return "-" }
        let real = members.filter { $0 != "-" }
        return real.isEmpty ? "-" : random.pick(real)
    }

    func remoteID(model: String, index: Int) -> String {
        String(10_000 + Int(KeyedRandom.fnv1a(model) % 90) * 1000 + index)
    }

    private func rawData(_ slot: Slot, _ random: inout KeyedRandom) -> JSONValue {
        .object(JSONObject([
            ("source", .string(connector.integrationSlug)),
            ("remote_id", .string(remoteID(model: slot.model, index: slot.index))),
            ("fetched_at", .string(slot.modifiedAt.iso8601)),
            ("payload", .object(JSONObject([
                ("note", .string(random.pick(SampleText.freeText))),
                ("revision", .int(Int64(random.int(in: 1...40)))),
            ]))),
        ]))
    }

    private func customFields(_ slot: Slot, _ random: inout KeyedRandom) -> JSONValue {
        .object(JSONObject([
            ("cost_center", .string("CC-\(random.int(in: 100...999))")),
            ("badge_color", .string(random.pick(["blue", "green", "vermilion", "ochre"]))),
            ("nickname", .string(slot.person.first)),
        ]))
    }

    private func person(model: String, index: Int) -> SampleText.Person {
        if index < SampleText.specialPeople.count { return SampleText.specialPeople[index] }
        var random = KeyedRandom(seed: seed, connector.name, model, String(index), "person")
        let first = random.pick(SampleText.firstNames), last = random.pick(SampleText.lastNames)
        return SampleText.Person(first: first.0, last: last.0, asciiFirst: first.1, asciiLast: last.1)
    }

    private func noun(_ model: String) -> String {
        var singular = model
        if singular.hasSuffix("ies") { singular = String(singular.dropLast(3)) + "y" }
        else if singular.hasSuffix("s") { singular = String(singular.dropLast()) }
        return ValueText.words(singular)
    }
}
