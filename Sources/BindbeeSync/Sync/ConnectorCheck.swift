/// Before a run pulls anything: asks the connectors endpoint about every category in use,
/// matches configured connectors by token (to learn their health and the age of their data),
/// and adds the connectors discovery finds. A category whose listing fails is reported and
/// skipped; configured connectors still run.
public struct ConnectorCheck: Sendable {
    /// Configured connectors, then discovered ones.
    public var connectors: [ConnectorConfig]
    /// What Bindbee said about each of them, by connector name.
    public var health: [String: ConnectorHealth]
    /// Connectors found but not mirrored, with why (test connector, inactive, name taken).
    public var ignored: [(name: String, reason: String)]
    /// Categories whose listing failed, with the error.
    public var failures: [(category: Category, error: String)]

    public static func run(config: SyncConfig, directory: ConnectorDirectory) -> ConnectorCheck {
        var check = ConnectorCheck(connectors: config.connectors, health: [:], ignored: [], failures: [])
        let configuredCategories = Set(config.connectors.map(\.category))
        let discovered = Set(config.discovery?.categories ?? [])
        for category in Category.allCases where configuredCategories.contains(category) || discovered.contains(category) {
            let listed: [ConnectorHealth]
            do {
                listed = try directory.list(category)
            } catch {
                check.failures.append((category, directory.client.redactor.redact("\(error)")))
                continue
            }
            for var entry in listed {
                if let configured = config.connectors.first(where: { $0.token == entry.token }) {
                    entry.name = configured.name
                    check.health[configured.name] = entry
                    continue
                }
                guard discovered.contains(category) else { continue }
                if entry.isTestConnector && !(config.discovery?.includeTest ?? false) {
                    check.ignored.append((entry.name, "test connector (set discover.include_test to mirror it)"))
                } else if !entry.isActive {
                    check.ignored.append((entry.name, "inactive"))
                } else if check.connectors.contains(where: { $0.name == entry.name }) {
                    check.ignored.append((entry.name, "its name is already used by another connector (Bindbee id \(entry.bindbeeID))"))
                } else {
                    entry.discovered = true
                    check.health[entry.name] = entry
                    check.connectors.append(ConnectorConfig(name: entry.name, category: category, token: entry.token))
                }
            }
        }
        return check
    }
}
