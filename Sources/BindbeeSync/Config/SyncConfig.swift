import Foundation

/// One end customer's connection: a category and its connector token. `name` is what the
/// mirror stores in `_connector`, so it must stay stable across runs.
public struct ConnectorConfig: Sendable, Equatable {
    public let name: String
    public let category: Category
    public let token: Secret
    /// Model names (the last URL segment) to mirror; nil means every list model of the category.
    public let models: [String]?

    public init(name: String, category: Category, token: Secret, models: [String]? = nil) {
        self.name = name
        self.category = category
        self.token = token
        self.models = models
    }
}

/// Connector discovery: which categories to list, and whether test connectors count.
public struct DiscoverySettings: Sendable, Equatable {
    public let categories: [Category]
    public let includeTest: Bool
}

/// Where the API is: a real base URL, or the embedded sandbox started by the run itself.
public enum APIEndpoint: Sendable, Equatable {
    case url(URL)
    /// The embedded sandbox, generated from `seed`; the run starts it on loopback.
    case sandbox(seed: UInt64)
}

/// A loaded, validated config file: the API endpoint and key, the connectors and the settings
/// every run uses. Secrets are resolved at load time (from the `secrets_file`, then the
/// environment) and held as `Secret`.
public struct SyncConfig: Sendable {
    public var endpoint: APIEndpoint
    /// nil only with the embedded sandbox, which supplies its own key.
    public var apiKey: Secret?
    public var connectors: [ConnectorConfig]
    /// Records per request, 1–200 (Bindbee's maximum, and our default).
    public var pageSize: Int
    /// Pulls running at once.
    public var concurrency: Int
    public var timeouts: HTTPTimeouts
    public var retry: RetryPolicy
    /// Requests allowed per connector token in `rateLimitWindow` seconds (Bindbee: 200 per 60).
    public var rateLimit: Int
    public var rateLimitWindow: Double
    /// A walk longer than this many pages stops with an error.
    public var maxPages: Int
    /// Pulls of one connector at once (they share its token's rate budget).
    public var perConnectorConcurrency: Int
    /// Mirror every active connector the connectors endpoint lists for these categories.
    public var discovery: DiscoverySettings?
    /// The file it came from, for messages.
    public let source: String

    public static let defaultPageSize = 200
    public static let defaultConcurrency = 4

    public init(endpoint: APIEndpoint, apiKey: Secret?, connectors: [ConnectorConfig], pageSize: Int = defaultPageSize,
                concurrency: Int = defaultConcurrency, timeouts: HTTPTimeouts = HTTPTimeouts(), retry: RetryPolicy = RetryPolicy(),
                rateLimit: Int = 200, rateLimitWindow: Double = 60, maxPages: Int = 100_000, perConnectorConcurrency: Int = 2,
                discovery: DiscoverySettings? = nil, source: String = "<config>") {
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.connectors = connectors
        self.pageSize = pageSize
        self.concurrency = concurrency
        self.timeouts = timeouts
        self.retry = retry
        self.rateLimit = rateLimit
        self.rateLimitWindow = rateLimitWindow
        self.maxPages = maxPages
        self.perConnectorConcurrency = perConnectorConcurrency
        self.discovery = discovery
        self.source = source
    }

    public func connector(named name: String) -> ConnectorConfig? { connectors.first { $0.name == name } }

    /// Every secret of the config, for the redactor.
    public var secrets: [Secret] { (apiKey.map { [$0] } ?? []) + connectors.map(\.token) + (hashKey.map { [$0] } ?? []) }
    /// Per-model options (`models`), by qualified name (`hris/employees`).
    public var modelOptions: [String: ModelOptions] = [:]
    /// The HMAC key of `hash_fields` (`hash_key_env`); required when any model hashes a field.
    public var hashKey: Secret?

    /// The PII rules the mirror is written with.
    public var privacy: MirrorPrivacy { MirrorPrivacy(options: modelOptions, hasher: hashKey.map(FieldHasher.init(key:))) }
}

/// Where `*_env` names are looked up: the config's `secrets_file` first, then the process
/// environment.
struct SecretSources {
    let file: [String: Secret]
    /// The secrets file's path, for messages (nil without one).
    let filePath: String?
    let environment: [String: String]

    func lookup(_ name: String) -> Secret? {
        if let value = file[name], !value.isEmpty { return value }
        if let value = environment[name], !value.isEmpty { return Secret(value) }
        return nil
    }

    /// How a missing name is reported: `environment variable X is not set` + this.
    var searched: String { filePath.map { ", and the secrets file \($0) does not set it either" } ?? "" }
}

