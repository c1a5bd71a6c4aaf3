/// How a job pulls: `incremental` (what changed since the last completed pull: records with
/// `modified_at` at or after the watermark) or `full` (re-list everything and mark what is
/// gone as deleted). An incremental pull without a watermark yet, or of a model without
/// `modified_after` (the LMS lists), lists everything, as a full one does.
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
    /// A backfill: pull records modified at or after this time (ISO 8601), leaving watermarks alone.
    public var since: String?
    /// What to do with connectors whose Bindbee health is bad (relink needed, sync failed or running).
    public var unhealthy: UnhealthyPolicy
    public let source: String

    public init(mode: SyncMode = .incremental, connectors: [String]? = nil, models: [String]? = nil, since: String? = nil,
                unhealthy: UnhealthyPolicy = .pull, source: String = "<defaults>") {
        self.mode = mode
        self.connectors = connectors
        self.models = models
        self.since = since
        self.unhealthy = unhealthy
        self.source = source
    }

    public static func load(path: String) throws(InputError) -> JobDefinition {
        try parse(readJSONFile(path), source: path)
    }

    public static func parse(_ json: JSONValue, source: String) throws(InputError) -> JobDefinition {
        let root = try JSONFieldReader(source: source, path: "", value: json)
        try root.rejectUnknownKeys(allowed: ["mode", "connectors", "models", "description", "since", "unhealthy"])
        _ = try root.string("description")
        let modeText = try root.requiredString("mode")
        guard let mode = SyncMode(rawValue: modeText) else {
            throw root.fail("mode", "expected \"incremental\" or \"full\", found \"\(modeText)\"")
        }
        let since = try root.string("since")
        if let since, ServerTimestamp(since) == nil {
            throw root.fail("since", "expected an ISO 8601 date-time such as 2026-11-01T00:00:00Z, found \"\(since)\"")
        }
        let unhealthyText = try root.string("unhealthy") ?? UnhealthyPolicy.pull.rawValue
        guard let unhealthy = UnhealthyPolicy(rawValue: unhealthyText) else {
            throw root.fail("unhealthy", "expected \"pull\" or \"skip\", found \"\(unhealthyText)\"")
        }
        return JobDefinition(mode: mode, connectors: try root.stringArray("connectors"), models: try root.stringArray("models"),
                             since: since, unhealthy: unhealthy, source: source)
    }
}

/// A job's choice for connectors Bindbee reports as unhealthy: pull them anyway (their data is
/// stale but served without errors) or skip them. Either way the run reports them.
public enum UnhealthyPolicy: String, Sendable, Equatable {
    case pull, skip
}

/// One unit of work: one model of one connector.
public struct PullPlan: Sendable {
    public let connector: ConnectorConfig
    public let model: ModelSpec
    public let mode: SyncMode
    /// Set for a backfill.
    public let since: String?
    /// The model's options from the config (`include_raw_data`, `include_custom_fields`).
    public let options: ModelOptions

    public init(connector: ConnectorConfig, model: ModelSpec, mode: SyncMode, since: String? = nil, options: ModelOptions = .none) {
        self.connector = connector
        self.model = model
        self.mode = mode
        self.since = since
        self.options = options
    }

    /// The query parameters besides `page_size` and `cursor`, in the order they are sent, the
    /// same on every page of the walk.
    public func queryParameters(modifiedAfter: String?) -> [(name: String, value: String)] {
        var parameters: [(name: String, value: String)] = []
        if let modifiedAfter { parameters.append(("modified_after", modifiedAfter)) }
        if options.includeRawData && model.supports.includeRawData { parameters.append(("include_raw_data", "true")) }
        if options.includeCustomFields && model.supports.includeCustomFields { parameters.append(("include_custom_fields", "true")) }
        return parameters
    }

    /// The walk this pull makes, given its committed state:
    ///
    /// | job | model has `modified_after` | watermark | sends `modified_after` | marks deletions |
    /// | --- | --- | --- | --- | --- |
    /// | backfill (`since`) | yes | any | `since` | no |
    /// | backfill (`since`) | no | any | nothing | yes |
    /// | full | any | any | nothing | yes |
    /// | incremental | yes | set | the watermark (inclusive) | no |
    /// | incremental | yes | none | nothing | yes |
    /// | incremental | no | any | nothing | yes |
    ///
    /// A backfill never moves the watermark (see `MirrorStore.advance`).
    public func walkSpec(state: PullState?, pageSize: Int) -> WalkSpec {
        let modifiedAfter: String?
        let mode: String
        if let since {
            mode = "backfill"
            modifiedAfter = model.supports.modifiedAfter ? since : nil
        } else if self.mode == .full {
            mode = "full"
            modifiedAfter = nil
        } else {
            mode = "incremental"
            modifiedAfter = model.supports.modifiedAfter ? state?.watermark : nil
        }
        // What a resumed walk must send again byte for byte (a cursor carries no filters).
        var parameters: [JSONValue] = [.array([.string("page_size"), .string(String(pageSize))])]
        for (name, value) in queryParameters(modifiedAfter: modifiedAfter) { parameters.append(.array([.string(name), .string(value)])) }
        return WalkSpec(mode: mode, modifiedAfter: modifiedAfter, marksDeletions: modifiedAfter == nil,
                        parameters: JSONValue.array(parameters).serialized)
    }
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
                plans.append(PullPlan(connector: connector, model: model, mode: job.mode, since: job.since,
                                      options: config.modelOptions[model.qualifiedName] ?? .none))
            }
        }
        if plans.isEmpty {
            throw InputError(source: job.source, "the selection plans no pull (check connectors and models)")
        }
        return plans
    }
}
