import Testing
@testable import BindbeeSync

/// The retry policy is a pure function: every rule is checked here without a network.
@Suite struct RetryPolicyTests {
    let policy = RetryPolicy()  // base 0.5 s, cap 30 s, 8 attempts, 900 s budget
    let label = RequestLabel(path: "/api/hris/v1/employees", connector: "acme", page: 3)

    func http(_ status: Int, retryAfter: Int? = nil) -> APIError {
        .http(status: status, detail: "x", request: label, retryAfter: retryAfter)
    }

    @Test func backoffCeilingsDoubleUpToTheCap() {
        let ceilings = (1...8).map { policy.ceiling(attempt: $0) }
        #expect(ceilings == [0.5, 1, 2, 4, 8, 16, 30, 30])
    }

    @Test func fullJitterDrawsBelowTheCeiling() {
        let history = RetryPolicy.AttemptHistory(attempts: 3, failures: 3, waited: 0)
        #expect(policy.decide(http(502), history: history, jitter: 0) == .retry(after: 0))
        #expect(policy.decide(http(502), history: history, jitter: 0.5) == .retry(after: 1))
        #expect(policy.decide(http(502), history: history, jitter: 0.999) == .retry(after: 2 * 0.999))
    }

    @Test func retryAfterIsHonoredExactly() {
        let history = RetryPolicy.AttemptHistory(attempts: 1, failures: 0, waited: 0)
        #expect(policy.decide(http(429, retryAfter: 0), history: history, jitter: 0.9) == .retry(after: 0))
        #expect(policy.decide(http(429, retryAfter: 7), history: history, jitter: 0.1) == .retry(after: 7))
        #expect(policy.decide(http(503, retryAfter: 3), history: RetryPolicy.AttemptHistory(attempts: 1, failures: 1, waited: 0), jitter: 0.1) == .retry(after: 3))
    }

    @Test(arguments: [500, 502, 503, 504, 429])
    func serverErrorsAndThrottlingAreRetried(_ status: Int) {
        if case .giveUp = policy.decide(http(status), history: .init(attempts: 1, failures: 1, waited: 0), jitter: 0.5) {
            Issue.record("\(status) was not retried")
        }
    }

    @Test(arguments: [400, 401, 403, 404, 405, 409, 410, 422])
    func clientErrorsAreNeverRetried(_ status: Int) {
        #expect(policy.decide(http(status), history: .init(attempts: 1, failures: 1, waited: 0), jitter: 0.5) == .giveUp(reason: "not retried"))
    }

    @Test func timeoutsConnectionErrorsAndBadBodiesAreRetried() {
        let errors: [APIError] = [
            .transport(TransportError(message: "timed out", isTimeout: true), request: label),
            .transport(TransportError(message: "the connection was lost", isTimeout: false), request: label),
            .invalidPage("invalid JSON at byte 12", request: label),
        ]
        for error in errors {
            #expect(policy.classify(error) == .transient(retryAfter: nil))
        }
        #expect(policy.classify(.repeatedCursor(request: label)) == .permanent)
    }

    @Test func transientFailuresGiveUpAfterMaxAttempts() {
        #expect(policy.decide(http(500), history: .init(attempts: 7, failures: 7, waited: 0), jitter: 0.5) == .retry(after: 15))
        #expect(policy.decide(http(500), history: .init(attempts: 8, failures: 8, waited: 0), jitter: 0.5) == .giveUp(reason: "gave up after 8 attempts"))
    }

    @Test func throttlingDoesNotUseUpAttemptsButTheWaitBudgetBoundsIt() {
        // Forty 429s in a row are still waited out...
        #expect(policy.decide(http(429, retryAfter: 5), history: .init(attempts: 40, failures: 0, waited: 195), jitter: 0) == .retry(after: 5))
        // ...until the total wait would pass the budget.
        guard case .giveUp(let reason) = policy.decide(http(429, retryAfter: 60), history: .init(attempts: 41, failures: 0, waited: 850), jitter: 0) else {
            Issue.record("a throttle past the budget was retried")
            return
        }
        #expect(reason.contains("900 s retry budget"))
    }
}

/// The rate budget is a pure value over caller-supplied times.
@Suite struct RateBudgetTests {
    @Test func allowsLimitRequestsPerWindowThenWaitsForTheOldest() {
        var budget = RateBudget(limit: 3, window: 60)
        for t in [0.0, 1, 2] {
            #expect(budget.earliestSend(now: t) == t)
            budget.recordSend(at: t)
        }
        #expect(budget.earliestSend(now: 3) == 60)    // the send at 0 leaves the window at 60
        budget.recordSend(at: 60)
        #expect(budget.earliestSend(now: 60) == 61)   // then the one at 1
        #expect(budget.sends == [1, 2, 60])
    }

    @Test func retryAfterPausesRegardlessOfTheWindow() {
        var budget = RateBudget(limit: 200, window: 60)
        budget.pause(seconds: 7, now: 10)
        #expect(budget.earliestSend(now: 10) == 17)
        #expect(budget.earliestSend(now: 20) == 20)
        budget.pause(seconds: 0, now: 30)  // Retry-After: 0 means now
        #expect(budget.earliestSend(now: 30) == 30)
        var other = RateBudget(limit: 200, window: 60)
        other.pause(seconds: 7, now: 10)
        other.pause(seconds: 2, now: 11)  // a later, shorter pause never shortens a longer one
        #expect(other.earliestSend(now: 12) == 17)
    }

    @Test func anExhaustedServerBudgetPausesUntilItsReset() {
        var budget = RateBudget(limit: 200, window: 60)
        budget.observe(remaining: 5, resetIn: 30, now: 0)
        #expect(budget.earliestSend(now: 0) == 0)
        budget.observe(remaining: 0, resetIn: 12, now: 0)
        #expect(budget.earliestSend(now: 0) == 12)
        budget.observe(remaining: 0, resetIn: 5_000, now: 100)  // a skewed reset is bounded by one window
        #expect(budget.earliestSend(now: 100) == 160)
    }

    @Test func theLimiterIsSharedPerTokenAndBlocksUntilTheBudgetAllows() {
        let clock = Locked(0.0)
        let limiter = RateLimiter(limit: 2, window: 10, clock: { clock.withLock { $0 } })
        let a = Secret("token-aaaaaa"), b = Secret("token-bbbbbb")
        #expect(limiter.acquire(a) == 0)
        #expect(limiter.acquire(a) == 0)
        #expect(limiter.acquire(b) == 0)  // another token has its own budget
        #expect(limiter.budget(a)?.earliestSend(now: 0) == 10.2)  // the window plus its 2 % margin
        limiter.pause(b, seconds: 3)
        #expect(limiter.budget(b)?.earliestSend(now: 0) == 3)
    }
}
