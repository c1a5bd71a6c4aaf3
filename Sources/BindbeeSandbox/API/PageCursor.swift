/// The sandbox's opaque page cursor: standard base64 (with padding) of a keyset position,
/// "after the record with this `modified_at` and `id`", so a walk stays correct when records
/// change between pages.
///
/// Bytes: nonce(3) generation(1) scope(2) modified_at ms(8) id(16) check(2) = 32, which
/// encodes to 44 characters ending in one `=`. The nonce is chosen so its four characters
/// always include `+` and `/`: a client that forgets to percent-encode the cursor gets a space
/// back from form decoding and a 400 for it. `scope` ties the cursor to one connector and
/// endpoint. The generation byte is 1 + the API's cursor generation, which
/// `SandboxAPI.expireCursors()` moves on: cursors of an earlier generation are expired.
struct PageCursor: Equatable {
    let scope: UInt16
    let modifiedAt: SandboxTimestamp
    let id: String

    private static let byteCount = 32
    /// Generations count modulo this, so the generation byte (1 + generation) is never 0.
    static let generations = 255
    private static let startID = "00000000-0000-0000-0000-000000000000"

    /// What a cursor text turned out to be.
    enum Reading: Equatable {
        case valid(PageCursor)
        /// Well-formed and of this scope, but issued before the last `expireCursors()`.
        case expired
        case invalid
    }

    /// Scope of an endpoint for one caller (connector name or API key category).
    static func scope(_ parts: String...) -> UInt16 {
        UInt16(truncatingIfNeeded: KeyedRandom.fnv1a(parts.joined(separator: "\u{1F}")))
    }

    /// The position before the first record, for a page that served nothing from the start.
    static func start(scope: UInt16) -> PageCursor {
        PageCursor(scope: scope, modifiedAt: SandboxTimestamp(millisecondsSince1970: .min), id: startID)
    }

    /// The position as text, for fault decisions: equal positions give equal keys.
    var positionKey: String {
        self == Self.start(scope: scope) ? "start" : "\(modifiedAt.millisecondsSince1970)/\(id)"
    }

    /// The cursor text; `nonceSeed` makes the nonce deterministic. `variant` > 0 picks another
    /// nonce for the same position, different from those of every smaller variant.
    func encoded(nonceSeed: UInt64, generation: Int, variant: Int = 0) -> String {
        var random = KeyedRandom(seed: nonceSeed, String(scope), id, "cursor")
        var nonce = Self.nonce(&random)
        if variant > 0 {
            var used: Set<[UInt8]> = [nonce]
            var stream = random.derived("variant")
            for _ in 0..<variant {
                repeat { nonce = Self.nonce(&stream) } while !used.insert(nonce).inserted
            }
        }
        var bytes = nonce + [UInt8(generation % Self.generations + 1), UInt8(scope >> 8), UInt8(scope & 0xFF)]
        let millis = UInt64(bitPattern: modifiedAt.millisecondsSince1970)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: millis >> UInt64(shift))) }
        bytes += Self.uuidBytes(id) ?? [UInt8](repeating: 0, count: 16)
        let check = UInt16(truncatingIfNeeded: KeyedRandom.fnv1a(bytes: bytes))
        bytes += [UInt8(check >> 8), UInt8(check & 0xFF)]
        return Base64.encode(bytes)
    }

    /// Four sextets: 62 ('+') and 63 ('/') at random places, two random others; as 3 bytes.
    private static func nonce(_ random: inout KeyedRandom) -> [UInt8] {
        var sextets = [UInt8(62), UInt8(63), UInt8(random.below(64)), UInt8(random.below(64))]
        for i in stride(from: 3, to: 0, by: -1) { sextets.swapAt(i, random.below(i + 1)) }
        return [
            sextets[0] << 2 | sextets[1] >> 4,
            (sextets[1] & 0x0F) << 4 | sextets[2] >> 2,
            (sextets[2] & 0x03) << 6 | sextets[3],
        ]
    }

    /// Reads a cursor issued for `scope` in `generation`. Anything garbled, truncated, with a
    /// `+` turned into a space, or of another endpoint or connector is invalid.
    static func decode(_ text: String, scope: UInt16, generation: Int) -> Reading {
        guard let bytes = Base64.decode(text), bytes.count == byteCount, bytes[3] != 0 else { return .invalid }
        let check = UInt16(truncatingIfNeeded: KeyedRandom.fnv1a(bytes: bytes[0..<30]))
        guard bytes[30] == UInt8(check >> 8), bytes[31] == UInt8(check & 0xFF) else { return .invalid }
        guard UInt16(bytes[4]) << 8 | UInt16(bytes[5]) == scope else { return .invalid }
        guard Int(bytes[3]) == generation % generations + 1 else { return .expired }
        var millis: UInt64 = 0
        for b in bytes[6..<14] { millis = millis << 8 | UInt64(b) }
        return .valid(PageCursor(scope: scope, modifiedAt: SandboxTimestamp(millisecondsSince1970: Int64(bitPattern: millis)),
                                 id: KeyedRandom.uuidText(Array(bytes[14..<30]))))
    }

    static func uuidBytes(_ uuid: String) -> [UInt8]? {
        let hex = uuid.utf8.filter { $0 != UInt8(ascii: "-") }
        guard hex.count == 32 else { return nil }
        var out = [UInt8]()
        for i in stride(from: 0, to: 32, by: 2) {
            guard let byte = UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }
}

/// Standard base64 (RFC 4648 §4: `+`, `/`, `=` padding), strict on decode: any character
/// outside the alphabet, a wrong length or misplaced padding is refused.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard !chars.isEmpty, chars.count % 4 == 0 else { return nil }
        var padding = 0
        if chars.last == UInt8(ascii: "=") { padding += 1 }
        if chars.count >= 2, chars[chars.count - 2] == UInt8(ascii: "=") { padding += 1 }
        var sextets = [UInt8]()
        for (i, c) in chars.enumerated() {
            if i >= chars.count - padding { break }
            guard let v = value(c) else { return nil }
            sextets.append(v)
        }
        var out = [UInt8]()
        var i = 0
        while i + 1 < sextets.count {
            out.append(sextets[i] << 2 | sextets[i + 1] >> 4)
            if i + 2 < sextets.count { out.append((sextets[i + 1] & 0x0F) << 4 | sextets[i + 2] >> 2) }
            if i + 3 < sextets.count { out.append((sextets[i + 2] & 0x03) << 6 | sextets[i + 3]) }
            i += 4
        }
        // Non-canonical encodings (unused bits set) are refused too.
        guard encode(out) == text else { return nil }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
