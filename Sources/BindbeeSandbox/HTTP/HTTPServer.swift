import BindbeeSync
import Dispatch
import Glibc

/// What a server has done so far, for tests and the demo's summary.
public struct HTTPServerCounters: Sendable, Equatable {
    /// TCP connections accepted since start.
    public var connectionsAccepted = 0
    /// Connections currently open.
    public var openConnections = 0
    /// Requests whose handler has returned (counted before the response is written, so a
    /// client that has read a response always sees it counted).
    public var requestsServed = 0
    /// Requests whose handler is running right now.
    public var inFlightRequests = 0
    /// The highest `inFlightRequests` seen.
    public var maxInFlightRequests = 0
}

/// A socket call failed while starting the server.
public struct HTTPServerError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public var description: String { "\(operation) failed: \(String(cString: strerror(code))) (errno \(code))" }
}

/// A small HTTP/1.1 server on 127.0.0.1, built on POSIX sockets, so the sandbox (and any test
/// that needs a scripted peer) speaks real HTTP over real TCP without a third-party package.
///
/// One thread accepts; each connection is served on its own serial Dispatch queue with
/// blocking reads and one read buffer (pipelined requests wait in it). Connections are
/// keep-alive unless the client says `Connection: close` or speaks HTTP/1.0 without
/// `keep-alive`. A response's `HTTPFault` is applied where the response is written. The
/// server starts listening in `init`; `stop()` shuts everything down (stalls included).
/// Do not call `stop()` from inside a handler: it waits for the handler's connection.
public final class HTTPServer: Sendable {
    /// Listening and per-connection limits.
    public struct Configuration: Sendable {
        /// 0 asks the kernel for a free port; read the result from `HTTPServer.port`.
        public var port: UInt16
        /// A connection with no complete request for this long is closed (SO_RCVTIMEO).
        public var idleTimeout: Double
        /// Request line plus header fields; longer heads get 431 and the connection closes.
        public var maxHeaderBytes: Int
        /// Larger request bodies get 413 and the connection closes.
        public var maxBodyBytes: Int

        public init(port: UInt16 = 0, idleTimeout: Double = 30, maxHeaderBytes: Int = 64 * 1024,
                    maxBodyBytes: Int = 1 << 20) {
            self.port = port
            self.idleTimeout = idleTimeout
            self.maxHeaderBytes = maxHeaderBytes
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// Turns a request into a response. Called concurrently from several connections.
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    /// The port the server listens on (the kernel's choice when configured with 0).
    public let port: UInt16
    public let configuration: Configuration
    private let handler: Handler
    private let listenFD: Int32
    private let state = Locked(State())
    /// Entered by the accept loop and by every connection; `stop()` waits for it to drain.
    private let running = DispatchGroup()

    private struct State {
        var stopping = false
        var nextConnectionID = 0
        /// Open connections by id. A connection removes itself under the lock before it closes
        /// its descriptor, so `stop()` never shuts down a descriptor number that was reused.
        var connections: [Int: Int32] = [:]
        var counters = HTTPServerCounters()
    }

    public init(configuration: Configuration = Configuration(), handler: @escaping Handler) throws(HTTPServerError) {
        self.configuration = configuration
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError(operation: "socket", code: errno) }
        do throws(HTTPServerError) {
            var one: Int32 = 1
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw HTTPServerError(operation: "setsockopt(SO_REUSEADDR)", code: errno)
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = configuration.port.bigEndian
            address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)  // 127.0.0.1 only
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard bound == 0 else { throw HTTPServerError(operation: "bind(127.0.0.1:\(configuration.port))", code: errno) }
            guard listen(fd, 128) == 0 else { throw HTTPServerError(operation: "listen", code: errno) }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard named == 0 else { throw HTTPServerError(operation: "getsockname", code: errno) }
            self.port = UInt16(bigEndian: address.sin_port)
        } catch {
            close(fd)
            throw error
        }
        self.listenFD = fd
        running.enter()
        DispatchQueue(label: "bindbee-sandbox.http.accept.\(port)").async { [self] in
            acceptLoop()
            running.leave()
        }
    }

    /// A snapshot of the counters.
    public var counters: HTTPServerCounters {
        state.withLock { $0.counters }
    }

