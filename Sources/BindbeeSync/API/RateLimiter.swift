import Dispatch
import Foundation

/// The timing rules of one connector token's request budget, as a pure value: at most `limit`
/// requests in any `window` seconds (a sliding window over the send times, so every fixed
/// window the server may count in holds at most `limit` too), never before a pending
/// `Retry-After` has elapsed, and a pause when the server says the budget is spent.
///
/// Times are seconds on a monotonic clock chosen by the caller. With `limit` 200 and `window`
/// 60 (Bindbee's documented budget):
///
/// | situation at `now` | earliest next send |
/// | --- | --- |
/// | fewer than 200 sends in the last 60 s, no pause | `now` |
/// | 200 sends, the oldest at `t0` | `t0 + 60` |
/// | `Retry-After: 7` received at `r` | `r + 7` (whatever the window says) |
/// | `X-RateLimit-Remaining: 0`, `X-RateLimit-Reset` 12 s away | `now + 12` |
public struct RateBudget: Sendable, Equatable {
    public let limit: Int
    public let window: Double
    /// Send times of the last `limit` requests, oldest first.
    public private(set) var sends: [Double] = []
    /// No request may go out before this time.
    public private(set) var pausedUntil: Double = 0

    public init(limit: Int, window: Double) {
        self.limit = max(1, limit)
        self.window = window
    }

    /// The earliest time, not before `now`, at which the next request may be sent.
    public func earliestSend(now: Double) -> Double {
        var time = max(now, pausedUntil)
        if sends.count >= limit, let oldest = sends.first {
            time = max(time, oldest + window)
        }
        return time
    }

    /// Records a request sent at `time`.
    public mutating func recordSend(at time: Double) {
        sends.append(time)
        if sends.count > limit { sends.removeFirst(sends.count - limit) }
    }

    /// A `Retry-After` of `seconds` received at `now`: nothing goes out before it elapses.
    public mutating func pause(seconds: Double, now: Double) {
        pausedUntil = max(pausedUntil, now + max(0, seconds))
    }

    /// The server's own count: with nothing `remaining`, wait for its window to reset
    /// (`resetIn` seconds from now, bounded by one window so a skewed clock cannot stall us).
    public mutating func observe(remaining: Int?, resetIn: Double?, now: Double) {
        guard let remaining, remaining <= 0, let resetIn else { return }
        pause(seconds: min(max(0, resetIn), window), now: now)
    }
}

/// One `RateBudget` per connector token, shared by every concurrent pull of that token:
/// `acquire` blocks the calling thread until a request may go out and records it.
///
/// The window it enforces is the configured one plus a small margin (2 %, at least 50 ms,
/// at most 1 s): the server counts arrivals, we count sends, and a request sent exactly one
/// window after another could otherwise arrive inside the server's window.
public final class RateLimiter: Sendable {
    public let limit: Int
    /// The enforced window, margin included.
    public let window: Double
    private let budgets = Locked<[String: RateBudget]>([:])
    private let clock: @Sendable () -> Double

    /// `clock` returns monotonic seconds (injectable for tests).
    public init(limit: Int = 200, window: Double = 60, clock: (@Sendable () -> Double)? = nil) {
        self.limit = limit
        self.window = window + min(1, max(0.05, window * 0.02))
        self.clock = clock ?? { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    }

    /// Waits until `key`'s budget allows a request, records the send, and returns the seconds waited.
    @discardableResult
    public func acquire(_ key: Secret) -> Double {
        var waited = 0.0
        while true {
            let now = clock()
            let delay: Double = budgets.withLock { all in
                var budget = all[key.revealed] ?? RateBudget(limit: limit, window: window)
                let earliest = budget.earliestSend(now: now)
                if earliest <= now {
                    budget.recordSend(at: now)
                    all[key.revealed] = budget
                    return 0
                }
                return earliest - now
            }
            if delay <= 0 { return waited }
            waited += delay
            Thread.sleep(forTimeInterval: delay)
        }
    }

    /// A `Retry-After` for `key`: pauses every pull of that token.
    public func pause(_ key: Secret, seconds: Double) {
        let now = clock()
        budgets.withLock { all in
            var budget = all[key.revealed] ?? RateBudget(limit: limit, window: window)
            budget.pause(seconds: seconds, now: now)
            all[key.revealed] = budget
        }
    }

    /// Reads `X-RateLimit-Remaining` / `X-RateLimit-Reset` (Unix seconds) from an answer.
    public func observe(_ key: Secret, headers: HTTPResult) {
        guard let remaining = headers.header("X-RateLimit-Remaining").flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }),
              let reset = headers.header("X-RateLimit-Reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) })
        else { return }
        let resetIn = reset - Date().timeIntervalSince1970
        let now = clock()
        budgets.withLock { all in
            var budget = all[key.revealed] ?? RateBudget(limit: limit, window: window)
            budget.observe(remaining: remaining, resetIn: resetIn, now: now)
            all[key.revealed] = budget
        }
    }

    /// The budget of `key` as it stands (for tests and reports).
    public func budget(_ key: Secret) -> RateBudget? { budgets.withLock { $0[key.revealed] } }
}
