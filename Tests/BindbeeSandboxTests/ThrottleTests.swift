import BindbeeSandbox
import BindbeeSync
import Testing

/// 429 bursts as real throttle windows with an honest `Retry-After`, and the early-request
/// counter that proves a client waited as told. Time is a `ManualClock`.
@Suite("Fault injection: throttling and early requests")
struct ThrottleTests {
    let token = SandboxConnector.acmeHRIS.token
    let hris = ModelCatalog.shared.models(in: .hris)

    @Test("a burst answers the token's next requests with the remaining wait, up to its length, until its deadline")
    func burstIsAThrottleWindow() throws {
        let clock = ManualClock(unixSeconds: 1_800_000_000)
        let plan = FaultPlan(rates: [.throttle: 1], throttleRetryAfter: 2...2, burstLength: 3...3)
        let sandbox = try startSandbox(faults: plan, clock: clock.clock)
        defer { sandbox.stop() }
        let client = try SandboxClient(sandbox)
        func get(_ list: Int, token: String? = nil) throws -> RawResponse {
            try client.get(hris[list].path, token: token ?? self.token)
        }
        let first = try get(0)
        #expect(first.status == 429 && first.headers["Retry-After"] == "2")
        clock.advance(by: 0.1)
        let inFlight = try get(1)  // another list of the same token: caught by the window
        #expect(inFlight.status == 429 && inFlight.headers["Retry-After"] == "2")
        #expect(inFlight.headers["X-RateLimit-Reset"] == "1800000002")
        clock.advance(by: 1.4)
        let late = try get(2)
        #expect(late.status == 429 && late.headers["Retry-After"] == "1", "the wait left, rounded up")
        // Another token is not throttled by this burst: its own first request starts its own.
        #expect(try get(3, token: SandboxConnector.umbrellaHRIS.token).headers["Retry-After"] == "2")
        #expect(sandbox.apiCounters.throttleBursts == 2)

        // Three 429s used the burst up: inside the window the next request is decided afresh
        // (at rate 1 that starts a new burst of its own, announcing a full wait again).
        let afterBurst = try get(4)
        #expect(afterBurst.status == 429 && afterBurst.headers["Retry-After"] == "2")
        #expect(sandbox.apiCounters.throttleBursts == 3)
        // At the announced time, that window is over: a request is decided afresh, not caught.
        clock.advance(by: 2)
        let atDeadline = try get(5)
        #expect(atDeadline.headers["Retry-After"] == "2")
        #expect(sandbox.apiCounters.throttleBursts == 4)
        #expect(sandbox.apiCounters.faultsInjected[.throttle] == 6)
        #expect(sandbox.apiCounters.rateLimitedByKey[token] == 5)
    }

    @Test("Retry-After is honest: a client waiting exactly as told is never caught by a window, and is never early")
    func honestRetryAfter() throws {
        let clock = ManualClock()
        let plan = FaultPlan(rates: [.throttle: 0.4, .unavailable: 0.1], seed: 9, throttleRetryAfter: 0...3,
                             unavailableRetryAfter: 1...2, burstLength: 2...4)
        let sandbox = try startSandbox(faults: plan, clock: clock.clock)
        defer { sandbox.stop() }
        let walker = try FaultWalker(sandbox)
        walker.wait = { clock.advance(by: Double($0)) }
        var retryAfters: [Int] = []
        for list in hris.prefix(8) {
            let walk = try walker.walk(token: token, path: list.path, pageSize: 10)
            #expect(walk.maxFaultsInARow <= 3)
            retryAfters += walk.retryAfters
        }
        let counters = sandbox.apiCounters
        #expect(counters.throttleBursts > 10)
        #expect(counters.faultsInjected[.throttle] == counters.throttleBursts, "a window outlived its Retry-After")
        #expect(counters.earlyRequests == 0)
        #expect(Set(retryAfters).isSuperset(of: [0, 1, 2, 3]))
    }

    @Test("early requests: counted inside a pending Retry-After (429 or 503), not within the grace, not after")
    func earlyRequestCounter() throws {
        // The rate limit's own 429: limit 2 per 60 s.
        let clock = ManualClock(unixSeconds: 1_800_000_000)
        let limited = try startSandbox(rateLimit: 2, clock: clock.clock)
        defer { limited.stop() }
        let client = try SandboxClient(limited)
        let employees = spec(.hris, "employees").path
        #expect(try client.get(employees, token: token).status == 200)
        #expect(try client.get(employees, token: token).status == 200)
        #expect(try client.get(employees, token: token).headers["Retry-After"] == "60")
        clock.advance(by: 0.2)  // in flight when the 429 went out: not the client's fault
        #expect(try client.get(employees, token: token).status == 429)
        #expect(limited.apiCounters.earlyRequests == 0)
        clock.advance(by: 10)  // sent while told to wait
        #expect(try client.get(employees, token: token).status == 429)
        #expect(limited.apiCounters.earlyRequestsByKey == [token: 1])
        // The 429 at +10.2 s announced 50 s more; from +60.2 s on nothing is pending.
        clock.advance(by: 50)
        #expect(try client.get(employees, token: token).status == 200)
        #expect(try client.get(hris[1].path, token: SandboxConnector.umbrellaHRIS.token).status == 200)
        #expect(limited.apiCounters.earlyRequestsByKey == [token: 1])

        // An injected 503's Retry-After counts the same way.
        let faulty = try startSandbox(faults: FaultPlan(rates: [.unavailable: 1], unavailableRetryAfter: 2...2),
                                      clock: clock.clock)
        defer { faulty.stop() }
        let other = try SandboxClient(faulty)
        #expect(try other.get(employees, token: token).headers["Retry-After"] == "2")
        clock.advance(by: 1)
        _ = try other.get(employees, token: token)
        #expect(faulty.apiCounters.earlyRequestsByKey == [token: 1])
        clock.advance(by: 2)  // past both announcements
        _ = try other.get(employees, token: token)
        #expect(faulty.apiCounters.earlyRequestsByKey == [token: 1])
    }
}
