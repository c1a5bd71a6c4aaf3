/// How a job pulls: `incremental` (what changed since the last completed pull) or `full`
/// (re-list everything). Until watermarks exist, an incremental pull has none to start from
/// and lists everything, as a first incremental run does.
public enum SyncMode: String, Sendable, Equatable {
    case incremental, full
}

/// A job file (`jobs/*.json`): the mode and an optional selection of connectors and models.
public struct JobDefinition: Sendable, Equatable {
    public var mode: SyncMode
    /// Connector names; nil selects every configured connector.
    public var connectors: [String]?
    /// Model names (last URL segment); nil selects every model of each connector.
    public var models: [String]?
    public let source: String

    public init(mode: SyncMode = .incremental, connectors: [String]? = nil, models: [String]? = nil, source: String = "<defaults>") {
        self.mode = mode
        self.connectors = connectors
        self.models = models
        self.source = source
    }

    public static func load(path: String) throws(InputError) -> JobDefinition {
        try parse(readJSONFile(path), source: path)
    }

    public static func parse(_ json: JSONValue, source: String) throws(InputError) -> JobDefinition {
        let root = try JSONFieldReader(source: source, path: "", value: json)
        try root.rejectUnknownKeys(allowed: ["mode", "connectors", "models", "description"])
        _ = try root.string("description")
        let modeText = try root.requiredString("mode")
        guard let mode = SyncMode(rawValue: modeText) else {
            throw root.fail("mode", "expected \"incremental\" or \"full\", found \"\(modeText)\"")
        }
        return JobDefinition(mode: mode, connectors: try root.stringArray("connectors"), models: try root.stringArray("models"), source: source)
    }
}

/// One unit of work: one model of one connector.
public struct PullPlan: Sendable {
    public let connector: ConnectorConfig
    public let model: ModelSpec
    public let mode: SyncMode

    public var label: String { "\(connector.name) \(model.qualifiedName)" }
}

/// Turns a job and a config into the list of pulls, refusing selections that name nothing.
public enum Planner {
    public static func plan(job: JobDefinition, config: SyncConfig, catalog: ModelCatalog = .shared) throws(InputError) -> [PullPlan] {
        var connectors = config.connectors
        if let names = job.connectors {
            for name in names where config.connector(named: name) == nil {
                throw InputError(source: job.source, field: "connectors",
                                 "\"\(name)\" is not a connector of \(config.source) (known: \(config.connectors.map(\.name).joined(separator: ", ")))")
            }
            connectors = connectors.filter { names.contains($0.name) }
        }
        if let models = job.models {
            for name in models where !connectors.contains(where: { catalog.model($0.category, name) != nil }) {
                throw InputError(source: job.source, field: "models", "\"\(name)\" is not a list model of any selected connector's category")
            }
        }
        var plans: [PullPlan] = []
        for connector in connectors {
            for model in catalog.models(in: connector.category) {
                if let chosen = connector.models, !chosen.contains(model.model) { continue }
                if let chosen = job.models, !chosen.contains(model.model) { continue }
                plans.append(PullPlan(connector: connector, model: model, mode: job.mode))
            }
        }
        if plans.isEmpty {
            throw InputError(source: job.source, "the selection plans no pull (check connectors and models)")
        }
        return plans
    }
}
