import Foundation
@testable import BindbeeSync

/// A fresh directory per test, removed when the value is released.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("bindbee-sync-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func write(_ name: String, _ text: String) throws -> String {
        let path = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A page envelope around item JSON texts, as a list endpoint would send it.
func pageJSON(_ items: [String], cursor: String?) -> [UInt8] {
    let cursorText = cursor.map { "\"\($0)\"" } ?? "null"
    return Array("{\"cursor\": \(cursorText), \"page_size\": \(items.count), \"items\": [\(items.joined(separator: ","))]}".utf8)
}
