import BindbeeSync

/// Identifies "the same request" for fault decisions: who asks (connector token or API key),
/// which list, where in it (the cursor's position, not its text, so a page re-asked with a
/// fresh cursor for the same position counts as the same request), and every other query
/// parameter in a canonical order.
struct FaultRequestKey: Hashable {
    let credential: String
    let path: String
    let position: String
    let parameters: String

    init(credential: String, path: String, position: String, request: HTTPRequest) {
        self.credential = credential
        self.path = path
        self.position = position
        self.parameters = request.queryItems.filter { $0.name != "cursor" }
            .map { "\($0.name)=\($0.value)" }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            .joined(separator: "&")
    }
}

/// What to do to a response that would otherwise be a normal `200` page.
enum FaultDecision: Equatable {
    case none
    case serverError
    case badGateway
    case unavailable(retryAfter: Int)
    /// `retryAfter` is the wait until the window ends; `burstStart` tells the first 429 of a
    /// burst from one caught inside its window.
    case throttle(retryAfter: Int, deadline: Double, burstStart: Bool)
    case reset
    /// Keep this fraction (0.1..<0.9) of the body.
    case truncate(fraction: Double)
    case stall(seconds: Double)
    /// Serve the first `items` of the page; `variant` (≥ 1) makes a zero-item page's cursor
    /// text differ from every earlier one for the same position.
    case shortPage(items: Int, variant: Int)

    var kind: FaultKind? {
        switch self {
        case .none: return nil
        case .serverError: return .serverError
        case .badGateway: return .badGateway
        case .unavailable: return .unavailable
        case .throttle: return .throttle
        case .reset: return .reset
        case .truncate: return .truncate
        case .stall: return .stall
        case .shortPage: return .shortPage
        }
    }
}

/// Decides, per request, whether and how to misbehave, following a `FaultPlan`.
///
/// A decision is drawn from a `KeyedRandom` stream keyed by (fault seed, credential, path,
/// cursor position, parameters, attempt), where attempt counts earlier decisions for the same
/// `FaultRequestKey`; so the same per-request sequence gets the same faults however requests
/// of different pages interleave. Two things override the draw: after
/// `maxConsecutiveFaults` faults in a row the request is served normally (progress
/// guarantee), and a request of a token inside one of its throttle windows gets a 429 with
/// the remaining wait while the burst has 429s left. Those depend on arrival times, so they
/// use no attempt number; they do count toward the streak, so the bound holds for them too.
final class FaultInjector: Sendable {
    let plan: FaultPlan
    private let state = Locked(State())

    private struct State {
        var requests: [FaultRequestKey: RequestState] = [:]
        /// Open throttle windows by credential.
        var windows: [String: ThrottleWindow] = [:]
    }

    private struct RequestState {
        var attempts = 0
        var consecutiveFaults = 0
    }

    private struct ThrottleWindow {
        var deadline: Double
        /// 429s the burst may still answer.
        var remaining: Int
    }

    init(plan: FaultPlan) {
        self.plan = plan
    }

    /// The decision for `key` arriving at `now`, for a page that would hold `itemsInPage` items.
    func decide(_ key: FaultRequestKey, itemsInPage: Int, now: Double) -> FaultDecision {
        state.withLock { s in
            var request = s.requests[key] ?? RequestState()
            defer { s.requests[key] = request }
            if request.consecutiveFaults >= plan.maxConsecutiveFaults {
                request.attempts += 1
                request.consecutiveFaults = 0
                return .none
            }
            if var window = s.windows[key.credential], now < window.deadline, window.remaining > 0 {
                window.remaining -= 1
                s.windows[key.credential] = window
                request.consecutiveFaults += 1
                return .throttle(retryAfter: Int((window.deadline - now).rounded(.up)), deadline: window.deadline,
                                 burstStart: false)
            }
            var random = KeyedRandom(seed: plan.seed, "fault", key.credential, key.path, key.position, key.parameters,
                                     String(request.attempts))
            let decision = draw(&random, itemsInPage: itemsInPage, now: now, variant: request.attempts + 1)
            request.attempts += 1
            if case .throttle(_, let deadline, _) = decision {
                s.windows[key.credential] = ThrottleWindow(deadline: deadline,
                                                           remaining: random.int(in: plan.burstLength) - 1)
            }
            request.consecutiveFaults = decision == .none ? 0 : request.consecutiveFaults + 1
            return decision
        }
    }

    private func draw(_ random: inout KeyedRandom, itemsInPage: Int, now: Double, variant: Int) -> FaultDecision {
        switch plan.kind(at: random.unit()) {
        case nil: return .none
        case .serverError: return .serverError
        case .badGateway: return .badGateway
        case .unavailable: return .unavailable(retryAfter: random.int(in: plan.unavailableRetryAfter))
        case .throttle:
            let seconds = random.int(in: plan.throttleRetryAfter)
            return .throttle(retryAfter: seconds, deadline: now + Double(seconds), burstStart: true)
        case .reset: return .reset
        case .truncate: return .truncate(fraction: 0.1 + 0.8 * random.unit())
        case .stall: return .stall(seconds: plan.stallSeconds)
        case .shortPage:
            // A short page takes a strict prefix of the normal page, so an empty page cannot be shortened.
            return itemsInPage > 0 ? .shortPage(items: random.below(itemsInPage), variant: variant) : .none
        }
    }
}
