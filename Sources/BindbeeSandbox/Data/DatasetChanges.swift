import BindbeeSync

/// Why the sandbox refused a change: the input at fault, named as in the admin endpoint's
/// JSON (`seconds`, `update`, `connectors`, `status`, ...), and what is wrong with it. The
/// in-process API and the admin endpoint validate through the same code, so both refuse the
/// same things for the same reasons.
public struct SandboxChangeError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// The clock and the connectors: what moves when time passes, a customer links a new
/// connection, or a connection breaks. The connectors endpoint reports all of it; data
/// endpoints keep serving whatever the status (Bindbee serves stale data without errors).
extension SandboxDataset {
    /// The most `advanceClock(by:)` moves at once: ten years.
    public static let maxClockStepSeconds: Double = 10 * 366 * 86_400

    /// Moves `now` forward by `seconds` (millisecond precision). Records keep their
    /// `modified_at`; derived connector times (last and next sync) move along.
    public mutating func advanceClock(by seconds: Double) throws(SandboxChangeError) {
        guard seconds.isFinite, seconds >= 0, seconds <= Self.maxClockStepSeconds else {
            throw SandboxChangeError(field: "seconds", "must be a number of seconds from 0 to \(Int(Self.maxClockStepSeconds))")
        }
        now = now.adding(milliseconds: Int64((seconds * 1000).rounded()))
    }

    /// A new customer's connection: listed by the connectors endpoint from now on, its token
    /// opens its data, generated at the current `now` like the initial connectors'. Without a
    /// `createdAt` it is created now.
    public mutating func addConnector(_ connector: SandboxConnector) throws(SandboxChangeError) {
        var connector = connector
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.".utf8)
        guard !connector.name.isEmpty, connector.name.utf8.count <= 64, connector.name.utf8.allSatisfy(allowed.contains) else {
            throw SandboxChangeError(field: "name", "must be 1 to 64 ASCII letters, digits, '-', '_' or '.'")
        }
        guard self.connector(named: connector.name) == nil else {
            throw SandboxChangeError(field: "name", "a connector named \(connector.name) exists")
        }
        guard !connector.token.isEmpty, connector.token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw SandboxChangeError(field: "token", "must be printable ASCII without spaces")
        }
        guard self.connector(token: connector.token) == nil else {
            throw SandboxChangeError(field: "token", "another connector has this token")
        }
        guard connector.recordsPerModel.lowerBound >= 0, connector.recordsPerModel.upperBound <= 10_000 else {
            throw SandboxChangeError(field: "records_per_model", "must be from 0 to 10000")
        }
        for (model, count) in connector.recordCountOverrides.sorted(by: { $0.key < $1.key }) {
            guard catalog.model(connector.category, model) != nil else {
                throw SandboxChangeError(field: "record_counts", "\(model) is not a \(connector.category.rawValue) model")
            }
            guard (0...10_000).contains(count) else {
                throw SandboxChangeError(field: "record_counts", "the count of \(model) must be from 0 to 10000")
            }
        }
        try Self.checkHealth(status: connector.status, syncStatus: connector.syncStatus)
        if connector.createdAt == nil { connector.createdAt = now }
        connectors.append(connector)
        generate([connector])
    }

    /// Sets what the connectors endpoint reports about a connection's health. Entering
    /// `RELINK_NEEDED` sets `relink_needed_at` to `now`; leaving it clears it. A nil
    /// `lastSyncStartTime` makes the last sync start a few hours before `now` again.
    public mutating func setConnectorHealth(name: String, status: String, syncStatus: String?,
                                            lastSyncStartTime: SandboxTimestamp? = nil) throws(SandboxChangeError) {
        let index = try connectorIndex(name)
        try Self.checkHealth(status: status, syncStatus: syncStatus)
        var connector = connectors[index]
        if status == "RELINK_NEEDED" {
            if connector.status != "RELINK_NEEDED" { connector.relinkNeededAt = now }
        } else {
            connector.relinkNeededAt = nil
        }
        connector.status = status
        connector.syncStatus = syncStatus
        connector.lastSyncStartTime = lastSyncStartTime
        connectors[index] = connector
    }

    /// Sets `is_active` (the connectors endpoint's filter of that name follows). An inactive
    /// connector's token still opens its data.
    public mutating func setActive(name: String, _ active: Bool) throws(SandboxChangeError) {
        connectors[try connectorIndex(name)].isActive = active
    }

    func connectorIndex(_ name: String, field: String = "name") throws(SandboxChangeError) -> Int {
        guard let index = connectors.firstIndex(where: { $0.name == name }) else {
            throw SandboxChangeError(field: field, "no connector named \(name)")
        }
        return index
    }

    private static func checkHealth(status: String, syncStatus: String?) throws(SandboxChangeError) {
        guard SandboxConnector.statuses.contains(status) else {
            throw SandboxChangeError(field: "status", "must be one of \(SandboxConnector.statuses.joined(separator: ", "))")
        }
        if let syncStatus, !SandboxConnector.syncStatuses.contains(syncStatus) {
            throw SandboxChangeError(field: "sync_status",
                                     "must be one of \(SandboxConnector.syncStatuses.joined(separator: ", ")) or null")
        }
    }
}
