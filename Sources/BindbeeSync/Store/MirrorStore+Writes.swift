import Dispatch
import Foundation

/// When the mirror commits the pages it has written.
///
/// Pages are written into one open transaction, each inside its own savepoint together with
/// its walk's new position, and the transaction is committed when `shouldCommit` says so.
/// A commit writes every b-tree page the batch touched once: with random ids (Bindbee's are
/// UUIDs) each page of 200 records touches about 200 leaves of the `(_connector, id)` index,
/// so committing page by page rewrites most of the index every page. Crash safety does not
/// change: a page's rows and its cursor are always in the same transaction, so after a crash
/// the walk resumes after the last committed page; at most one batch is fetched again.
///
/// | bytes in the batch | seconds open | the page completes a walk | commit? |
/// |---|---|---|---|
/// | < 32 MiB | < 1.0 | no | no |
/// | ≥ 32 MiB | any | any | yes |
/// | any | ≥ 1.0 | any | yes (also by a timer when no page comes) |
/// | any | any | yes | yes (the pull reports only committed pages) |
public struct CommitPolicy: Sendable, Equatable {
    /// Page bytes (as received) in one batch at most.
    public var maxBytes: Int
    /// Seconds a batch stays open at most.
    public var maxSeconds: Double

    public init(maxBytes: Int = 32 << 20, maxSeconds: Double = 1.0) {
        self.maxBytes = maxBytes
        self.maxSeconds = maxSeconds
    }

    public func shouldCommit(bytes: Int, secondsOpen: Double, completesWalk: Bool) -> Bool {
        completesWalk || bytes >= maxBytes || secondsOpen >= maxSeconds
    }
}

/// A page waiting for the writer.
struct PendingWrite {
    let page: ScannedPage
    let model: ModelSpec
    let connector: String
    let walk: WalkPosition?
    let syncedAt: String
    /// Runs once the page's rows are in the open transaction (or it failed): the page's memory may go.
    let accepted: (@Sendable () -> Void)?
    /// Runs once the page is committed, or with why it is not.
    let completion: @Sendable (Result<WrittenPage, Error>) -> Void

    var walkKey: WalkKey? { walk.map { WalkKey(connector: $0.connector, model: $0.model) } }
    var completesWalk: Bool { walk != nil && page.cursor == nil }
}

struct WalkKey: Hashable {
    let connector: String
    let model: String
}

/// The open transaction and what its commit will confirm.
struct OpenBatch {
    let serial: Int
    let opened: DispatchTime
    var bytes = 0
    var written: [(completion: @Sendable (Result<WrittenPage, Error>) -> Void, page: WrittenPage, walk: WalkKey?)] = []
}

extension MirrorStore {
    /// Upserts every record of `page` into `model`'s table for `connector` and commits it with
    /// the walk's new position (`walk`); on the walk's last page the same transaction completes
    /// it (watermark, deletions). Pages handed to `enqueueWrite` before are committed first.
    @discardableResult
    public func write(page: ScannedPage, model: ModelSpec, connector: String, walk: WalkPosition? = nil,
                      syncedAt: String = Timestamp.now()) throws -> WrittenPage {
        try queue.sync {
            drainPending()
            let result = Locked<Result<WrittenPage, Error>?>(nil)
            writeIntoBatch(PendingWrite(page: page, model: model, connector: connector, walk: walk, syncedAt: syncedAt,
                                        accepted: nil, completion: { outcome in result.withLock { $0 = outcome } }))
            commitOpenBatch()
            return try result.withLock { $0! }.get()
        }
    }

    /// `write` without waiting. Pages are written in hand-over order (so a walk's pages commit
    /// in order); `accepted` runs when the page's rows are in the open transaction, and
    /// `completion` when it is committed (see `CommitPolicy`), both on the writer's queue.
    public func enqueueWrite(page: ScannedPage, model: ModelSpec, connector: String, walk: WalkPosition?,
                             accepted: (@Sendable () -> Void)? = nil,
                             completion: @escaping @Sendable (Result<WrittenPage, Error>) -> Void) {
        let write = PendingWrite(page: page, model: model, connector: connector, walk: walk, syncedAt: Timestamp.now(),
                                 accepted: accepted, completion: completion)
        pending.withLock { $0.append(write) }
        queue.async { self.drainPending() }
    }

    /// Commits the open batch now, after the pages already handed over.
    public func flush() {
        queue.sync {
            drainPending()
            commitOpenBatch()
        }
    }

