import BindbeeSync

/// Records changing over time, the way Bindbee's data does between two runs of the worker:
/// upstream edits (new values, `modified_at` = now), new records, deletions (records vanish
/// from the lists; Bindbee has no tombstone), rewrites that change nothing but `modified_at`,
/// and whole batches written at one instant. Every choice draws from streams keyed by the
/// dataset's seed, the change's seed, the connector and the model, so the same change applied
/// to the same dataset changes the same records in the same way.
extension SandboxDataset {
    /// Fields an update never rewrites: identity, the sync stamp, and the extras that are only
    /// served on request.
    static let fixedFields: Set<String> = ["id", "remote_id", "modified_at", "raw_data", "custom_fields", "is_deleted"]

    /// What one change does to one model.
    struct ModelPlan {
        let spec: ModelSpec
        var deleted: Set<String> = []
        var updated: [SandboxRecord] = []
        var touched: [SandboxRecord] = []
        var inserts = 0
    }

    /// For each selected connector and model (all by default), deletes, updates and touches
    /// the given shares of its records (rounded up, so a positive share changes at least one
    /// record; no record gets two of these) and inserts new records numbering the insert share
    /// of the records it had. Updates rewrite one to three fields with other values. Changed
    /// and new records get `modified_at` = `now`; advance the clock first to tell them apart
    /// from the previous changes.
    public mutating func mutate(seed: UInt64, updateFraction: Double, insertFraction: Double, deleteFraction: Double,
                                touchFraction: Double = 0, connectors: [String]? = nil,
                                models: [String]? = nil) throws(SandboxChangeError) -> SandboxMutationSummary {
        let shares = [("update", updateFraction), ("insert", insertFraction), ("delete", deleteFraction),
                      ("touch", touchFraction)]
        for (field, share) in shares where !(share.isFinite && share >= 0 && share <= 1) {
            throw SandboxChangeError(field: field, "must be a fraction from 0 to 1")
        }
        guard updateFraction + deleteFraction + touchFraction <= 1 + 1e-9 else {
            throw SandboxChangeError(field: "update", "update, delete and touch must add up to at most 1")
        }
        var summary = SandboxMutationSummary(now: now, models: [])
        for (connector, specs) in try selection(connectors: connectors, models: models) {
            let plans = specs.map { spec in
                let records = self.records(connector: connector.name, model: spec.model)
                var random = KeyedRandom(seed: self.seed, connector.name, spec.model, "mutation", String(seed))
                var order = random.shuffled(records.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) })[...]
                func take(_ share: Double) -> [SandboxRecord] {
                    let picked = order.prefix(Self.count(share, of: records.count))
                    order = order.dropFirst(picked.count)
                    return Array(picked)
                }
                var plan = ModelPlan(spec: spec)
                plan.deleted = Set(take(deleteFraction).map(\.id))
                plan.updated = take(updateFraction)
                plan.touched = take(touchFraction)
                plan.inserts = Self.count(insertFraction, of: records.count)
                return plan
            }
            summary.models += apply(plans, connector: connector, revision: "\(seed)@\(now.millisecondsSince1970)")
        }
        return summary
    }

    /// Gives `count` records of one model exactly `now` as `modified_at`, without changing
    /// their content (the first `count` by id), and inserts new records for any shortfall: a
    /// batch written at one instant, as when Bindbee rewrites a whole model in one sync. An
    /// inclusive `modified_after` equal to `now` must return all of them, across pages.
    public mutating func setBoundaryTimestamp(connector name: String, model: String,
                                              count: Int) throws(SandboxChangeError) -> SandboxMutationSummary {
        let connector = connectors[try connectorIndex(name, field: "connector")]
        guard let spec = catalog.model(connector.category, model) else {
            throw SandboxChangeError(field: "model", "\(model) is not a \(connector.category.rawValue) model")
        }
        guard (1...10_000).contains(count) else { throw SandboxChangeError(field: "count", "must be from 1 to 10000") }
        let records = self.records(connector: name, model: model)
        var plan = ModelPlan(spec: spec)
        plan.touched = Array(records.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }.prefix(count))
        plan.inserts = count - plan.touched.count
        return SandboxMutationSummary(now: now, models: apply([plan], connector: connector, revision: "boundary"))
    }

    /// `share` of `total`, rounded up (a tolerance keeps 0.07 × 100 at 7).
    static func count(_ share: Double, of total: Int) -> Int {
        guard share > 0, total > 0 else { return 0 }
        return min(total, Int((share * Double(total) - 1e-9).rounded(.up)))
    }

    /// The connectors and, for each, the models a change applies to (nil: all). Names that
    /// match nothing are refused, so a typo does not pass for "nothing to change".
    private func selection(connectors names: [String]?,
                           models: [String]?) throws(SandboxChangeError) -> [(SandboxConnector, [ModelSpec])] {
        if let names {
            guard !names.isEmpty else { throw SandboxChangeError(field: "connectors", "must name at least one connector") }
            for name in names where connector(named: name) == nil {
                throw SandboxChangeError(field: "connectors", "no connector named \(name)")
            }
        }
        let chosen = connectors.filter { names?.contains($0.name) ?? true }
        if let models {
            guard !models.isEmpty else { throw SandboxChangeError(field: "models", "must name at least one model") }
            for model in models where !chosen.contains(where: { catalog.model($0.category, model) != nil }) {
                throw SandboxChangeError(field: "models", "\(model) is not a model of the selected connectors")
            }
        }
        return chosen.map { connector in
            (connector, catalog.models(in: connector.category).filter { models?.contains($0.model) ?? true })
        }.filter { !$0.1.isEmpty }
    }

    /// Carries out the plans of one connector: deletions first, so updated and inserted
    /// records only point at records that still exist; then updates, touches and inserts.
    private mutating func apply(_ plans: [ModelPlan], connector: SandboxConnector,
                                revision: String) -> [SandboxMutationSummary.ModelChanges] {
        let deleted = Dictionary(uniqueKeysWithValues: plans.map { ($0.spec.model, $0.deleted) })
        var generator = RecordGenerator(seed: seed, connector: connector, now: now, catalog: catalog)
        generator.liveIDs = (data[connector.name] ?? [:]).mapValues { model in
            model.records.map(\.id).filter { !(deleted[model.spec.model]?.contains($0) ?? false) }
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        let stamp = JSONValue.string(now.iso8601)
        var summaries: [SandboxMutationSummary.ModelChanges] = []
        for plan in plans {
            let spec = plan.spec
            let current = data[connector.name]?[spec.model] ?? SandboxModelData(spec: spec, records: [], nextIndex: 0)
            var changes = SandboxMutationSummary.ModelChanges(connector: connector.name, model: spec.model)
            var replacements: [String: SandboxRecord] = [:]
            for record in plan.updated {
                let rewritten = rewrite(record, spec: spec, generator: generator, revision: revision)
                if rewritten.fields.members.contains(where: { $0.key != "modified_at" && record.fields[$0.key] != $0.value }) {
                    changes.updated.append(record.id)
                } else {
                    changes.touched.append(record.id)  // no field could take another value
                }
                replacements[record.id] = rewritten
            }
            for record in plan.touched {
                var fields = record.fields
                fields["modified_at"] = stamp
                replacements[record.id] = SandboxRecord(fields: fields, generatorIndex: record.generatorIndex)
                changes.touched.append(record.id)
            }
            var records = current.records.compactMap { record in
                plan.deleted.contains(record.id) ? nil : replacements[record.id] ?? record
            }
            for index in current.nextIndex..<current.nextIndex + plan.inserts {
                let record = SandboxRecord(fields: generator.record(spec, index: index, modifiedAt: now), generatorIndex: index)
                records.append(record)
                changes.inserted.append(record.id)
            }
            data[connector.name]?[spec.model] = SandboxModelData(spec: spec, records: records,
                                                                 nextIndex: current.nextIndex + plan.inserts)
            changes.deleted = Array(plan.deleted)
            for list in [\SandboxMutationSummary.ModelChanges.updated, \.inserted, \.deleted, \.touched] {
                changes[keyPath: list].sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            }
            summaries.append(changes)
        }
        return summaries
    }

    /// The record as rewritten upstream: one to three of its fields take the values of another
    /// revision of the same record (relations among the records that exist), `modified_at` = now.
    private func rewrite(_ record: SandboxRecord, spec: ModelSpec, generator: RecordGenerator,
                         revision: String) -> SandboxRecord {
        var fields = record.fields
        if let index = record.generatorIndex {
            let candidate = generator.record(spec, index: index, modifiedAt: now, revision: revision)
            let changeable = spec.fields.map(\.name).filter {
                !Self.fixedFields.contains($0) && candidate[$0] != fields[$0]
            }
            var random = KeyedRandom(seed: seed, generator.connector.name, spec.model, record.id, "rewrite", revision)
            let count = random.int(in: 1...3)
            for name in random.shuffled(changeable).prefix(count) { fields[name] = candidate[name] }
        }
        fields["modified_at"] = .string(now.iso8601)
        return SandboxRecord(fields: fields, generatorIndex: record.generatorIndex)
    }
}
