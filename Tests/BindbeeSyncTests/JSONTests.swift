import Foundation
import Testing
@testable import BindbeeSync

/// The JSON reader keeps what the mirror contract needs: exact integers, exact code points,
/// booleans as booleans, and it refuses what is not JSON.
@Suite struct JSONTests {
    /// The word-at-a-time fast path of string scanning stops exactly where a byte-by-byte
    /// scan would: at every quote, backslash, control byte and non-ASCII byte, at every offset
    /// within a word.
    @Test func plainASCIISkippingStopsAtEverySpecialByteAtEveryAlignment() {
        let specials: [UInt8] = [0x22, 0x5C, 0x00, 0x01, 0x1F, 0x80, 0xC3, 0xFF]
        let plain: [UInt8] = [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7F, 0x41, 0x7E]
        for special in specials {
            for length in 1...24 {
                for offset in 0..<length {
                    var bytes = (0..<length).map { plain[$0 % plain.count] }
                    bytes[offset] = special
                    for start in 0...offset {
                        let found = bytes.withUnsafeBufferPointer { JSONReader.skipPlainASCII($0, from: start) }
                        #expect(found == offset, "special \(special) at \(offset) of \(length), from \(start)")
                    }
                }
            }
        }
        let allPlain = [UInt8](repeating: 0x61, count: 19)
        #expect(allPlain.withUnsafeBufferPointer { JSONReader.skipPlainASCII($0, from: 3) } == 19)
    }

    @Test func stringScanningRefusesControlBytesAndBadUTF8InLongStrings() {
        for offset in 0..<20 {
            var text = Array(#"{"a":"abcdefghijklmnopqrstuvwxyz"}"#.utf8)
            text[6 + offset] = 0x0A
            #expect(throws: JSONError.self) { try JSONValue.parse(String(decoding: text, as: UTF8.self)) }
            var utf8 = Array(#"{"a":"abcdefghijklmnopqrstuvwxyz"}"#.utf8)
            utf8[6 + offset] = 0xC3  // a lead byte followed by ASCII: invalid UTF-8
            #expect(throws: JSONError.self) { try utf8.withUnsafeBufferPointer { buffer throws(JSONError) in
                var reader = JSONReader(buffer)
                try reader.expect(UInt8(ascii: "{"), "{")
                _ = try reader.scanString()
                try reader.expect(UInt8(ascii: ":"), ":")
                _ = try reader.scanString()
            } }
        }
    }

    @Test func integersStayExactTo64Bits() throws {
        let value = try JSONValue.parse(#"{"a": 9007199254740993, "b": -9223372036854775808, "c": 9223372036854775807}"#)
        #expect(value["a"] == .int(9_007_199_254_740_993))
        #expect(value["b"] == .int(Int64.min))
        #expect(value["c"] == .int(Int64.max))
        #expect(value.serialized == #"{"a":9007199254740993,"b":-9223372036854775808,"c":9223372036854775807}"#)
    }

    @Test func numbersBeyond64BitsOrWithFractionsAreDoubles() throws {
        #expect(try JSONValue.parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try JSONValue.parse("1.5e3") == .double(1500))
        #expect(try JSONValue.parse("-0.25") == .double(-0.25))
        #expect(try JSONValue.parse("3.0").serialized == "3.0")
    }

    @Test func booleansAreNotIntegers() throws {
        #expect(try JSONValue.parse("true") == .bool(true))
        #expect(try JSONValue.parse("true") != .int(1))
        #expect(try JSONValue.parse("[true,false,null]").serialized == "[true,false,null]")
    }

    @Test func stringsKeepTheirExactCodePoints() throws {
        let precomposed = try JSONValue.parse("\"\u{E9}\"")
        let decomposed = try JSONValue.parse("\"e\u{301}\"")
        // Swift's String == would call these equal (canonical equivalence); the mirror must not.
        #expect(precomposed != decomposed)
        #expect(decomposed.stringValue!.unicodeScalars.map(\.value) == [0x65, 0x301])
        #expect(try JSONValue.parse(#""\u00e9""#) == precomposed)
    }

    @Test func escapesDecodeIncludingSurrogatePairs() throws {
        let value = try JSONValue.parse(#""q\"b\\s\/n\nt\tu\u0041 \ud83d\ude80""#)
        #expect(value.stringValue == "q\"b\\s/n\nt\tuA 🚀")
        // A lone surrogate cannot live in a String; it becomes U+FFFD rather than failing the page.
        #expect(try JSONValue.parse(#""\ud800x""#).stringValue == "\u{FFFD}x")
    }

    @Test func serializerEscapesWhatJSONRequiresAndRoundTrips() throws {
        let original = JSONValue.object(JSONObject([("k\"", .string("a\u{1}b\n\"\\ Zoë 김민준 🚀")), ("n", .null), ("x", .array([.int(1), .double(2.5)]))]))
        let text = original.serialized
        #expect(text.contains("\\u0001"))
        #expect(text.contains("Zoë 김민준 🚀"))
        #expect(try JSONValue.parse(text) == original)
    }

    @Test func objectEqualityIgnoresKeyOrderButNotKeys() throws {
        #expect(try JSONValue.parse(#"{"a":1,"b":null}"#) == JSONValue.parse(#"{"b":null,"a":1}"#))
        #expect(try JSONValue.parse(#"{"a":1,"b":null}"#) != JSONValue.parse(#"{"a":1}"#))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "tru", "\"abc", "\"a\u{1}\"", "{\"a\" 1}", "[1] x",
        "\"\\x\"", "\"\\u12g4\"", "NaN", "{'a':1}",
    ])
    func invalidDocumentsAreRefused(_ text: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(text) }
    }

    @Test func invalidUTF8IsRefused() throws {
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }      // bad continuation
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xED, 0xA0, 0x80, 0x22]) }  // encoded surrogate
        #expect(throws: JSONError.self) { try JSONValue.parse([0x22, 0xC0, 0xAF, 0x22]) }      // overlong
        #expect(try JSONValue.parse([0x22, 0xF0, 0x9F, 0x9A, 0x80, 0x22]) == .string("🚀"))
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep) }
    }

    @Test func errorsSayWhere() {
        do {
            _ = try JSONValue.parse("{\"a\": [1, 2,, 3]}")
            Issue.record("parsed invalid JSON")
        } catch {
            #expect(error.offset == 12)
            #expect(error.description.contains("byte 12"))
        }
    }
}
