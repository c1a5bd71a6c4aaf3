/// One way the sandbox can misbehave on a list request. The raw values are the names the
/// CLI's `--faults` flag uses.
///
/// It exists so the worker's retry, backoff, rate-limit and resume logic can be exercised
/// against every failure Bindbee (or a proxy in front of it) can produce, not only the
/// happy path.
public enum FaultKind: String, CaseIterable, Sendable, Hashable, Comparable {
    /// `500` with `{"detail": "Internal Server Error"}`.
    case serverError = "500"
    /// `502` with an HTML body (`Content-Type: text/html`), as a gateway in front would send.
    case badGateway = "502"
    /// `503` with `Retry-After: N` (N from `FaultPlan.unavailableRetryAfter`) and a JSON detail.
    case unavailable = "503"
    /// Status line and headers with the full `Content-Length`, then a TCP reset without the body.
    case reset = "reset"
    /// `200` with a JSON body cut in the middle and a `Content-Length` equal to the cut length.
    case truncate = "truncate"
    /// No answer for `FaultPlan.stallSeconds`, then the connection closes.
    case stall = "stall"
    /// A burst of `429`: a throttle window for the token (see `FaultPlan.burstLength`).
    case throttle = "429"
    /// A page with fewer items than asked (possibly none) and a cursor right after the last one.
    case shortPage = "short"

    public static func < (a: FaultKind, b: FaultKind) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Which faults a sandbox injects, how often, and how they look: a per-kind rate and the
/// knobs of each kind. The default (`FaultPlan.none`) injects nothing.
///
/// It exists so a test or a CLI run chooses its misbehaviour up front and gets the same
/// faults on every run with the same `seed` (see `Sandbox` for how decisions are keyed).
/// Rates are probabilities per decided request; the kinds take disjoint slices of one draw,
/// so the rates must add up to at most 1.
public struct FaultPlan: Sendable, Equatable {
    /// Probability (0...1) of each kind per decided request; missing kinds are 0.
    public private(set) var rates: [FaultKind: Double]
    /// The fault seed: same seed, same requests → same faults.
    public var seed: UInt64
    /// How long a `.stall` holds the request before closing the connection.
    public var stallSeconds: Double
    /// At most this many faults in a row for one request (same credential, path, cursor
    /// position and parameters); the next attempt is served normally.
    public var maxConsecutiveFaults: Int
    /// `Retry-After` of the first `429` of a burst, in whole seconds (0 included by default).
    public var throttleRetryAfter: ClosedRange<Int>
    /// `Retry-After` of a `503`, in whole seconds.
    public var unavailableRetryAfter: ClosedRange<Int>
    /// How many `429`s a burst answers at most, the first included. The burst ends at the
    /// announced `Retry-After` even when fewer were used.
    public var burstLength: ClosedRange<Int>
    /// Also inject on `GET /api/{category}/v1/connectors` (keyed by the API key).
    public var includesConnectorsEndpoint: Bool

    /// Injects nothing.
    public static let none = FaultPlan()

    /// Every kind at once, with equal rates adding up to `rate`.
    public static func matrix(rate: Double, seed: UInt64 = 1) -> FaultPlan {
        let each = rate / Double(FaultKind.allCases.count)
        return FaultPlan(rates: Dictionary(uniqueKeysWithValues: FaultKind.allCases.map { ($0, each) }), seed: seed)
    }

    /// Each rate must be in 0...1 and their sum at most 1 (`parse` reports the same problems
    /// as errors instead).
    public init(rates: [FaultKind: Double] = [:], seed: UInt64 = 1, stallSeconds: Double = 5,
                maxConsecutiveFaults: Int = 3, throttleRetryAfter: ClosedRange<Int> = 0...3,
                unavailableRetryAfter: ClosedRange<Int> = 0...2, burstLength: ClosedRange<Int> = 1...4,
                includesConnectorsEndpoint: Bool = false) {
        if let problem = Self.problem(rates) { preconditionFailure(problem) }
        precondition(maxConsecutiveFaults >= 0 && stallSeconds >= 0, "negative fault setting")
        precondition(throttleRetryAfter.lowerBound >= 0 && unavailableRetryAfter.lowerBound >= 0 && burstLength.lowerBound >= 1,
                     "Retry-After ranges start at 0 or more, bursts at 1 or more")
        self.rates = rates.filter { $0.value > 0 }
        self.seed = seed
        self.stallSeconds = stallSeconds
        self.maxConsecutiveFaults = maxConsecutiveFaults
        self.throttleRetryAfter = throttleRetryAfter
        self.unavailableRetryAfter = unavailableRetryAfter
        self.burstLength = burstLength
        self.includesConnectorsEndpoint = includesConnectorsEndpoint
    }

    /// The rate of one kind (0 when off).
    public func rate(_ kind: FaultKind) -> Double { rates[kind] ?? 0 }

    /// True when no kind is switched on.
    public var isEmpty: Bool { rates.isEmpty }

    /// `KIND=RATE,...` as the CLI shows it, in `FaultKind` order (`none` when empty).
    public var summary: String {
        guard !isEmpty else { return "none" }
        return rates.keys.sorted().map { "\($0.rawValue)=\(rate($0))" }.joined(separator: ",")
    }

    /// The kind a draw `u` in 0..<1 selects: kinds take consecutive slices in `FaultKind` order.
    func kind(at u: Double) -> FaultKind? {
        var upper = 0.0
        for kind in FaultKind.allCases {
            upper += rate(kind)
            if u < upper { return kind }
        }
        return nil
    }

    /// Parses the CLI's `--faults` value: comma-separated `KIND=RATE` with the kinds' raw
    /// values, or `all=RATE` for `matrix(rate:)`; later entries override `all`. Other
    /// settings keep their defaults.
    public static func parse(_ text: String) throws(FaultPlanError) -> FaultPlan {
        var rates: [FaultKind: Double] = [:]
        var named = Set<String>()
        for entry in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty else {
                throw FaultPlanError("expected KIND=RATE, found \"\(entry)\"")
            }
            let name = String(parts[0])
            guard let rate = Double(parts[1]), rate.isFinite, (0...1).contains(rate) else {
                throw FaultPlanError("the rate of \(name) must be a number from 0 to 1, found \"\(parts[1])\"")
            }
            guard named.insert(name).inserted else { throw FaultPlanError("\(name) given more than once") }
            if name == "all" {
                guard rates.isEmpty else { throw FaultPlanError("all=RATE must come first") }
                rates = matrix(rate: rate).rates
            } else if let kind = FaultKind(rawValue: name) {
                rates[kind] = rate
            } else {
                let known = (["all"] + FaultKind.allCases.map(\.rawValue)).joined(separator: ", ")
                throw FaultPlanError("unknown fault kind \"\(name)\" (known: \(known))")
            }
        }
        if let problem = problem(rates) { throw FaultPlanError(problem) }
        return FaultPlan(rates: rates)
    }

    private static func problem(_ rates: [FaultKind: Double]) -> String? {
        if let bad = rates.first(where: { !$0.value.isFinite || !(0...1).contains($0.value) }) {
            return "the rate of \(bad.key.rawValue) must be from 0 to 1, found \(bad.value)"
        }
        let total = rates.values.reduce(0, +)
        return total > 1 + 1e-9 ? "the fault rates add up to \(total), more than 1" : nil
    }
}

/// Why a `--faults` value was refused; the message names the problem, the CLI adds the flag.
public struct FaultPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
