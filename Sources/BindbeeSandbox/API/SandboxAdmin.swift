import BindbeeSync

/// The admin routes under `/_admin/`: what the CLI sandbox and demos use to make the data
/// change over time, from curl or another process. Not part of Bindbee's API. They need the
/// API key like everything else, are served by the same loopback-only listener (`HTTPServer`
/// binds 127.0.0.1 and nothing else), answer JSON, and validate their bodies (422 naming the
/// field). Every route is a `POST`:
///
/// - `/_admin/advance` `{"seconds": N}` → `{"now": ISO}`
/// - `/_admin/mutate` `{"seed": N, "update": F, "insert": F, "delete": F, "touch": F,
///   "connectors": [names]?, "models": [names]?}` (fractions default to 0) →
///   `SandboxMutationSummary.json`
/// - `/_admin/boundary` `{"connector": name, "model": name, "count": N}` → the summary
/// - `/_admin/connectors` `{"name", "category", "token", "origin_id", "integration_slug"?,
///   "end_user"?, "is_test_connector"?, "is_active"?, "status"?, "sync_status"?,
///   "records_per_model"?, "record_counts"?}` → 201, the item the connectors endpoint lists
/// - `/_admin/connectors/{name}/health` `{"status"?, "sync_status"?, "last_sync_start_time"?,
///   "is_active"?}` (absent: unchanged; a null time: derived from the clock again) → the item
/// - `/_admin/expire-cursors` → `{"expired": true}`
enum AdminRoute: Equatable {
    case advance
    case mutate
    case boundary
    case addConnector
    case health(connector: String)
    case expireCursors

    /// Whether the path is the admin endpoint's (its routes or a 404 of its own).
    static func covers(_ path: String) -> Bool {
        path == "/_admin" || path.hasPrefix("/_admin/")
    }

    /// nil when no route matches.
    init?(path: String) {
        guard Self.covers(path) else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).map(String.init)
        switch parts {
        case ["advance"]: self = .advance
        case ["mutate"]: self = .mutate
        case ["boundary"]: self = .boundary
        case ["connectors"]: self = .addConnector
        case ["expire-cursors"]: self = .expireCursors
        default:
            if parts.count == 3, parts[0] == "connectors", !parts[1].isEmpty, parts[2] == "health" {
                self = .health(connector: parts[1])
            } else {
                return nil
            }
        }
    }
}

extension SandboxAPI {
    /// Answers an admin request: route (404, 405), API key (401), body (422), then the change.
    func administer(_ request: HTTPRequest) -> HTTPResponse {
        guard let route = AdminRoute(path: request.path) else { return Self.error(404, "Not Found") }
        guard request.method == "POST" else { return Self.error(405, "Method Not Allowed", headers: ["Allow": "POST"]) }
        if let failure = authenticate(request) { return failure }
        var body = AdminBody(request.body)
        if let failure = body.failure { return failure }
        do throws(SandboxChangeError) {
            switch route {
            case .advance:
                let seconds = body.number("seconds", required: true)
                body.finish()
                guard let seconds, body.failure == nil else { return body.failure! }
                let now = try change { (dataset) throws(SandboxChangeError) in
                    try dataset.advanceClock(by: seconds)
                    return dataset.now
                }
                return .json(200, JSONValue.object(JSONObject([("now", .string(now.iso8601))])).serialized)
            case .mutate:
                let seed = body.integer("seed", required: true, minimum: 0)
                let shares = ["update", "insert", "delete", "touch"].map { body.number($0) ?? 0 }
                let connectors = body.strings("connectors"), models = body.strings("models")
                body.finish()
                guard let seed, body.failure == nil else { return body.failure! }
                let summary = try mutate(seed: UInt64(seed), updateFraction: shares[0], insertFraction: shares[1],
                                         deleteFraction: shares[2], touchFraction: shares[3],
                                         connectors: connectors, models: models)
                return .json(200, summary.json.serialized)
            case .boundary:
                let connector = body.string("connector", required: true), model = body.string("model", required: true)
                let count = body.integer("count", required: true)
                body.finish()
                guard let connector, let model, let count, body.failure == nil else { return body.failure! }
                let summary = try setBoundaryTimestamp(connector: connector, model: model, count: Int(clamping: count))
                return .json(200, summary.json.serialized)
            case .addConnector:
                return try addConnector(&body)
            case .health(let name):
                guard dataset.connector(named: name) != nil else { return Self.error(404, "Connector not found") }
                return try health(name, &body)
            case .expireCursors:
                body.finish()
                if let failure = body.failure { return failure }
                expireCursors()
                return .json(200, JSONValue.object(JSONObject([("expired", .bool(true))])).serialized)
            }
        } catch {
            body.refuse(error.field, error.message)
            return body.failure!
        }
    }

