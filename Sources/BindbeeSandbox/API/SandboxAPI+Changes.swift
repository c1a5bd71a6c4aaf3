/// The changes a test or demo makes to a running sandbox, each applied atomically through
/// `change(_:)`; see `SandboxDataset`'s methods of the same names for what they do. To make
/// several changes at once (advance the clock and mutate, say), call `change(_:)` with all of
/// them.
extension SandboxAPI {
    /// Moves the dataset's clock forward (not the rate limiter's).
    public func advanceClock(by seconds: Double) throws(SandboxChangeError) {
        try change { (dataset) throws(SandboxChangeError) in try dataset.advanceClock(by: seconds) }
    }

    /// Updates, inserts, deletes and touches records; see `SandboxDataset.mutate`.
    public func mutate(seed: UInt64, updateFraction: Double, insertFraction: Double, deleteFraction: Double,
                       touchFraction: Double = 0, connectors: [String]? = nil,
                       models: [String]? = nil) throws(SandboxChangeError) -> SandboxMutationSummary {
        try change { (dataset) throws(SandboxChangeError) in
            try dataset.mutate(seed: seed, updateFraction: updateFraction, insertFraction: insertFraction,
                               deleteFraction: deleteFraction, touchFraction: touchFraction,
                               connectors: connectors, models: models)
        }
    }

    /// Gives `count` records of one model the same `modified_at` (now).
    public func setBoundaryTimestamp(connector: String, model: String,
                                     count: Int) throws(SandboxChangeError) -> SandboxMutationSummary {
        try change { (dataset) throws(SandboxChangeError) in
            try dataset.setBoundaryTimestamp(connector: connector, model: model, count: count)
        }
    }

    /// A new connector, listed and served from now on.
    public func addConnector(_ connector: SandboxConnector) throws(SandboxChangeError) {
        try change { (dataset) throws(SandboxChangeError) in try dataset.addConnector(connector) }
    }

    /// What the connectors endpoint reports about a connector's health.
    public func setConnectorHealth(name: String, status: String, syncStatus: String?,
                                   lastSyncStartTime: SandboxTimestamp? = nil) throws(SandboxChangeError) {
        try change { (dataset) throws(SandboxChangeError) in
            try dataset.setConnectorHealth(name: name, status: status, syncStatus: syncStatus,
                                           lastSyncStartTime: lastSyncStartTime)
        }
    }

    /// A connector's `is_active`.
    public func setActive(name: String, _ active: Bool) throws(SandboxChangeError) {
        try change { (dataset) throws(SandboxChangeError) in try dataset.setActive(name: name, active) }
    }
}
