import BindbeeSync
import Foundation

/// Where the rate limiter reads the time: Unix seconds. Injectable so tests can move time
/// forward instead of sleeping through a 60-second window.
public typealias SandboxClock = @Sendable () -> Double

/// The wall clock.
public let systemClock: SandboxClock = { Date().timeIntervalSince1970 }

/// A clock that only moves when told to, for tests of the rate limiter.
public final class ManualClock: Sendable {
    private let seconds: Locked<Double>

    public init(unixSeconds: Double = 1_796_083_200) {  // 2026-12-01T00:00:00Z
        seconds = Locked(unixSeconds)
    }

    public var now: Double { seconds.withLock { $0 } }

    public func advance(by delta: Double) {
        seconds.withLock { $0 += delta }
    }

    /// This clock as a `SandboxClock`.
    public var clock: SandboxClock { { [self] in now } }
}

/// Bindbee's documented limit (200 requests per minute per connector token) as a fixed
/// window: the first request after a window ends opens a new one of `windowSeconds`.
final class RateLimiter: Sendable {
    struct Decision {
        let allowed: Bool
        let limit: Int
        let remaining: Int
        /// Unix seconds when the window ends (rounded up).
        let reset: Int64
        /// Whole seconds until the window ends, at least 1 (for `Retry-After`).
        let retryAfter: Int64

        /// The `X-RateLimit-*` headers (and `Retry-After` on a refusal).
        var headers: HTTPHeaders {
            var h: HTTPHeaders = [
                "X-RateLimit-Limit": String(limit),
                "X-RateLimit-Remaining": String(remaining),
                "X-RateLimit-Reset": String(reset),
            ]
            if !allowed { h.add("Retry-After", String(retryAfter)) }
            return h
        }
    }

    let limit: Int
    let windowSeconds: Double
    private let clock: SandboxClock
    private let windows = Locked<[String: (start: Double, count: Int)]>([:])

    init(limit: Int, windowSeconds: Double, clock: @escaping SandboxClock) {
        self.limit = limit
        self.windowSeconds = windowSeconds
        self.clock = clock
    }

    /// Counts one request against `key`, unless the window is full.
    func admit(_ key: String) -> Decision {
        let now = clock()
        return windows.withLock { windows in
            var window = windows[key] ?? (start: now, count: 0)
            if now >= window.start + windowSeconds || now < window.start { window = (start: now, count: 0) }
            let allowed = window.count < limit
            if allowed { window.count += 1 }
            windows[key] = window
            let end = window.start + windowSeconds
            return Decision(allowed: allowed, limit: limit, remaining: max(0, limit - window.count),
                            reset: Int64(end.rounded(.up)), retryAfter: max(1, Int64((end - now).rounded(.up))))
        }
    }
}
