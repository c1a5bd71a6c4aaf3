import Dispatch
import Foundation

/// A live view of the pulls in flight for a terminal: one line per active pull (pages,
/// records, records/s), redrawn in place twice a second on stderr. Off a terminal the run's
/// log lines say the same thing, so this is only created when stderr is a TTY.
public final class PullProgress: @unchecked Sendable {
    // @unchecked: `timer` is only set up in init and cancelled in stop() (DispatchSource is
    // thread-safe but not marked Sendable); all other state is behind `Locked`.
    struct Line {
        let label: String
        var pages = 0
        var records = 0
        let started = DispatchTime.now()
    }

    private let lines = Locked<[Int: Line]>([:])
    private let nextID = Locked(0)
    private let drawn = Locked(0)  // lines currently on screen
    private let timer: DispatchSourceTimer
    private let write: @Sendable (String) -> Void

    public init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "bindbee-sync.progress"))
        timer.schedule(deadline: .now() + 0.5, repeating: 0.5)
        timer.setEventHandler { [weak self] in self?.redraw() }
        timer.resume()
    }

    /// True when stderr is a terminal.
    public static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    public func begin(connector: String, model: String) -> Int {
        let id = nextID.withLock { value -> Int in
            value += 1
            return value
        }
        lines.withLock { $0[id] = Line(label: "\(connector) \(model)") }
        return id
    }

    public func update(_ id: Int, pages: Int, records: Int) {
        lines.withLock { all in
            all[id]?.pages = pages
            all[id]?.records = records
        }
    }

    public func end(_ id: Int) { _ = lines.withLock { $0.removeValue(forKey: id) } }

    /// Clears the live lines (before the summary is printed).
    public func stop() {
        timer.cancel()
        clear()
    }

    private func clear() {
        let count = drawn.withLock { value -> Int in
            defer { value = 0 }
            return value
        }
        if count > 0 { write(String(repeating: "\u{1B}[1A\u{1B}[2K", count: count)) }
    }

    private func redraw() {
        let now = DispatchTime.now().uptimeNanoseconds
        let text = lines.withLock { all in
            all.keys.sorted().map { key -> String in
                let line = all[key]!
                let seconds = max(0.001, Double(now - line.started.uptimeNanoseconds) / 1e9)
                return "  \(line.label): \(line.pages) pages, \(line.records) records, \(Int(Double(line.records) / seconds)) records/s"
            }
        }
        clear()
        guard !text.isEmpty else { return }
        write(text.joined(separator: "\n") + "\n")
        drawn.withLock { $0 = text.count }
    }
}
