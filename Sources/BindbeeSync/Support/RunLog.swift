import Foundation

/// Structured log lines (logfmt: `time=… level=info connector=… model=… msg="…"`), written
/// whole from any thread, every line passed through the redactor first.
public final class RunLog: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug, info, warning, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var name: String { ["debug", "info", "warn", "error"][rawValue] }
    }

    /// logfmt for people, JSON lines for log pipelines.
    public enum Format: String, Sendable {
        case logfmt, json
    }

    private let redactor: Redactor
    private let minimum: Level
    private let format: Format
    private let sink: @Sendable (String) -> Void
    /// Serializes writes so lines never interleave. (A plain NSLock: `Locked<Void>` would put
    /// a zero-sized value at the lock's own address, which ThreadSanitizer reports as a race.)
    private let lock = NSLock()

    /// `sink` receives each finished line (with its newline); the default writes to stderr.
    public init(redactor: Redactor, minimum: Level = .info, format: Format = .logfmt, sink: (@Sendable (String) -> Void)? = nil) {
        self.redactor = redactor
        self.minimum = minimum
        self.format = format
        self.sink = sink ?? { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    public func log(_ level: Level, _ message: String, _ fields: [(String, String)] = []) {
        guard level >= minimum else { return }
        var line: String
        switch format {
        case .logfmt:
            line = "time=\(Timestamp.now()) level=\(level.name)"
            for (key, value) in fields { line += " \(key)=\(Self.quoted(value))" }
            line += " msg=\(Self.quoted(message))\n"
        case .json:
            var object = JSONObject([("time", .string(Timestamp.now())), ("level", .string(level.name)), ("msg", .string(message))])
            for (key, value) in fields { object[key] = .string(value) }
            line = JSONValue.object(object).serialized + "\n"
        }
        let safe = redactor.redact(line)
        lock.lock()
        defer { lock.unlock() }
        sink(safe)
    }

    /// True when lines of `level` are written: lets a hot path skip building a debug line.
    public func enables(_ level: Level) -> Bool { level >= minimum }

    public func debug(_ message: String, _ fields: [(String, String)] = []) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: [(String, String)] = []) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, String)] = []) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [(String, String)] = []) { log(.error, message, fields) }

    /// logfmt quoting: bare when safe, otherwise in quotes with `"` and `\` escaped.
    static func quoted(_ value: String) -> String {
        let safe = !value.isEmpty && value.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7F }
        if safe { return value }
        return "\"" + backslashEscaped(value) + "\""
    }
}

/// `\`, `"` and newline escaped with a backslash: the quoting shared by logfmt values and
/// Prometheus label values.
func backslashEscaped(_ value: String) -> String {
    var out = ""
    for scalar in value.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
