import Foundation

/// What Bindbee's connectors endpoint says about one connector: its health, when Bindbee
/// last synced it (the age of the data we mirror) and, for discovery, its token, which is
/// held in memory only and never written anywhere.
public struct ConnectorHealth: Sendable, Equatable {
    /// The mirror's name for it: the configured name, or for a discovered connector its
    /// `origin_id` (falling back to its Bindbee id), stable across runs.
    public var name: String
    public let category: Category
    public let bindbeeID: String
    public let originID: String?
    public let endUser: String?
    public let integrationSlug: String?
    public let isActive: Bool
    public let isTestConnector: Bool
    public let status: String
    public let syncStatus: String?
    public let lastSyncStartTime: String?
    public let nextSyncStartTime: String?
    public let relinkNeededAt: String?
    public let token: Secret
    public var discovered = false

    /// Why Bindbee's data for this connector is stale or in flux; nil when healthy. Bindbee keeps
    /// serving such a connector's data without errors, so only this check notices.
    public var problem: String? {
        if status == "RELINK_NEEDED" { return "relink needed\(relinkNeededAt.map { " since \($0)" } ?? "")" }
        if syncStatus == "Failed" { return "Bindbee's last sync failed" }
        if syncStatus == "Syncing" { return "Bindbee is syncing it right now" }
        if !isActive { return "inactive" }
        return nil
    }

    init?(_ item: JSONValue, category: Category) {
        guard let id = item["id"]?.stringValue, let token = item["connector_token"]?.stringValue else { return nil }
        self.name = item["origin_id"]?.stringValue ?? id
        self.category = category
        self.bindbeeID = id
        self.originID = item["origin_id"]?.stringValue
        self.endUser = item["end_user"]?.stringValue
        self.integrationSlug = item["integration_slug"]?.stringValue
        self.isActive = item["is_active"]?.boolValue ?? true
        self.isTestConnector = item["is_test_connector"]?.boolValue ?? false
        self.status = item["status"]?.stringValue ?? "UNKNOWN"
        self.syncStatus = item["sync_status"]?.stringValue
        self.lastSyncStartTime = item["last_sync_start_time"]?.stringValue
        self.nextSyncStartTime = item["next_sync_start_time"]?.stringValue
        self.relinkNeededAt = item["relink_needed_at"]?.stringValue
        self.token = Secret(token)
    }
}

/// Reads `GET /api/{category}/v1/connectors` (API key only, paginated): connector health
/// before pulling, and connector discovery.
public struct ConnectorDirectory: Sendable {
    let client: BindbeeClient
    let pageSize: Int

    public init(client: BindbeeClient, pageSize: Int = 200) {
        self.client = client
        self.pageSize = pageSize
    }

    /// Every connector of `category`, in the order Bindbee lists them. Their tokens are
    /// registered with the client's redactor before anything else can see them.
    public func list(_ category: Category) throws -> [ConnectorHealth] {
        let query = ListQuery(path: "/api/\(category.rawValue)/v1/connectors", token: nil, connector: nil, pageSize: pageSize)
        var found: [ConnectorHealth] = []
        _ = try client.walk(query) { page, number, _ in
            for (index, item) in page.items.enumerated() {
                let value = try JSONValue.parse(page.body[item.bytes])
                guard let health = ConnectorHealth(value, category: category) else {
                    throw APIError.invalidPage("connector \(index) has no id or connector_token",
                                               request: RequestLabel(path: query.path, connector: nil, page: number))
                }
                client.redactor.register(health.token)
                found.append(health)
            }
        }
        return found
    }
}
