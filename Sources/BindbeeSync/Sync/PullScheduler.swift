import Foundation

/// Hands planned pulls to workers under two limits: at most `concurrency` pulls at once in
/// all, and at most `perConnector` at once for one connector (its token's budget is shared,
/// so more pulls would only queue behind the rate limiter). Pulls start in plan order, except
/// that a pull whose connector is at its limit lets the next one of another connector go first.
final class PullScheduler: @unchecked Sendable {
    // @unchecked: every field below is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var pending: [Int]
    private var active: [String: Int] = [:]
    private let connectorOf: [String]
    private let perConnector: Int

    init(plans: [PullPlan], perConnector: Int) {
        pending = Array(plans.indices)
        connectorOf = plans.map(\.connector.name)
        self.perConnector = max(1, perConnector)
    }

    /// The next pull to run, waiting while every pending pull's connector is at its limit;
    /// nil when none is left.
    func next() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if pending.isEmpty { return nil }
            if let position = pending.firstIndex(where: { active[connectorOf[$0], default: 0] < perConnector }) {
                let index = pending.remove(at: position)
                active[connectorOf[index], default: 0] += 1
                return index
            }
            condition.wait()
        }
    }

    /// Marks pull `index` finished, letting a waiting worker take its connector's next pull.
    func finished(_ index: Int) {
        condition.lock()
        active[connectorOf[index], default: 1] -= 1
        condition.broadcast()
        condition.unlock()
    }
}
