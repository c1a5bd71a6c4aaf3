import BindbeeSandbox
import BindbeeSync
import Foundation

/// The demo dataset, generated once and shared: it is an immutable value, and each test still
/// starts its own `Sandbox` (own port, counters and rate limits) on top of it.
let demoDataset = SandboxDataset()

/// A sandbox over the shared demo dataset with a generous rate limit unless told otherwise.
func startSandbox(rateLimit: Int = 100_000, clock: @escaping SandboxClock = systemClock,
                  dataset: SandboxDataset = demoDataset) throws -> Sandbox {
    try Sandbox(dataset: dataset, options: Sandbox.Options(rateLimit: rateLimit, clock: clock))
}

extension SandboxDataset {
    /// The demo connector of a category (the first one listed).
    func firstConnector(_ category: Category) -> SandboxConnector {
        connectors.first { $0.category == category }!
    }
}

/// Whether `text` contains `needle` as a run of Unicode scalars. `String.contains` compares
/// characters canonically, so it would find "é" in "e\u{301}"; this does not.
func containsScalars(_ text: String, _ needle: String) -> Bool {
    let hay = Array(text.unicodeScalars), pin = Array(needle.unicodeScalars)
    guard hay.count >= pin.count else { return false }
    for i in 0...(hay.count - pin.count) where hay[i] == pin[0] {
        if Array(hay[i..<i + pin.count]) == pin { return true }
    }
    return false
}

/// `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, lowercase.
func isLowercaseUUIDv4(_ text: String) -> Bool {
    let chars = Array(text.utf8)
    guard chars.count == 36 else { return false }
    for (i, c) in chars.enumerated() {
        switch i {
        case 8, 13, 18, 23: guard c == UInt8(ascii: "-") else { return false }
        case 14: guard c == UInt8(ascii: "4") else { return false }
        case 19: guard "89ab".utf8.contains(c) else { return false }
        default: guard "0123456789abcdef".utf8.contains(c) else { return false }
        }
    }
    return true
}