    private func addConnector(_ body: inout AdminBody) throws(SandboxChangeError) -> HTTPResponse {
        let name = body.string("name", required: true), token = body.string("token", required: true)
        let categoryText = body.string("category", required: true), origin = body.string("origin_id", required: true)
        let slug = body.string("integration_slug"), endUser = body.string("end_user")
        let isTest = body.bool("is_test_connector"), isActive = body.bool("is_active")
        let status = body.string("status"), syncStatus = body.nullableString("sync_status")
        let perModel = body.integer("records_per_model", minimum: 0), counts = body.integers("record_counts")
        let category = categoryText.flatMap { Category(rawValue: $0.lowercased()) }
        if categoryText != nil, category == nil { body.refuse("category", "must be one of hris, ats, lms") }
        body.finish()
        guard let name, let token, let category, let origin, body.failure == nil else { return body.failure! }
        let defaultSlug: [Category: String] = [.hris: "bamboohr", .ats: "greenhouse", .lms: "docebo"]
        let fixed = perModel.map { Int(clamping: $0) }
        let connector = SandboxConnector(
            name: name, category: category, token: token, integrationSlug: slug ?? defaultSlug[category] ?? "",
            endUser: endUser ?? name, originID: origin, isTestConnector: isTest ?? true, isActive: isActive ?? true,
            status: status ?? "COMPLETE", syncStatus: syncStatus ?? "Done",
            recordsPerModel: fixed.map { $0...$0 } ?? 20...60, recordCountOverrides: counts ?? [:])
        let item = try change { (dataset) throws(SandboxChangeError) in
            try dataset.addConnector(connector)
            return ConnectorListing.item(dataset.connector(named: name) ?? connector, dataset: dataset)
        }
        return .json(201, JSONValue.object(item).serialized)
    }

    private func health(_ name: String, _ body: inout AdminBody) throws(SandboxChangeError) -> HTTPResponse {
        let status = body.string("status"), syncStatus = body.nullableString("sync_status")
        let startText = body.nullableString("last_sync_start_time"), active = body.bool("is_active")
        var start: SandboxTimestamp?? = nil  // absent: unchanged
        switch startText {
        case nil: break
        case .some(nil): start = .some(nil)
        case .some(.some(let text)):
            if let time = SandboxTimestamp(iso8601: text) {
                start = time
            } else {
                body.refuse("last_sync_start_time", "must be an ISO 8601 date-time or null")
            }
        }
        if body.isEmpty {
            body.refuse("status", "give at least one of status, sync_status, last_sync_start_time, is_active")
        }
        body.finish()
        if let failure = body.failure { return failure }
        let item = try change { (dataset) throws(SandboxChangeError) in
            let index = try dataset.connectorIndex(name)
            let current = dataset.connectors[index]
            try dataset.setConnectorHealth(name: name, status: status ?? current.status,
                                           syncStatus: syncStatus ?? current.syncStatus,
                                           lastSyncStartTime: start ?? current.lastSyncStartTime)
            if let active { try dataset.setActive(name: name, active) }
            return ConnectorListing.item(dataset.connectors[index], dataset: dataset)
        }
        return .json(200, JSONValue.object(item).serialized)
    }
}
