import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Sandbox dataset")
struct DatasetTests {
    let catalog = ModelCatalog.shared

    @Test("the same seed gives byte-identical records; another seed different ones")
    func determinism() {
        let small = [SandboxConnector.umbrellaHRIS, .globexATS]
        let a = SandboxDataset(seed: 7, connectors: small)
        let b = SandboxDataset(seed: 7, connectors: small)
        let c = SandboxDataset(seed: 8, connectors: small)
        var differing = 0, total = 0
        for connector in small {
            for spec in catalog.models(in: connector.category) {
                let left = a.records(connector: connector.name, model: spec.model).map(\.defaultJSON)
                #expect(left == b.records(connector: connector.name, model: spec.model).map(\.defaultJSON))
                let other = c.records(connector: connector.name, model: spec.model).map(\.defaultJSON)
                total += 1
                if left != other { differing += 1 }
            }
        }
        #expect(differing == total)
    }

    @Test("adding a connector leaves the other connectors' data unchanged")
    func connectorsAreIndependent() {
        let alone = SandboxDataset(seed: 3, connectors: [.umbrellaHRIS])
        let together = SandboxDataset(seed: 3, connectors: [.globexATS, .umbrellaHRIS, .initechLMS])
        for spec in catalog.models(in: .hris) {
            #expect(alone.records(connector: "umbrella-hris", model: spec.model).map(\.defaultJSON)
                == together.records(connector: "umbrella-hris", model: spec.model).map(\.defaultJSON))
        }
    }

    @Test("demo scale: 250 acme employees, 40 umbrella employees, 20-60 elsewhere")
    func demoCounts() {
        #expect(demoDataset.records(connector: "acme-hris", model: "employees").count == 250)
        #expect(demoDataset.records(connector: "umbrella-hris", model: "employees").count == 40)
        for connector in demoDataset.connectors {
            let counts = demoDataset.recordCounts(connector: connector.name)
            #expect(counts.count == catalog.models(in: connector.category).count)
            for (model, count) in counts where connector.recordCountOverrides[model] == nil {
                #expect(connector.recordsPerModel.contains(count), "\(connector.name)/\(model): \(count)")
            }
        }
    }

    @Test("every record has exactly the catalog's fields, each of its declared type")
    func fieldsFollowTheCatalog() throws {
        for connector in demoDataset.connectors {
            for spec in catalog.models(in: connector.category) {
                for record in demoDataset.records(connector: connector.name, model: spec.model) {
                    #expect(record.fields.keys == spec.fields.map(\.name))
                    for field in spec.fields {
                        let value = try #require(record.fields[field.name])
                        #expect(Self.conforms(value, field, nested: catalog.nestedSchemas),
                                "\(connector.name)/\(spec.model).\(field.name) = \(value)")
                    }
                }
            }
        }
    }

    /// Whether a value fits a field: its JSON type, nullability, enum and nested schema.
    static func conforms(_ value: JSONValue, _ field: FieldSpec, nested: [String: [FieldSpec]]) -> Bool {
        if value.isNull { return field.nullable }
        switch (field.type, value) {
        case (.string, .string(let s)):
            guard let members = field.enum else { return true }
            return members.contains(s) || (field.enumPassthrough == true && s.hasPrefix("Custom: "))
        case (.integer, .int), (.number, .int), (.number, .double), (.boolean, .bool): return true
        case (.object, .object(let o)):
            guard let ref = field.ref, let schema = nested[ref] else { return true }
            return o.keys == schema.map(\.name) && schema.allSatisfy { conforms(o[$0.name]!, $0, nested: nested) }
        case (.array, .array(let items)):
            return items.allSatisfy { item in
                switch field.items {
                case .ref(let ref)?:
                    let schema = nested[ref] ?? []
                    guard case .object(let o) = item else { return false }
                    return o.keys == schema.map(\.name) && schema.allSatisfy { conforms(o[$0.name]!, $0, nested: nested) }
                case .type("string")?:
                    guard case .string(let s) = item else { return false }
                    return field.enum.map { $0.contains(s) } ?? true
                case .type("object")?: return item.objectValue != nil
                case .type("any")?: return item.stringValue != nil
                default: return false
                }
            }
        case (.any, .string): return true
        default: return false
        }
    }

    @Test("ids are unique lowercase v4 UUIDs")
    func idsAreUUIDs() {
        var seen = Set<String>()
        for connector in demoDataset.connectors {
            for spec in catalog.models(in: connector.category) {
                for record in demoDataset.records(connector: connector.name, model: spec.model) {
                    #expect(isLowercaseUUIDv4(record.id), "\(record.id)")
                    #expect(seen.insert(record.id).inserted, "duplicate id \(record.id)")
                }
            }
        }
    }

    @Test("every untyped field of the catalog is in the relation map, pointing at a model of its category")
    func relationMapIsComplete() {
        for spec in catalog.models {
            for field in spec.fields where field.type == .any || field.items == .type("any") {
                let target = RelationMap.target(spec.category, field: field.name)
                #expect(target != nil, "\(spec.qualifiedName).\(field.name) is not mapped")
                if let target { #expect(catalog.model(spec.category, target) != nil, "\(target) is not a model") }
            }
        }
        for (category, fields) in RelationMap.targets {
            for (_, target) in fields { #expect(catalog.model(category, target) != nil, "\(category)/\(target)") }
        }
    }

    @Test("every relation holds ids of records of its target model in the same connector")
    func relationsPointAtExistingRecords() {
        for connector in demoDataset.connectors {
            var idsByModel: [String: Set<String>] = [:]
            for spec in catalog.models(in: connector.category) {
                idsByModel[spec.model] = Set(demoDataset.records(connector: connector.name, model: spec.model).map(\.id))
            }
            for spec in catalog.models(in: connector.category) {
                let records = demoDataset.records(connector: connector.name, model: spec.model)
                for field in spec.fields {
                    guard let target = RelationMap.target(connector.category, field: field.name),
                          field.type == .any || field.type == .array || field.format == "uuid" else { continue }
                    let valid = idsByModel[target] ?? []
                    var referenced = 0
                    for record in records {
                        let value = record.fields[field.name] ?? .null
                        let ids = value.arrayValue?.map { $0.stringValue ?? "<not a string>" } ?? value.stringValue.map { [$0] } ?? []
                        #expect(value.isNull || value.arrayValue != nil || value.stringValue != nil)
                        for id in ids {
                            #expect(valid.contains(id), "\(connector.name)/\(spec.model).\(field.name) → \(id) not in \(target)")
                            if field.name != "id", target == spec.model { #expect(id != record.id, "self-reference") }
                        }
                        referenced += ids.count
                    }
                    #expect(referenced > 0, "\(connector.name)/\(spec.model).\(field.name) never references anything")
                }
            }
        }
    }

    @Test("uuid fields inside nested objects (payroll_code) point at existing payroll codes")
    func nestedRelations() {
        let codes = Set(demoDataset.records(connector: "acme-hris", model: "payroll-codes").map(\.id))
        var seen = 0
        for record in demoDataset.records(connector: "acme-hris", model: "employee-payroll-runs") {
            for list in ["earnings", "deductions", "taxes"] {
                for line in record.fields[list]?.arrayValue ?? [] {
                    guard let code = line["payroll_code"]?.stringValue else { continue }
                    #expect(codes.contains(code))
                    seen += 1
                }
            }
        }
        #expect(seen > 0)
    }

    @Test("modified_at: milliseconds UTC, within the 30 days before now, shared by groups of records")
    func modifiedAtSpreadAndGroups() {
        let now = demoDataset.now
        let earliest = now.adding(milliseconds: -30 * SandboxTimestamp.millisecondsPerDay)
        for connector in demoDataset.connectors {
            for spec in catalog.models(in: connector.category) {
                let records = demoDataset.records(connector: connector.name, model: spec.model)
                var groups: [String: Int] = [:]
                for record in records {
                    let text = record.fields["modified_at"]?.stringValue ?? ""
                    #expect(SandboxTimestamp(iso8601: text)?.iso8601 == text, "\(text)")
                    #expect(text.count == 24 && text.hasSuffix("Z"), "\(text)")
                    #expect(record.modifiedAt >= earliest && record.modifiedAt <= now)
                    groups[text, default: 0] += 1
                }
                if records.count >= 5 {
                    #expect((groups.values.max() ?? 0) >= 5, "\(connector.name)/\(spec.model) has no shared timestamps")
                }
            }
        }
        #expect(demoDataset.now.iso8601 == "2026-12-01T00:00:00.000Z")
    }

    @Test("nullable fields are null in roughly one record in ten")
    func nullRate() {
        var nulls = 0, values = 0
        let spec = catalog.model(.hris, "employees")!
        for record in demoDataset.records(connector: "acme-hris", model: "employees") {
            for field in spec.fields where field.nullable && !["remote_id", "custom_fields", "raw_data"].contains(field.name) {
                values += 1
                if record.fields[field.name]?.isNull == true { nulls += 1 }
            }
        }
        let rate = Double(nulls) / Double(values)
        #expect(rate > 0.05 && rate < 0.15, "null rate \(rate)")
    }

    @Test("each connector carries 2^53+1 in an integer field of record 0 of some model")
    func bigIntegerPerConnector() throws {
        for connector in demoDataset.connectors {
            let location = try #require(demoDataset.bigIntegerLocations[connector.name])
            let data = try #require(demoDataset.modelData(connector: connector.name, model: location.model))
            let holders = data.records.filter { record in
                var value: JSONValue? = .object(record.fields)
                for key in location.path { value = value?[key] }
                return value?.intValue == SandboxDataset.beyondDoubleInteger
            }
            #expect(holders.count == 1, "\(connector.name)")
            let field = try #require(location.path.count == 1 ? data.spec.field(named: location.path[0])
                : catalog.nestedSchemas[data.spec.field(named: location.path[0])?.ref ?? ""]?.first { $0.name == location.path[1] })
            #expect(field.type == .integer)
        }
        #expect(demoDataset.bigIntegerLocations["globex-ats"]?.model == "job-interview-stages")
    }

    @Test("hard text: non-Latin scripts, emoji, both forms of é, quotes, backslashes, newlines, tabs")
    func hardTextIsPresentInEveryConnector() throws {
        for connector in demoDataset.connectors {
            let text = catalog.models(in: connector.category)
                .flatMap { demoDataset.records(connector: connector.name, model: $0.model) }
                .map(\.defaultJSON).joined(separator: "\n")
            for needle in ["José", "Müller", "Zoë", "Ångström", "김", "Ærøskøbing", "🚀", "e\u{301}", "\u{E9}",
                           "\\\"", "\\\\", "\\n", "\\t"] {
                #expect(containsScalars(text, needle), "\(connector.name) lacks \(needle.unicodeScalars.map { String($0.value, radix: 16) })")
            }
            // And it is valid JSON that reads back to the same scalars.
            let first = try #require(demoDataset.records(connector: connector.name, model: catalog.models(in: connector.category)[0].model).first)
            #expect(try JSONValue.parse(first.defaultJSON) == first.item())
        }
    }

    @Test("raw_data only when asked, custom_fields null unless asked")
    func includeVariants() throws {
        let record = try #require(demoDataset.records(connector: "globex-ats", model: "candidates").first)
        let plain = try #require(record.item().objectValue)
        #expect(plain["raw_data"] == nil)
        #expect(plain["custom_fields"] == .null)
        let full = try #require(record.item(includeRawData: true, includeCustomFields: true).objectValue)
        #expect(full["raw_data"]?.objectValue != nil)
        #expect(full["custom_fields"]?.objectValue != nil)
        for (raw, custom) in [(false, false), (true, false), (false, true), (true, true)] {
            let text = record.json(includeRawData: raw, includeCustomFields: custom)
            #expect(try JSONValue.parse(text) == record.item(includeRawData: raw, includeCustomFields: custom))
        }
    }

    @Test("HrisDocument.is_deleted is false")
    func documentsAreNotDeleted() {
        for record in demoDataset.records(connector: "acme-hris", model: "documents") {
            #expect(record.fields["is_deleted"] == .bool(false))
        }
    }
}
