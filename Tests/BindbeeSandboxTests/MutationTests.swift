import BindbeeSandbox
import BindbeeSync
import Testing

@Suite("Sandbox mutations")
struct MutationTests {
    let catalog = ModelCatalog.shared
    let employees = spec(.hris, "employees")

    @Test("the same seed changes the same records the same way; another seed other records")
    func determinism() throws {
        func mutated(seed: UInt64, models: [String]? = nil) throws -> (SandboxMutationSummary, SandboxDataset) {
            var dataset = demoDataset
            try dataset.advanceClock(by: 60)
            let summary = try dataset.mutate(seed: seed, updateFraction: 0.1, insertFraction: 0.05, deleteFraction: 0.02,
                                             touchFraction: 0.1, models: models)
            return (summary, dataset)
        }
        let (first, a) = try mutated(seed: 5)
        let (again, b) = try mutated(seed: 5)
        let (other, _) = try mutated(seed: 6)
        #expect(first == again)
        #expect(first != other)
        #expect(first.models.count == demoDataset.connectors.map { catalog.models(in: $0.category).count }.reduce(0, +))
        for connector in demoDataset.connectors {
            for spec in catalog.models(in: connector.category) {
                #expect(a.records(connector: connector.name, model: spec.model).map(\.defaultJSON)
                    == b.records(connector: connector.name, model: spec.model).map(\.defaultJSON))
            }
        }
        // Shares are rounded up per model: acme's 250 employees give 25 updates, 13 inserts, 5 deletions.
        let acme = try #require(first.changes(connector: "acme-hris", model: "employees"))
        #expect([acme.updated.count + acme.touched.count, acme.inserted.count, acme.deleted.count] == [50, 13, 5])
        #expect(Set(acme.updated + acme.touched + acme.deleted).count == 55)  // no record changed twice
        // Each model's choice depends only on its own stream: selecting fewer models changes nothing.
        let (only, _) = try mutated(seed: 5, models: ["employees"])
        #expect(only.changes(connector: "acme-hris", model: "employees") == acme)
        #expect(only.models.count == 2)
    }

    @Test("updated records change content and get modified_at = now; modified_after=<previous now> returns exactly them and the inserts")
    func updatesAreFoundByModifiedAfter() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let before = sandbox.dataset
        let previous = before.now
        try sandbox.advanceClock(by: 3600)
        let summary = try sandbox.mutate(seed: 11, updateFraction: 0.2, insertFraction: 0.1, deleteFraction: 0.05,
                                         connectors: ["acme-hris"])
        #expect(summary.now == previous.adding(milliseconds: 3_600_000))
        let after = sandbox.dataset
        let client = try SandboxClient(sandbox)
        var updatedSeen = 0
        for spec in catalog.models(in: .hris) {
            let changes = try #require(summary.changes(connector: "acme-hris", model: spec.model))
            #expect(!changes.updated.isEmpty, "\(spec.model)")
            let old = Dictionary(uniqueKeysWithValues: before.records(connector: "acme-hris", model: spec.model).map { ($0.id, $0) })
            let new = Dictionary(uniqueKeysWithValues: after.records(connector: "acme-hris", model: spec.model).map { ($0.id, $0) })
            for id in changes.updated {
                let (was, now) = (try #require(old[id]), try #require(new[id]))
                #expect(now.modifiedAt == summary.now && was.modifiedAt < previous)
                let changed = spec.fields.map(\.name).filter { $0 != "modified_at" && was.fields[$0] != now.fields[$0] }
                #expect((1...3).contains(changed.count), "\(spec.model) \(id): \(changed)")
                #expect(changed.allSatisfy { !["id", "remote_id", "raw_data", "custom_fields"].contains($0) })
                for field in spec.fields {
                    #expect(DatasetTests.conforms(now.fields[field.name] ?? .null, field, nested: catalog.nestedSchemas))
                }
                updatedSeen += 1
            }
            guard spec.supports.modifiedAfter else { continue }
            #expect(old.values.allSatisfy { $0.modifiedAt < previous })
            let returned = try client.ids(.acmeHRIS, spec, query: [("modified_after", previous.iso8601), ("page_size", "10")])
            #expect(returned.sorted() == (changes.updated + changes.touched + changes.inserted).sorted(), "\(spec.model)")
        }
        #expect(updatedSeen > 100)
        // Other connectors did not move.
        #expect(after.records(connector: "umbrella-hris", model: "employees").map(\.defaultJSON)
            == before.records(connector: "umbrella-hris", model: "employees").map(\.defaultJSON))
    }

    @Test("inserts have new ids, modified_at = now, catalog types, and relations to records that exist after the change")
    func insertsPointAtExistingRecords() throws {
        var dataset = demoDataset
        try dataset.advanceClock(by: 1)
        let summary = try dataset.mutate(seed: 3, updateFraction: 0.3, insertFraction: 0.2, deleteFraction: 0.3)
        var relations = 0
        for connector in dataset.connectors {
            let live = Dictionary(uniqueKeysWithValues: catalog.models(in: connector.category).map {
                ($0.model, Set(dataset.records(connector: connector.name, model: $0.model).map(\.id)))
            })
            for spec in catalog.models(in: connector.category) {
                let changes = try #require(summary.changes(connector: connector.name, model: spec.model))
                let oldIDs = Set(demoDataset.records(connector: connector.name, model: spec.model).map(\.id))
                #expect(changes.inserted.count == roundedUpShare(0.2, of: oldIDs.count))
                #expect(Set(changes.inserted).isDisjoint(with: oldIDs))
                #expect(changes.deleted.allSatisfy { oldIDs.contains($0) && !(live[spec.model]?.contains($0) ?? true) })
                let old = Dictionary(uniqueKeysWithValues: demoDataset.records(connector: connector.name, model: spec.model).map { ($0.id, $0) })
                let records = dataset.records(connector: connector.name, model: spec.model)
                for record in records where changes.inserted.contains(record.id) || changes.updated.contains(record.id) {
                    #expect(record.modifiedAt == dataset.now)
                    for field in spec.fields {
                        #expect(DatasetTests.conforms(record.fields[field.name] ?? .null, field, nested: catalog.nestedSchemas),
                                "\(spec.model).\(field.name)")
                    }
                    // New records and rewritten fields point at live records; untouched fields of an
                    // updated record may still name a deleted one, as unchanged records may.
                    let written = spec.fields.filter { old[record.id]?.fields[$0.name] != record.fields[$0.name] }
                    for (target, id) in relationIDs(record.fields, fields: written, category: connector.category) {
                        #expect(live[target]?.contains(id) == true, "\(connector.name)/\(spec.model) → \(target) \(id)")
                        if target == spec.model { #expect(id != record.id) }
                        relations += 1
                    }
                }
            }
        }
        #expect(relations > 500)
    }

    @Test("deleted records vanish from every page; the list shrinks and grows by exactly the summary")
    func deletionsVanish() throws {
        let sandbox = try startSandbox()
        defer { sandbox.stop() }
        let before = try SandboxClient(sandbox).ids(.acmeHRIS, employees, query: [("page_size", "200")])
        let summary = try sandbox.mutate(seed: 4, updateFraction: 0, insertFraction: 0.04, deleteFraction: 0.1,
                                         connectors: ["acme-hris"], models: ["employees"])
        let changes = try #require(summary.changes(connector: "acme-hris", model: "employees"))
        #expect(changes.deleted.count == 25 && changes.inserted.count == 10)
        let after = try SandboxClient(sandbox).ids(.acmeHRIS, employees, query: [("page_size", "30")])
        #expect(Set(after).isDisjoint(with: changes.deleted))
        #expect(after.count == Set(after).count)
        #expect(Set(after) == Set(before).subtracting(changes.deleted).union(changes.inserted))
    }

    @Test("a touch rewrites modified_at and nothing else")
    func touchesChangeOnlyModifiedAt() throws {
        var dataset = demoDataset
        try dataset.advanceClock(by: 5)
        let summary = try dataset.mutate(seed: 8, updateFraction: 0, insertFraction: 0, deleteFraction: 0,
                                         touchFraction: 0.5, connectors: ["globex-ats"])
        #expect(summary.totals.touched > 100 && summary.totals.updated == 0)
        for changes in summary.models {
            let old = Dictionary(uniqueKeysWithValues: demoDataset.records(connector: "globex-ats", model: changes.model).map { ($0.id, $0) })
            for record in dataset.records(connector: "globex-ats", model: changes.model) {
                let was = try #require(old[record.id])
                var expected = was.fields
                if changes.touched.contains(record.id) { expected["modified_at"] = .string(dataset.now.iso8601) }
                #expect(record.fields == expected)
                #expect(record.fields.keys == was.fields.keys)
            }
        }
    }

    @Test("bad changes are refused naming the input, and change nothing")
    func refusals() {
        var dataset = demoDataset
        func mutation(_ update: Double = 0, _ insert: Double = 0, _ delete: Double = 0, _ touch: Double = 0,
                      connectors: [String]? = nil, models: [String]? = nil) -> String? {
            refusedField { () throws(SandboxChangeError) in
                _ = try dataset.mutate(seed: 1, updateFraction: update, insertFraction: insert, deleteFraction: delete,
                                       touchFraction: touch, connectors: connectors, models: models)
            }
        }
        #expect(mutation(1.5) == "update")
        #expect(mutation(0, -0.1) == "insert")
        #expect(mutation(0, 0, .nan) == "delete")
        #expect(mutation(0, 0, 0, 2) == "touch")
        #expect(mutation(0.6, 0, 0.5) == "update")
        #expect(mutation(0.1, connectors: ["nobody"]) == "connectors")
        #expect(mutation(0.1, connectors: []) == "connectors")
        #expect(mutation(0.1, models: ["widgets"]) == "models")
        #expect(mutation(0.1, connectors: ["globex-ats"], models: ["employees"]) == "models")
        #expect(refusedField { () throws(SandboxChangeError) in try dataset.advanceClock(by: -1) } == "seconds")
        #expect(refusedField { () throws(SandboxChangeError) in try dataset.advanceClock(by: .infinity) } == "seconds")
        #expect(refusedField { () throws(SandboxChangeError) in
            _ = try dataset.setBoundaryTimestamp(connector: "acme-hris", model: "candidates", count: 5)
        } == "model")
        #expect(refusedField { () throws(SandboxChangeError) in
            _ = try dataset.setBoundaryTimestamp(connector: "acme-hris", model: "employees", count: 0)
        } == "count")
        #expect(dataset.now == demoDataset.now)
        #expect(dataset.recordCounts(connector: "acme-hris") == demoDataset.recordCounts(connector: "acme-hris"))
    }
}

