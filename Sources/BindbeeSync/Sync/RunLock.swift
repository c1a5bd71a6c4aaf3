import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One run per database: an exclusive `flock` on `<db>.lock`, holding the holder's pid and
/// start time for the message a second run prints. The kernel drops the lock when its
/// process dies (even by `kill -9`), so a stale lock file never blocks: the next run takes
/// the lock and overwrites the old holder's details.
public final class RunLock: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Who holds (or last held) the lock.
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public let pid: Int32
        public let startedAt: String
        public let host: String

        public var description: String { "pid \(pid) on \(host), started \(startedAt)" }
    }

    /// Why the lock was not taken.
    public enum Failure: Error, CustomStringConvertible {
        case held(path: String, by: Holder?)
        case cannotOpen(path: String, errno: Int32)

        public var description: String {
            switch self {
            case .held(let path, let holder):
                let who = holder.map { "\($0)" } ?? "another process"
                return "another run holds \(path) (\(who)); wait for it to finish or pass --wait"
            case .cannotOpen(let path, let code):
                return "cannot open the lock file \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    /// The lock file beside a database.
    public static func path(forDatabase database: String) -> String { database + ".lock" }

    /// Takes the lock for `database`; with `wait`, blocks until the holder finishes.
    public init(database: String, wait: Bool) throws(Failure) {
        path = Self.path(forDatabase: database)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK, wait else {
                let holder = Self.readHolder(fd)
                close(fd)
                throw .held(path: path, by: holder)
            }
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw .cannotOpen(path: path, errno: code)
                }
            }
        }
        descriptor = fd
        var host = [UInt8](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let hostName = String(decoding: host.prefix { $0 != 0 }, as: UTF8.self)
        let text = "pid=\(getpid())\nstarted=\(Timestamp.now())\nhost=\(hostName)\n"
        ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// The holder recorded in an open lock file, if it can be read.
    static func readHolder(_ fd: Int32) -> Holder? {
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        var fields: [String: String] = [:]
        for line in String(decoding: buffer[0..<count], as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let pid = fields["pid"].flatMap({ Int32($0) }) else { return nil }
        return Holder(pid: pid, startedAt: fields["started"] ?? "?", host: fields["host"] ?? "?")
    }
}
