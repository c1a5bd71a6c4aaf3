import CCrypto
import Foundation

/// HMAC-SHA256 under the mirror's hash key (OpenSSL's libcrypto, not a hand-written hash).
/// Hashed PII fields keep their joins (the same value gives the same hash in every table and
/// every run) without the mirror holding the clear value or anything that recovers it
/// without the key.
public struct FieldHasher: Sendable {
    private let key: [UInt8]

    /// Keys shorter than this are refused by the config loader.
    public static let minimumKeyBytes = 16

    public init(key: Secret) { self.key = Array(key.revealed.utf8) }

    /// Lower-case hex of HMAC-SHA256(key, bytes).
    public func hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard let input = bytes.baseAddress else {
            let empty: UInt8 = 0  // libcrypto wants a pointer even for no bytes
            return withUnsafePointer(to: empty) { hex(UnsafeBufferPointer(start: $0, count: 0)) }
        }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { keyBytes in
            digest.withUnsafeMutableBufferPointer { out in
                HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count), input, bytes.count,
                     out.baseAddress, &length) != nil
            }
        }
        precondition(ok && length == 32, "HMAC-SHA256 failed in libcrypto")
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in digest.prefix(32) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    public func hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { hex($0) }
    }

    /// Identifies the key without revealing it: the HMAC of a fixed label. The mirror records
    /// it, so a run with another key (whose hashes would no longer join) is refused.
    public var fingerprint: String { hex("bindbee-sync hash key fingerprint v1") }

}

/// What the mirror stores instead of a record's served bytes when its model excludes or
/// hashes fields: the same members in the same order and the same bytes, minus excluded
/// members, with each hashed value replaced by the string of its hash.
struct RecordRewriter {
    let hasher: FieldHasher?

    /// The value as hashed: a string's decoded UTF-8 (so escaping does not change the hash),
    /// any other value's JSON text. nil for JSON null (kept as null).
    static func hashInput(_ member: ScannedMember, buffer: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        switch member.kind {
        case .null: return nil
        case .string: return Array(buffer[member.value])
        case .escapedString: return Array(JSONReader(buffer).decodeString(member.value, escaped: true).utf8)
        default: return Array(buffer[member.value])
        }
    }

    func hash(_ member: ScannedMember, buffer: UnsafeBufferPointer<UInt8>) -> String? {
        guard let hasher, let input = Self.hashInput(member, buffer: buffer) else { return nil }
        return input.withUnsafeBufferPointer { hasher.hex($0) }
    }

    /// The rewritten record: member `m` is left out when `changes[m]` is `.drop`, holds the
    /// given string when it is `.replace`, and is copied byte for byte otherwise.
    func rewrite(_ item: ScannedItem, of page: ScannedPage, buffer: UnsafeBufferPointer<UInt8>, changes: [Int: RecordChange]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(item.bytes.count)
        out.append(UInt8(ascii: "{"))
        var first = true
        for m in item.members {
            let member = page.members[m]
            let change = changes[m]
            if case .drop = change { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            let keyStart = member.key.lowerBound - 1
            if case .replace(let text) = change {
                out.append(contentsOf: buffer[keyStart..<(member.key.upperBound + 1)])
                out.append(contentsOf: Array(":\"\(text)\"".utf8))
            } else {
                let quoted = member.kind == .string || member.kind == .escapedString
                out.append(contentsOf: buffer[keyStart..<(member.value.upperBound + (quoted ? 1 : 0))])
            }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

/// What happens to one field of a record on its way into the mirror.
enum FieldAction {
    case keep, exclude, hash
}

/// How a stored record differs from the served one at one member.
enum RecordChange {
    /// Left out (an excluded field).
    case drop
    /// The value replaced by this string (a hashed field's hash; plain hex, needs no escaping).
    case replace(String)
}