/// Loads `config/*.json` (see README "Config format") into a `SyncConfig`.
public enum ConfigLoader {
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            catalog: ModelCatalog = .shared) throws(InputError) -> SyncConfig {
        try parse(readJSONFile(path), source: path, environment: environment, catalog: catalog)
    }

    /// `directory` is where a relative `secrets_file` is found: by default the directory of `source`.
    public static func parse(_ json: JSONValue, source: String, environment: [String: String],
                             directory: String? = nil, catalog: ModelCatalog = .shared) throws(InputError) -> SyncConfig {
        let root = try JSONFieldReader(source: source, path: "", value: json)
        try root.rejectUnknownKeys(allowed: ["base_url", "sandbox", "api_key", "api_key_env", "connectors", "page_size", "concurrency",
                                              "request_timeout_seconds", "connect_timeout_seconds", "max_pages", "retry", "rate_limit",
                                              "per_connector_concurrency", "discover", "secrets_file", "models", "hash_key", "hash_key_env"])
        var sources = SecretSources(file: [:], filePath: nil, environment: environment)
        if let name = try root.string("secrets_file") {
            let base = directory ?? URL(fileURLWithPath: source).deletingLastPathComponent().path
            let path = name.hasPrefix("/") ? name : URL(fileURLWithPath: base).appendingPathComponent(name).path
            sources = SecretSources(file: try SecretsFile.load(path: path), filePath: path, environment: environment)
        }
        let endpoint: APIEndpoint
        switch (try root.string("base_url"), try root.nested("sandbox")) {
        case (.some, .some):
            throw InputError(source: source, field: "sandbox", "set either base_url (a real API) or sandbox (the embedded one), not both")
        case (.none, .none):
            throw InputError(source: source, field: "base_url", "is required (or \"sandbox\": {} for the embedded sandbox)")
        case (.some(let text), .none):
            guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                throw InputError(source: source, field: "base_url", "expected an http(s) URL such as https://api.bindbee.dev, found \"\(text)\"")
            }
            guard url.query == nil, url.user == nil else {
                throw InputError(source: source, field: "base_url", "must not carry a query or credentials")
            }
            endpoint = .url(url)
        case (.none, .some(let sandbox)):
            try sandbox.rejectUnknownKeys(allowed: ["seed"])
            endpoint = .sandbox(seed: UInt64(try sandbox.int("seed", range: 0...Int(Int32.max)) ?? 1))
        }

        let apiKey = try secret(root, key: "api_key", envKey: "api_key_env", sources: sources,
                                required: { if case .url = endpoint { return true }; return false }())

        var discovery: DiscoverySettings?
        if let reader = try root.nested("discover") {
            try reader.rejectUnknownKeys(allowed: ["categories", "include_test"])
            guard let names = try reader.stringArray("categories"), !names.isEmpty else {
                throw reader.fail("categories", "is required: a non-empty list of hris, ats, lms")
            }
            var categories: [Category] = []
            for (i, name) in names.enumerated() {
                guard let category = Category(rawValue: name) else {
                    throw InputError(source: source, field: "discover.categories[\(i)]", "expected one of hris, ats, lms, found \"\(name)\"")
                }
                categories.append(category)
            }
            discovery = DiscoverySettings(categories: categories, includeTest: try reader.bool("include_test") ?? false)
        }
        guard let connectorReaders = try root.objectArray("connectors") ?? (discovery != nil ? [] : nil) else {
            throw InputError(source: source, field: "connectors", "is required: a list of {name, category, token or token_env} (or \"discover\")")
        }
        var connectors: [ConnectorConfig] = []
        for reader in connectorReaders {
            let connector = try parseConnector(reader, sources: sources, catalog: catalog)
            if connectors.contains(where: { $0.name == connector.name }) {
                throw reader.fail("name", "\"\(connector.name)\" is used by another connector; names must be unique")
            }
            connectors.append(connector)
        }
        var retry = RetryPolicy()
        if let reader = try root.nested("retry") {
            try reader.rejectUnknownKeys(allowed: ["base_delay_seconds", "max_delay_seconds", "max_attempts", "max_wait_seconds"])
            retry.baseDelay = try reader.number("base_delay_seconds", range: 0...60) ?? retry.baseDelay
            retry.maxDelay = try reader.number("max_delay_seconds", range: 0...3600) ?? retry.maxDelay
            retry.maxAttempts = try reader.int("max_attempts", range: 1...100) ?? retry.maxAttempts
            retry.maxTotalWait = try reader.number("max_wait_seconds", range: 0...86_400) ?? retry.maxTotalWait
        }
        var rateLimit = 200
        var rateLimitWindow = 60.0
        if let reader = try root.nested("rate_limit") {
            try reader.rejectUnknownKeys(allowed: ["requests", "per_seconds"])
            rateLimit = try reader.int("requests", range: 1...100_000) ?? rateLimit
            rateLimitWindow = try reader.number("per_seconds", range: 0.001...3600) ?? rateLimitWindow
        }
        let modelOptions = try parseModelOptions(root, catalog: catalog)
        let hashKey = try secret(root, key: "hash_key", envKey: "hash_key_env", sources: sources, required: false)
        for (name, options) in modelOptions.sorted(by: { $0.key < $1.key }) where !options.hashFields.isEmpty {
            guard let hashKey else {
                throw root.fail("hash_key_env", "is required: models.\(name).hash_fields are stored as HMAC-SHA256 under this key")
            }
            guard hashKey.revealed.utf8.count >= FieldHasher.minimumKeyBytes else {
                throw root.fail("hash_key_env", "the key must be at least \(FieldHasher.minimumKeyBytes) bytes (32 random bytes recommended)")
            }
            if let model = catalog.models.first(where: { $0.qualifiedName == name }),
               let field = model.fields.first(where: { options.hashFields.contains($0.name) && !($0.columnType == .text || $0.columnType == .relation) }) {
                throw InputError(source: source, field: "models.\(name).hash_fields",
                                 "\"\(field.name)\" is not a text field; hash_fields are for text values such as emails and numbers on ID cards")
            }
        }
        var config = SyncConfig(
            endpoint: endpoint, apiKey: apiKey, connectors: connectors,
            pageSize: try root.int("page_size", range: 1...200) ?? SyncConfig.defaultPageSize,
            concurrency: try root.int("concurrency", range: 1...64) ?? SyncConfig.defaultConcurrency,
            timeouts: HTTPTimeouts(connect: try root.int("connect_timeout_seconds", range: 1...600) ?? 15,
                                   request: try root.int("request_timeout_seconds", range: 1...3600) ?? 60),
            retry: retry, rateLimit: rateLimit, rateLimitWindow: rateLimitWindow,
            maxPages: try root.int("max_pages", range: 1...10_000_000) ?? 100_000,
            perConnectorConcurrency: try root.int("per_connector_concurrency", range: 1...64) ?? 2,
            discovery: discovery, source: source)
        config.modelOptions = modelOptions
        config.hashKey = hashKey
        return config
    }

    private static func parseConnector(_ reader: JSONFieldReader, sources: SecretSources, catalog: ModelCatalog) throws(InputError) -> ConnectorConfig {
        try reader.rejectUnknownKeys(allowed: ["name", "category", "token", "token_env", "models"])
        let name = try reader.requiredString("name")
        guard name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "-_.".unicodeScalars.contains($0)) }) else {
            throw reader.fail("name", "\"\(name)\" may only hold letters, digits, '-', '_' and '.'")
        }
        let categoryText = try reader.requiredString("category")
        guard let category = Category(rawValue: categoryText) else {
            throw reader.fail("category", "expected one of hris, ats, lms, found \"\(categoryText)\"")
        }
        let token = try secret(reader, key: "token", envKey: "token_env", sources: sources, required: true)!
        let models = try reader.stringArray("models")
        if let models {
            for (i, model) in models.enumerated() where catalog.model(category, model) == nil {
                let known = catalog.models(in: category).map(\.model).joined(separator: ", ")
                throw InputError(source: reader.source, field: "\(reader.fieldPath("models"))[\(i)]",
                                 "\"\(model)\" is not a \(category.rawValue) list model (known: \(known))")
            }
        }
        return ConnectorConfig(name: name, category: category, token: token, models: models)
    }

    /// A secret given inline (`key`) or by name (`envKey`: looked up in the secrets file, then
    /// the environment), never both.
    private static func secret(_ reader: JSONFieldReader, key: String, envKey: String, sources: SecretSources,
                               required: Bool) throws(InputError) -> Secret? {
        let inline = try reader.string(key)
        let variable = try reader.string(envKey)
        switch (inline, variable) {
        case (.some, .some):
            throw reader.fail(envKey, "set either \(key) or \(envKey), not both")
        case (.some(let value), .none):
            return Secret(value)
        case (.none, .some(let name)):
            guard let value = sources.lookup(name) else {
                throw reader.fail(envKey, "environment variable \(name) is not set\(sources.searched)")
            }
            return value
        case (.none, .none):
            if required { throw reader.fail(envKey, "is required (or \(key))") }
            return nil
        }
    }
}
