import BindbeeSync

/// One end customer's connection in the sandbox: what the connectors endpoint lists and what a
/// connector token unlocks. The dataset generates data per connector, keyed by its `name`, so
/// adding a connector never changes the data of the others.
public struct SandboxConnector: Sendable, Equatable {
    /// Stable key of the connector's data (`acme-hris`); also the seed key.
    public var name: String
    public var category: Category
    /// The `X-Connector-Token` value. Sandbox tokens start with `sbx_` so they are never
    /// mistaken for real ones.
    public var token: String
    /// `bamboohr`, `greenhouse`, ...: what the connectors endpoint reports.
    public var integrationSlug: String
    /// The end customer's display name (`end_user`).
    public var endUser: String
    /// The customer's own id for this connection (`origin_id`).
    public var originID: String
    public var isTestConnector: Bool
    public var isActive: Bool
    /// `COMPLETE`, `INCOMPLETE` or `RELINK_NEEDED`.
    public var status: String
    /// `Syncing`, `Done`, `Failed` or nil.
    public var syncStatus: String?
    /// How many records each model gets when it has no override (picked per model from the seed).
    public var recordsPerModel: ClosedRange<Int>
    /// Exact record counts per model name (`employees: 250`).
    public var recordCountOverrides: [String: Int]
    /// When the last sync started; nil: a few hours before the dataset's clock, so it moves
    /// with `SandboxDataset.advanceClock(by:)`. Set it to make a connector look stale.
    public var lastSyncStartTime: SandboxTimestamp?
    /// When the connector became `RELINK_NEEDED` (only reported in that status; nil: at
    /// `last_sync_start_time`).
    public var relinkNeededAt: SandboxTimestamp?
    /// When the connector was created; nil: 120 days before the dataset's clock.
    public var createdAt: SandboxTimestamp?

    public init(name: String, category: Category, token: String, integrationSlug: String, endUser: String,
                originID: String, isTestConnector: Bool = true, isActive: Bool = true, status: String = "COMPLETE",
                syncStatus: String? = "Done", recordsPerModel: ClosedRange<Int> = 20...60,
                recordCountOverrides: [String: Int] = [:], lastSyncStartTime: SandboxTimestamp? = nil,
                relinkNeededAt: SandboxTimestamp? = nil, createdAt: SandboxTimestamp? = nil) {
        self.name = name
        self.category = category
        self.token = token
        self.integrationSlug = integrationSlug
        self.endUser = endUser
        self.originID = originID
        self.isTestConnector = isTestConnector
        self.isActive = isActive
        self.status = status
        self.syncStatus = syncStatus
        self.recordsPerModel = recordsPerModel
        self.recordCountOverrides = recordCountOverrides
        self.lastSyncStartTime = lastSyncStartTime
        self.relinkNeededAt = relinkNeededAt
        self.createdAt = createdAt
    }

    /// The values `status` may take.
    public static let statuses = ["COMPLETE", "INCOMPLETE", "RELINK_NEEDED"]
    /// The values `syncStatus` may take besides nil.
    public static let syncStatuses = ["Syncing", "Done", "Failed"]

    /// HRIS, 250 employees (two pages of 200) and 20-60 records in every other model.
    public static let acmeHRIS = SandboxConnector(
        name: "acme-hris", category: .hris, token: "sbx_acme_hris_4f7d2c9e81b3a605",
        integrationSlug: "bamboohr", endUser: "Acme Corporation", originID: "acme-001",
        recordCountOverrides: ["employees": 250])

    /// A second, smaller HRIS connector: 40 employees, 5-15 records elsewhere.
    public static let umbrellaHRIS = SandboxConnector(
        name: "umbrella-hris", category: .hris, token: "sbx_umbrella_hris_0b6e3a7f2d9c4815",
        integrationSlug: "workday", endUser: "Umbrella Holdings", originID: "umbrella-042",
        recordsPerModel: 5...15, recordCountOverrides: ["employees": 40])

    /// ATS, 20-60 records per model.
    public static let globexATS = SandboxConnector(
        name: "globex-ats", category: .ats, token: "sbx_globex_ats_9a1c5e3b7d2f6084",
        integrationSlug: "greenhouse", endUser: "Globex Inc.", originID: "globex-007")

    /// LMS, 20-60 records per model.
    public static let initechLMS = SandboxConnector(
        name: "initech-lms", category: .lms, token: "sbx_initech_lms_7e2b9d4a1c6f3058",
        integrationSlug: "docebo", endUser: "Initech LLC", originID: "initech-314")

    /// The demo's connectors, in the order the connectors endpoint lists them.
    public static let demo: [SandboxConnector] = [acmeHRIS, globexATS, initechLMS, umbrellaHRIS]

    /// The record count of one model of this connector under `seed`.
    func recordCount(model: String, seed: UInt64) -> Int {
        if let exact = recordCountOverrides[model] { return max(0, exact) }
        var random = KeyedRandom(seed: seed, name, model, "count")
        return max(0, random.int(in: recordsPerModel))
    }
}

/// Default API key of the sandbox (`Authorization: Bearer sbx_demo_api_key`).
public let sandboxDefaultAPIKey = "sbx_demo_api_key"
