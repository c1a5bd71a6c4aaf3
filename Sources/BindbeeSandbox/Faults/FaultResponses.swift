/// How each decision looks on the wire: either a response that replaces the page, or an
/// `HTTPFault` the server applies while writing the page.
extension FaultDecision {
    /// The body a gateway in front of the API would send with a 502 (nginx's wording).
    static let badGatewayHTML = """
        <html>\r
        <head><title>502 Bad Gateway</title></head>\r
        <body>\r
        <center><h1>502 Bad Gateway</h1></center>\r
        </body>\r
        </html>\r

        """

    /// The response served instead of the page, or nil when the page goes out (maybe altered).
    var replacement: HTTPResponse? {
        switch self {
        case .serverError:
            return SandboxAPI.error(500, "Internal Server Error")
        case .badGateway:
            return HTTPResponse(status: 502, headers: ["Content-Type": "text/html"], body: Array(Self.badGatewayHTML.utf8))
        case .unavailable(let seconds):
            return SandboxAPI.error(503, "Service Unavailable", headers: ["Retry-After": String(seconds)])
        case .throttle(let seconds, let deadline, _):
            // The window is the limit: nothing remains until it ends.
            return SandboxAPI.error(429, "Rate limit exceeded", headers: [
                "Retry-After": String(seconds),
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": String(Int64(deadline.rounded(.up))),
            ])
        case .stall(let seconds):
            // Never written: the server holds the connection, then closes it.
            return HTTPResponse(status: 200, fault: .stall(seconds: seconds))
        case .none, .reset, .truncate, .shortPage:
            return nil
        }
    }

    /// What the server does while writing a page of `bodyLength` bytes.
    func httpFault(bodyLength: Int) -> HTTPFault {
        switch self {
        case .reset:
            return .resetAfterHeaders
        case .truncate(let fraction):
            // A strict, non-empty prefix: an object cut anywhere before its last byte does not parse.
            return .truncateBody(bytes: min(max(1, Int(Double(bodyLength) * fraction)), bodyLength - 1))
        default:
            return .none
        }
    }
}