    /// Commits what is pending and copies the WAL into the main file, truncating the WAL
    /// (`wal_checkpoint(TRUNCATE)`), so the database file alone holds the whole mirror.
    public func checkpoint() throws {
        flush()
        try onWriter { try database.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Runs `body` on the writer's queue after committing the open batch, so ledger and walk
    /// updates are never part of a batch of pages and are durable when they return.
    func onWriter<T>(_ body: () throws -> T) rethrows -> T {
        try queue.sync {
            commitOpenBatch()
            return try body()
        }
    }

    private func drainPending() {
        while let write = pending.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            writeIntoBatch(write)
        }
    }

    private func writeIntoBatch(_ write: PendingWrite) {
        defer { write.accepted?() }
        let key = write.walkKey
        if let key, let earlier = failedWalks[key] {
            return write.completion(.failure(MirrorStoreError.earlierPageFailed(connector: write.connector,
                                                                                model: write.model.qualifiedName, cause: "\(earlier)")))
        }
        do {
            if openBatch == nil {
                try database.execute("BEGIN IMMEDIATE")
                batchSerial += 1
                openBatch = OpenBatch(serial: batchSerial, opened: .now())
                scheduleTimedCommit(serial: batchSerial)
            }
            let page = try database.savepoint { try writeRows(write) }
            openBatch?.written.append((write.completion, page, key))
            openBatch?.bytes += write.page.body.count
        } catch {
            if let key { failedWalks[key] = error }
            write.completion(.failure(error))
            if openBatch != nil, !database.isInTransaction { abandonOpenBatch(error) }
            return
        }
        guard let batch = openBatch else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - batch.opened.uptimeNanoseconds) / 1e9
        if commitPolicy.shouldCommit(bytes: batch.bytes, secondsOpen: seconds, completesWalk: write.completesWalk) {
            commitOpenBatch()
        }
    }

    private func scheduleTimedCommit(serial: Int) {
        queue.asyncAfter(deadline: .now() + commitPolicy.maxSeconds) {
            guard self.openBatch?.serial == serial else { return }
            self.drainPending()
            if self.openBatch?.serial == serial { self.commitOpenBatch() }
        }
    }

    /// Commits the open batch and confirms its pages; if the commit fails, every page in it
    /// fails (and its walk stops: its later pages would skip the rows rolled back).
    func commitOpenBatch() {
        guard let batch = openBatch else { return }
        do {
            try database.execute("COMMIT")
        } catch {
            if database.isInTransaction { try? database.execute("ROLLBACK") }
            return abandonOpenBatch(error)
        }
        openBatch = nil
        for entry in batch.written { entry.completion(.success(entry.page)) }
    }

    /// SQLite rolled the batch back (or its commit failed): none of its pages is in the mirror.
    private func abandonOpenBatch(_ error: Error) {
        guard let batch = openBatch else { return }
        openBatch = nil
        for entry in batch.written {
            if let walk = entry.walk { failedWalks[walk] = error }
            entry.completion(.failure(error))
        }
    }

    /// The rows of one page and its walk's new position, inside the open transaction.
    private func writeRows(_ write: PendingWrite) throws -> WrittenPage {
        let page = write.page
        // A walk's rows are never older than its start (see `_sync_state`).
        let stamp = write.walk.map { max(write.syncedAt, $0.startedAt) } ?? write.syncedAt
        let binder = binder(for: write.model)
        let statement = try database.statement(MirrorSchema.upsert(for: write.model))
        // The binder binds slices of the page without copying them; the reset after the last
        // row clears those bindings while the page is still alive.
        defer { statement.reset() }
        try page.body.withUnsafeBufferPointer { buffer in
            for item in page.items {
                statement.reset()
                try statement.bind(.text(write.connector), at: 1)
                try binder.bind(item, of: page, buffer: buffer, to: statement)
                try statement.bind(.text(stamp), at: binder.syncedAtParameter)
                try statement.run()
            }
        }
        var deleted = 0
        if let walk = write.walk {
            deleted = try advance(walk, model: write.model, to: page.cursor, records: page.items.count,
                                  pageMaxModifiedAt: page.maxTimestamp(of: "modified_at"), at: stamp)
        }
        return WrittenPage(records: page.items.count, deleted: deleted)
    }

    /// A new walk of a pull starts with a clean slate (called on `queue` by `beginWalk`).
    func forgetFailedWalk(connector: String, model: String) {
        failedWalks[WalkKey(connector: connector, model: model)] = nil
    }
}
