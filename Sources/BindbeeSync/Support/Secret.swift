import Foundation

/// An API key or connector token. Printing one (string interpolation, `print`, `dump`, a
/// log line) shows `<redacted>`; the value is reachable only through `revealed`, which
/// only the HTTP layer calls to fill request headers.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The clear value, for the one place that must send it (an HTTP header).
    public var revealed: String { value }
    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// Scrubs known secrets out of text that leaves the process (errors, logs, the ledger):
/// a server may echo a token back in an error `detail`, and that must not reach a log.
public final class Redactor: Sendable {
    private let secrets = Locked<[String]>([])

    public init(_ secrets: [Secret] = []) {
        for secret in secrets { register(secret) }
    }

    /// Adds a secret to scrub. Very short values are ignored (they would redact ordinary words).
    public func register(_ secret: Secret) {
        let value = secret.revealed
        guard value.count >= 6 else { return }
        secrets.withLock { list in
            if !list.contains(value) {
                list.append(value)
                list.sort { $0.count > $1.count }  // longest first, so a prefix never leaves a tail behind
            }
        }
    }

    /// `text` with every registered secret, and its percent-encoded form, replaced by `<redacted>`.
    public func redact(_ text: String) -> String {
        let list = secrets.withLock { $0 }
        var result = text
        for secret in list where !secret.isEmpty {
            result = result.replacingOccurrences(of: secret, with: "<redacted>")
            let encoded = QueryEncoding.encode(secret)
            if encoded != secret {
                result = result.replacingOccurrences(of: encoded, with: "<redacted>")
            }
        }
        return result
    }
}
