import BindbeeSync
import Dispatch

/// Everything the sandbox serves: for each connector, the records of every list model of its
/// category, generated from the catalog and a seed. The same seed and connectors always give
/// byte-identical records; each connector's data depends only on the seed, its own name and
/// its own scale, so adding a connector leaves the others unchanged.
///
/// A value type: the API serves from a snapshot, and a change (advancing `now`, updating,
/// inserting or deleting records, adding or re-flagging connectors: see
/// `DatasetChanges.swift` and `DatasetMutation.swift`) produces a new value without disturbing
/// pages being written. Changes are seeded too: the same changes applied to the same dataset
/// give the same result.
public struct SandboxDataset: Sendable {
    /// 2^53 + 1: the smallest integer a double cannot hold. Record 0 of one model per
    /// connector carries it in an integer field (see `bigIntegerLocations`).
    public static let beyondDoubleInteger: Int64 = 9_007_199_254_740_993

    public let seed: UInt64
    /// The dataset's clock: generated `modified_at` values lie in the 30 days before it, changed
    /// records get it as their `modified_at`, and the connectors endpoint reports sync times
    /// relative to it. It only moves through `advanceClock(by:)`.
    public internal(set) var now: SandboxTimestamp
    /// In the order the connectors endpoint lists them; added connectors come last.
    public internal(set) var connectors: [SandboxConnector]
    /// connector name → model name → records.
    var data: [String: [String: SandboxModelData]]
    /// connector name → (model, field path) of the 2^53+1 value (a mutation may delete that
    /// record).
    public internal(set) var bigIntegerLocations: [String: (model: String, path: [String])]
    let catalog: ModelCatalog

    public init(seed: UInt64 = 1, connectors: [SandboxConnector] = SandboxConnector.demo,
                now: SandboxTimestamp = .defaultNow, catalog: ModelCatalog = .shared) {
        precondition(Set(connectors.map(\.name)).count == connectors.count, "connector names must be unique")
        precondition(Set(connectors.map(\.token)).count == connectors.count, "connector tokens must be unique")
        self.seed = seed
        self.now = now
        self.connectors = connectors
        self.catalog = catalog
        self.data = [:]
        self.bigIntegerLocations = [:]
        generate(connectors)
    }

    /// Generates the records of `connectors` at the current `now` and adds them.
    mutating func generate(_ connectors: [SandboxConnector]) {
        var jobs: [(generator: RecordGenerator, spec: ModelSpec)] = []
        for connector in connectors {
            let generator = RecordGenerator(seed: seed, connector: connector, now: now, catalog: catalog)
            bigIntegerLocations[connector.name] = generator.bigInteger
            jobs += catalog.models(in: connector.category).map { (generator, $0) }
        }
        // Models are independent (each draws from its own keyed streams): build them in parallel.
        let built = Locked<[String: [String: SandboxModelData]]>([:])
        let work = jobs
        DispatchQueue.concurrentPerform(iterations: work.count) { i in
            let (generator, spec) = work[i]
            let count = generator.counts[spec.model] ?? 0
            let stamps = generator.modifiedAtValues(model: spec.model, count: count)
            let records = (0..<count).map { index in
                SandboxRecord(fields: generator.record(spec, index: index, modifiedAt: stamps[index]),
                              generatorIndex: index)
            }
            let model = SandboxModelData(spec: spec, records: records, nextIndex: count)
            built.withLock { $0[generator.connector.name, default: [:]][spec.model] = model }
        }
        data.merge(built.withLock { $0 }) { _, new in new }
    }

    /// The connector a token belongs to.
    public func connector(token: String) -> SandboxConnector? {
        connectors.first { $0.token == token }
    }

    public func connector(named name: String) -> SandboxConnector? {
        connectors.first { $0.name == name }
    }

    /// One model of one connector (nil when the connector is unknown or of another category).
    public func modelData(connector: String, model: String) -> SandboxModelData? {
        data[connector]?[model]
    }

    /// The records of a model in serving order; empty when unknown.
    public func records(connector: String, model: String) -> [SandboxRecord] {
        data[connector]?[model]?.records ?? []
    }

    /// Model name → record count for one connector.
    public func recordCounts(connector: String) -> [String: Int] {
        (data[connector] ?? [:]).mapValues(\.records.count)
    }
}
