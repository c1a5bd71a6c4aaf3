import BindbeeSync

/// The items of `GET /api/{category}/v1/connectors`: `ConnectorResponse` for every category,
/// plus the `HrisConnectorResponse` fields on HRIS. The catalog does not carry these meta
/// schemas, so their field order is written here; a test checks it against models.json.
enum ConnectorListing {
    /// The connectors of one category as items, in serving order (by `id`).
    static func items(_ dataset: SandboxDataset, category: Category) -> [SandboxRecord] {
        dataset.connectors.filter { $0.category == category }
            .map { SandboxRecord(fields: item($0, dataset: dataset)) }
            .sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
    }

    /// The connector's stable Bindbee id.
    static func id(_ connector: SandboxConnector, seed: UInt64) -> String {
        var random = KeyedRandom(seed: seed, connector.name, "connector")
        return random.uuid()
    }

    static func item(_ connector: SandboxConnector, dataset: SandboxDataset) -> JSONObject {
        let now = dataset.now
        let minute: Int64 = 60_000
        var random = KeyedRandom(seed: dataset.seed, connector.name, "connector-times")
        let derivedStart = now.adding(milliseconds: -(120 + Int64(random.below(180))) * minute - Int64(random.below(60_000)))
        let lastStart = connector.lastSyncStartTime ?? derivedStart
        let syncing = connector.syncStatus == "Syncing"
        let durationSeconds = 300 + Int64(random.below(600))
        func time(_ t: SandboxTimestamp?) -> JSONValue { t.map { .string($0.iso8601) } ?? .null }

        var object = JSONObject([
            ("id", .string(id(connector, seed: dataset.seed))),
            ("is_active", .bool(connector.isActive)),
            ("status", .string(connector.status)),
            ("integration_slug", .string(connector.integrationSlug)),
            ("end_user", .string(connector.endUser)),
            ("origin_id", .string(connector.originID)),
            ("sync_status", connector.syncStatus.map { .string($0) } ?? .null),
            ("last_sync_start_time", time(lastStart)),
            ("next_sync_start_time", time(lastStart.adding(milliseconds: 24 * 60 * minute))),
            ("connector_token", .string(connector.token)),
            ("category", .string(connector.category.rawValue.uppercased())),
            ("relink_needed_at", time(connector.status == "RELINK_NEEDED" ? connector.relinkNeededAt ?? lastStart : nil)),
            ("is_test_connector", .bool(connector.isTestConnector)),
            ("completed_at", time(syncing ? nil : lastStart.adding(milliseconds: durationSeconds * 1000))),
            ("created_at", time(connector.createdAt ?? now.adding(milliseconds: -120 * SandboxTimestamp.millisecondsPerDay))),
        ])
        if connector.category == .hris {
            let employees = dataset.records(connector: connector.name, model: "employees")
            let active = employees.filter { $0.fields["employment_status"]?.stringValue == "ACTIVE" }.count
            object["sync_progress"] = syncing ? .int(Int64(random.int(in: 5...95))) : .null
            object["total_employees"] = .int(Int64(employees.count))
            object["active_employees"] = .int(Int64(active))
            let clock = [durationSeconds / 3600, durationSeconds / 60 % 60, durationSeconds % 60]
            object["avg_sync_duration"] = .string(clock.map { $0 < 10 ? "0\($0)" : "\($0)" }.joined(separator: ":"))
        }
        return object
    }

    /// Applies the endpoint's filters: `connector_token`, `is_active`, `origin_id`.
    static func filter(_ request: HTTPRequest, errors: inout ValidationErrors) -> (SandboxRecord) -> Bool {
        let token = request.queryValue("connector_token")
        let origin = request.queryValue("origin_id")
        let active = request.queryValue("is_active").flatMap { errors.boolean($0, name: "is_active") }
        return { record in
            if let token, record.fields["connector_token"]?.stringValue != token { return false }
            if let origin, record.fields["origin_id"]?.stringValue != origin { return false }
            if let active, record.fields["is_active"]?.boolValue != active { return false }
            return true
        }
    }
}
