import BindbeeSync

/// Remembers every `Retry-After` the sandbox announced, per rate-limit key, so it can tell
/// when a client sends a request while told to wait: the proof that a client honours
/// `Retry-After`.
///
/// A request is early when it arrives after `written + grace` and before `written + seconds`
/// of an announcement to its key. The grace covers requests already in flight when the
/// answer went out: those are not the client's fault.
final class RetryAfterLedger: Sendable {
    let grace: Double
    private let pending = Locked<[String: [(written: Double, deadline: Double)]]>([:])

    init(grace: Double) {
        self.grace = grace
    }

    /// Records `Retry-After: seconds` sent to `key` at `written`.
    func announce(_ key: String, seconds: Int, written: Double) {
        guard seconds > 0 else { return }
        pending.withLock { $0[key, default: []].append((written, written + Double(seconds))) }
    }

    /// Whether a request of `key` arriving at `now` is early; forgets announcements that ended.
    func isEarly(_ key: String, now: Double) -> Bool {
        pending.withLock { all in
            guard var list = all[key] else { return false }
            list.removeAll { $0.deadline <= now }
            all[key] = list.isEmpty ? nil : list
            return list.contains { now > $0.written + grace && now < $0.deadline }
        }
    }
}
