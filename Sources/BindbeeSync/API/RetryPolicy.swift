/// What to do after a request failed.
public enum RetryDecision: Sendable, Equatable {
    /// Send the same request again (same cursor) after this many seconds.
    case retry(after: Double)
    /// Give up: the pull fails with this reason.
    case giveUp(reason: String)
}

/// When and how often a failed request is retried: exponential backoff with full jitter, and
/// `Retry-After` honored exactly. A pure function of its inputs, so every rule is tested
/// without a network.
///
/// Retried, on the same cursor: 429, every 5xx, timeouts and connection errors, and 2xx bodies
/// that are not a valid page. Never retried: any other 4xx (400, 401, 403, 404, 422): the
/// request or the credentials are wrong and would be refused again.
///
/// Without `Retry-After` the delay is drawn uniformly from `0 ..< ceiling(attempt)` ("full
/// jitter"), where `ceiling(n) = min(maxDelay, baseDelay * 2^(n-1))`. With the defaults
/// (`baseDelay` 0.5 s, `maxDelay` 30 s, `maxAttempts` 8):
///
/// | failed attempt | ceiling | delay drawn from |
/// | --- | --- | --- |
/// | 1 | 0.5 s | 0 ..< 0.5 s |
/// | 2 | 1 s | 0 ..< 1 s |
/// | 3 | 2 s | 0 ..< 2 s |
/// | 4 | 4 s | 0 ..< 4 s |
/// | 5 | 8 s | 0 ..< 8 s |
/// | 6 | 16 s | 0 ..< 16 s |
/// | 7 | 30 s | 0 ..< 30 s |
/// | 8 | give up | |
///
/// With `Retry-After: N` the delay is exactly N seconds (0 means at once), and throttling
/// (429, or 503 with `Retry-After`) does not use up attempts: a long throttle is waited out
/// until the total time spent waiting would pass `maxTotalWait`, never cut short by a hidden cap.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelay: Double
    public var maxDelay: Double
    /// Attempts at one request (the first included) for failures that are not throttling.
    public var maxAttempts: Int
    /// Total seconds one request may spend waiting between its attempts.
    public var maxTotalWait: Double

    public init(baseDelay: Double = 0.5, maxDelay: Double = 30, maxAttempts: Int = 8, maxTotalWait: Double = 900) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
        self.maxTotalWait = maxTotalWait
    }

    /// The upper bound of the jittered delay after failed attempt `attempt` (1-based).
    public func ceiling(attempt: Int) -> Double {
        let exponent = Double(max(0, min(attempt - 1, 60)))
        return min(maxDelay, baseDelay * pow2(exponent))
    }

    /// Decides about a failure.
    /// - Parameters:
    ///   - error: the failure of attempt `history.attempts`.
    ///   - history: what happened to this request so far, this failure included.
    ///   - jitter: a random number in `0 ..< 1` (injected so the function stays pure).
    public func decide(_ error: APIError, history: AttemptHistory, jitter: Double) -> RetryDecision {
        let delay: Double
        switch classify(error) {
        case .permanent:
            return .giveUp(reason: "not retried")
        case .throttled(let retryAfter):
            delay = retryAfter.map { Double(max(0, $0)) } ?? ceiling(attempt: history.attempts) * jitter
        case .transient(let retryAfter):
            guard history.failures < maxAttempts else { return .giveUp(reason: "gave up after \(history.failures) attempts") }
            delay = retryAfter.map { Double(max(0, $0)) } ?? ceiling(attempt: history.failures) * jitter
        }
        guard history.waited + delay <= maxTotalWait else {
            return .giveUp(reason: "gave up: waiting \(Int(delay.rounded(.up))) s more would pass the \(Int(maxTotalWait)) s retry budget")
        }
        return .retry(after: delay)
    }

    /// One request's attempts so far.
    public struct AttemptHistory: Sendable, Equatable {
        /// Attempts made, throttled ones included.
        public var attempts = 0
        /// Attempts that failed for reasons other than throttling.
        public var failures = 0
        /// Seconds spent waiting between attempts.
        public var waited = 0.0

        public init(attempts: Int = 0, failures: Int = 0, waited: Double = 0) {
            self.attempts = attempts
            self.failures = failures
            self.waited = waited
        }
    }

    /// How a failure is treated.
    public enum Kind: Equatable, Sendable {
        /// Rate limited: wait as told, without using up attempts.
        case throttled(retryAfter: Int?)
        /// Worth another attempt.
        case transient(retryAfter: Int?)
        /// Would fail again.
        case permanent
    }

    public func classify(_ error: APIError) -> Kind {
        switch error {
        case .http(let status, _, _, let retryAfter):
            if status == 429 { return .throttled(retryAfter: retryAfter) }
            if status == 503, let retryAfter { return .throttled(retryAfter: retryAfter) }
            if (500...599).contains(status) { return .transient(retryAfter: retryAfter) }
            return .permanent
        case .transport, .invalidPage:
            return .transient(retryAfter: nil)
        case .repeatedCursor, .tooManyPages, .gaveUp:
            return .permanent
        }
    }

    private func pow2(_ exponent: Double) -> Double {
        var result = 1.0
        for _ in 0..<Int(exponent) { result *= 2 }
        return result
    }
}
