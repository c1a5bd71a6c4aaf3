import Testing
@testable import BindbeeSync

/// The page scanner validates the envelope and slices records without re-serializing them.
@Suite struct PageScannerTests {
    @Test func slicesEachRecordExactlyAsSent() throws {
        let first = #"{"id": "a1", "name": "Zoë", "n": 9007199254740993, "ok": true, "o": {"x": [1, 2]}}"#
        let second = #"{"name":"e\u0301","id":"b2"}"#
        let page = try PageScanner.scan(pageJSON([first, second], cursor: "Yz+/=="))
        #expect(page.cursor == "Yz+/==")
        #expect(page.declaredPageSize == 2)
        #expect(page.items.count == 2)
        #expect(page.text(of: page.items[0]) == first)
        #expect(page.text(of: page.items[1]) == second)
        #expect(page.id(of: page.items[1]) == "b2")
        let kinds = page.members[page.items[0].members].map(\.kind)
        #expect(kinds == [.string, .string, .integer, .true, .object])
    }

    @Test func lastPageHasNullCursorAndEmptyPagesAreValid() throws {
        #expect(try PageScanner.scan(pageJSON([], cursor: nil)).cursor == nil)
        let empty = try PageScanner.scan(pageJSON([], cursor: "next"))
        #expect(empty.items.isEmpty)
        #expect(empty.cursor == "next")
    }

    @Test(arguments: [
        (#"{"cursor": null, "page_size": 1, "items": [{"name": "no id"}]}"#, "has no \"id\""),
        (#"{"cursor": null, "page_size": 1, "items": [{"id": 42}]}"#, "\"id\" is not a non-empty string"),
        (#"{"cursor": null, "page_size": 1, "items": [{"id": ""}]}"#, "\"id\" is not a non-empty string"),
        (#"{"cursor": null, "page_size": 1, "items": [7]}"#, "is not an object"),
        (#"{"page_size": 0, "items": []}"#, "no \"cursor\""),
        (#"{"cursor": null, "page_size": 0}"#, "no \"items\""),
        (#"{"cursor": 5, "page_size": 0, "items": []}"#, "\"cursor\" is neither"),
        (#"{"cursor": null, "page_size": 0, "items": {}}"#, "\"items\" is not an array"),
        (#"[]"#, "expected the page to be a JSON object"),
        (#"{"cursor": null, "page_size": 1, "items": [{"id": "a"}"#, "invalid JSON"),
        (#"<html>502 Bad Gateway</html>"#, "invalid JSON"),
    ])
    func malformedPagesAreRefusedWithAReason(_ body: String, _ reason: String) {
        do {
            _ = try PageScanner.scan(Array(body.utf8))
            Issue.record("accepted \(body)")
        } catch {
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }

    @Test func unknownEnvelopeKeysAreSkipped() throws {
        let page = try PageScanner.scan(Array(#"{"extra": {"a": [1]}, "items": [{"id": "x"}], "cursor": null, "page_size": 1}"#.utf8))
        #expect(page.items.count == 1)
    }
}
