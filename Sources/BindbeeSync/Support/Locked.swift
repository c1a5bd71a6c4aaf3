import Foundation

/// A value guarded by an `NSLock`: the project's one shared-state primitive.
///
/// Why not `Synchronization.Mutex`: on Linux it waits with raw futex calls that
/// ThreadSanitizer cannot see, so `swift test --sanitize=thread` reports every access made
/// under it as a race. `NSLock` is a pthread mutex, which TSan understands.
///
/// `@unchecked Sendable` is sound because `value` is private and only touched inside
/// `withLock`, while the lock is held.
public final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
