import BindbeeSync

/// What one change to the sandbox's records did, per connector and model: the ids it updated,
/// inserted, deleted and touched. Tests check a mirror against exactly these (deleted ids
/// should get `_deleted_at`, updated ones the new values), and the admin endpoint answers
/// with it as JSON.
public struct SandboxMutationSummary: Sendable, Equatable {
    /// The changes to one model of one connector; every id list is sorted.
    public struct ModelChanges: Sendable, Equatable {
        public let connector: String
        public let model: String
        /// Records whose content changed; their `modified_at` is the summary's `now`.
        public var updated: [String] = []
        /// New records (new ids), `modified_at` = `now`; their relations point at records that
        /// exist after the change.
        public var inserted: [String] = []
        /// Records gone from the lists.
        public var deleted: [String] = []
        /// Records rewritten without any change but `modified_at` = `now`, as Bindbee does on
        /// every sync.
        public var touched: [String] = []

        init(connector: String, model: String) {
            self.connector = connector
            self.model = model
        }

        var json: JSONValue {
            func ids(_ list: [String]) -> JSONValue { .array(list.map { .string($0) }) }
            return .object(JSONObject([
                ("connector", .string(connector)), ("model", .string(model)),
                ("updated", .int(Int64(updated.count))), ("inserted", .int(Int64(inserted.count))),
                ("deleted", .int(Int64(deleted.count))), ("touched", .int(Int64(touched.count))),
                ("updated_ids", ids(updated)), ("inserted_ids", ids(inserted)),
                ("deleted_ids", ids(deleted)), ("touched_ids", ids(touched)),
            ]))
        }
    }

    /// How many records each kind of change hit, over all models.
    public struct Totals: Sendable, Equatable {
        public var updated = 0
        public var inserted = 0
        public var deleted = 0
        public var touched = 0
    }

    /// The dataset's clock when the change was made: the `modified_at` of every updated,
    /// inserted and touched record.
    public let now: SandboxTimestamp
    /// One entry per selected connector and model (also those nothing happened to), connectors
    /// in dataset order, models in catalog order.
    public internal(set) var models: [ModelChanges]

    /// The changes to one model of one connector, if it was selected.
    public func changes(connector: String, model: String) -> ModelChanges? {
        models.first { $0.connector == connector && $0.model == model }
    }

    public var totals: Totals {
        models.reduce(into: Totals()) { totals, changes in
            totals.updated += changes.updated.count
            totals.inserted += changes.inserted.count
            totals.deleted += changes.deleted.count
            totals.touched += changes.touched.count
        }
    }

    /// `{"now": ..., "totals": {...}, "changes": [{"connector", "model", counts, "<kind>_ids"}]}`.
    public var json: JSONValue {
        let totals = self.totals
        return .object(JSONObject([
            ("now", .string(now.iso8601)),
            ("totals", .object(JSONObject([
                ("updated", .int(Int64(totals.updated))), ("inserted", .int(Int64(totals.inserted))),
                ("deleted", .int(Int64(totals.deleted))), ("touched", .int(Int64(totals.touched))),
            ]))),
            ("changes", .array(models.map(\.json))),
        ]))
    }
}