    /// Stops listening, shuts down every open connection (in-flight handlers finish, their
    /// responses may be lost) and waits until all of them are closed. Idempotent.
    public func stop() {
        state.withLock { s in
            guard !s.stopping else { return }
            s.stopping = true
            // shutdown() wakes the blocking accept() and recv() calls; each owner then close()s.
            shutdown(listenFD, Int32(SHUT_RDWR))
            for fd in s.connections.values { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        running.wait()
    }

    // MARK: - Accepting

    private func acceptLoop() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                let code = errno
                if state.withLock({ $0.stopping }) { break }
                if code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM {
                    usleep(10_000)  // out of descriptors: let connections close, then retry
                }
                continue  // EINTR, ECONNABORTED, ...
            }
            let id: Int? = state.withLock { s in
                guard !s.stopping else { return nil }
                let id = s.nextConnectionID
                s.nextConnectionID += 1
                s.connections[id] = fd
                s.counters.connectionsAccepted += 1
                s.counters.openConnections += 1
                return id
            }
            guard let id else {
                close(fd)
                break
            }
            configureConnection(fd)
            running.enter()
            DispatchQueue(label: "bindbee-sandbox.http.connection.\(id)").async { [self] in
                serve(fd)
                state.withLock { s in
                    s.connections[id] = nil
                    s.counters.openConnections -= 1
                }
                close(fd)
                running.leave()
            }
        }
        close(listenFD)
    }

    private func configureConnection(_ fd: Int32) {
        // Not inherited by processes the tests spawn (accept4 is not exported by Glibc's module).
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let seconds = max(configuration.idleTimeout, 0.001)
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    // MARK: - Serving one connection

    /// Reads requests off one connection until it closes, times out or asks to close.
    private func serve(_ fd: Int32) {
        let parser = HTTPRequestParser(maxHeaderBytes: configuration.maxHeaderBytes,
                                       maxBodyBytes: configuration.maxBodyBytes)
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            switch parser.parse(buffer) {
            case .needMore:
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    buffer.append(contentsOf: chunk[0..<n])
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    return  // peer closed, idle timeout (EAGAIN), or shut down by stop()
                }
            case .failure(let status, let reason):
                _ = write(.text(status, reason + "\n"), to: fd, keepAlive: false, headOnly: false)
                return
            case .request(let request, let consumed):
                buffer.removeFirst(consumed)
                state.withLock { s in
                    s.counters.inFlightRequests += 1
                    s.counters.maxInFlightRequests = max(s.counters.maxInFlightRequests, s.counters.inFlightRequests)
                }
                let response = handler(request)
                let stopping = state.withLock { s in
                    s.counters.inFlightRequests -= 1
                    s.counters.requestsServed += 1
                    return s.stopping
                }
                let keepAlive = request.wantsKeepAlive && !stopping
                let written = write(response, to: fd, keepAlive: keepAlive, headOnly: request.method == "HEAD",
                                    http10: request.version == "HTTP/1.0")
                if !written || !keepAlive { return }
            }
        }
    }

    /// Writes a response, applying its fault; false when the peer is gone or the fault says
    /// to drop the connection.
    private func write(_ response: HTTPResponse, to fd: Int32, keepAlive: Bool, headOnly: Bool,
                       http10: Bool = false) -> Bool {
        var body = response.body[...]
        if case .truncateBody(let bytes) = response.fault { body = body.prefix(max(0, bytes)) }
        var head = "HTTP/1.1 \(response.status) \(HTTPResponse.reasonPhrase(response.status))\r\n"
        for (name, value) in response.headers
        where !HTTPHeaders.sameName(name, "Content-Length") && !HTTPHeaders.sameName(name, "Connection") {
            head += "\(name): \(value)\r\n"
        }
        head += "Content-Length: \(body.count)\r\n"
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if http10 {
            head += "Connection: keep-alive\r\n"
        }
        head += "\r\n"
        switch response.fault {
        case .none, .truncateBody:
            var bytes = Array(head.utf8)
            if !headOnly { bytes += body }
            return sendAll(fd, bytes[...])
        case .resetAfterHeaders:
            if sendAll(fd, Array(head.utf8)[...]) {
                // Linger 0: the close() that follows sends RST and drops anything unsent.
                var option = linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
            }
            return false
        case .stall(let seconds):
            hold(fd, seconds: seconds)
            return false
        }
    }

    /// Waits up to `seconds` without answering; returns early when the peer closes its side or
    /// `stop()` shuts the connection down (both wake `poll`, so a stall never delays a stop).
    private func hold(_ fd: Int32, seconds: Double) {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, seconds) * 1e9)
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { return }
            let milliseconds = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
            // POLLRDHUP (0x2000, Linux; Glibc's module leaves it out): the peer closed its side.
            // POLLHUP/POLLERR, always reported: shut down by stop(), or reset.
            var entry = pollfd(fd: fd, events: 0x2000, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 || (ready < 0 && errno != EINTR) { return }
        }
    }

    /// `send` in a loop (MSG_NOSIGNAL: a closed peer is an error, not a SIGPIPE).
    private func sendAll(_ fd: Int32, _ bytes: ArraySlice<UInt8>) -> Bool {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + (offset - bytes.startIndex), bytes.endIndex - offset, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }
}