/// The share arithmetic mutations promise: rounded up, so any positive share of a non-empty
/// model changes at least one record.
func roundedUpShare(_ share: Double, of total: Int) -> Int {
    share > 0 && total > 0 ? min(total, Int((share * Double(total) - 1e-9).rounded(.up))) : 0
}

/// Every (target model, id) a record's relation fields hold, nested objects included.
func relationIDs(_ object: JSONObject, fields: [FieldSpec], category: Category) -> [(String, String)] {
    var out: [(String, String)] = []
    for field in fields {
        let value = object[field.name] ?? .null
        if let target = RelationMap.target(category, field: field.name),
           field.type == .any || (field.type == .array && field.items == .type("any"))
            || (field.type == .string && field.format == "uuid" && field.name != "id") {
            let ids = value.arrayValue?.compactMap(\.stringValue) ?? value.stringValue.map { [$0] } ?? []
            out += ids.map { (target, $0) }
            continue
        }
        var ref: String?
        if case .ref(let name)? = field.items { ref = name } else { ref = field.ref }
        guard let ref, let nested = ModelCatalog.shared.nestedSchemas[ref] else { continue }
        for element in value.arrayValue ?? [value] {
            if let inner = element.objectValue { out += relationIDs(inner, fields: nested, category: category) }
        }
    }
    return out
}
