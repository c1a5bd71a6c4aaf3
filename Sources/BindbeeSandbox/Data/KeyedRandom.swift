/// A SplitMix64 generator whose starting state is derived from a seed and a list of keys
/// (connector, model, record index, field name). Every value in the dataset draws from its
/// own keyed stream, so adding a connector, a model or a field never shifts the values of
/// the others, and the same seed gives the same bytes on every run and machine.
///
/// The helpers below use only this file's arithmetic (not the standard library's
/// `random(in:)`, whose algorithm may change between toolchains).
struct KeyedRandom {
    private var state: UInt64

    init(seed: UInt64, _ keys: [String]) {
        var s = Self.mix(seed ^ 0x5EED_B1DB_EE00_0001)
        for key in keys {
            s = Self.mix(s ^ Self.fnv1a(key))
        }
        state = s
    }

    init(seed: UInt64, _ keys: String...) {
        self.init(seed: seed, keys)
    }

    /// The stream of `keys + [key]`: `KeyedRandom(seed: s, [a, b]).derived(c)` equals
    /// `KeyedRandom(seed: s, [a, b, c])` as long as neither has drawn a value yet.
    func derived(_ key: String) -> KeyedRandom {
        var copy = self
        copy.state = Self.mix(state ^ Self.fnv1a(key))
        return copy
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform-enough integer in `0..<bound` (multiply-high; bias is irrelevant here).
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.upperBound - range.lowerBound + 1)
    }

    /// Uniform in `0 ..< 1`, from the top 53 bits.
    mutating func unit() -> Double {
        Double(next() >> 11) / Double(UInt64(1) << 53)
    }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool {
        below(100) < percent
    }

    mutating func bool() -> Bool {
        next() & 1 == 1
    }

    mutating func pick<T>(_ items: [T]) -> T {
        items[below(items.count)]
    }

    /// `count` distinct indices of `0..<total`, in ascending order.
    mutating func distinctIndices(_ count: Int, of total: Int) -> [Int] {
        var chosen = Set<Int>()
        let wanted = min(count, total)
        while chosen.count < wanted { chosen.insert(below(total)) }
        return chosen.sorted()
    }

    /// The items in a random order (Fisher-Yates).
    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var out = items
        for i in stride(from: out.count - 1, to: 0, by: -1) { out.swapAt(i, below(i + 1)) }
        return out
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<8 where out.count < count {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }

    /// A lowercase RFC 9562 version-4 UUID.
    mutating func uuid() -> String {
        var b = bytes(16)
        b[6] = (b[6] & 0x0F) | 0x40
        b[8] = (b[8] & 0x3F) | 0x80
        return Self.uuidText(b)
    }

    static func uuidText(_ b: [UInt8]) -> String {
        let hex = b.map { byte -> String in
            let s = String(byte, radix: 16)
            return byte < 16 ? "0" + s : s
        }
        return hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
            + hex[8..<10].joined() + "-" + hex[10..<16].joined()
    }

    /// The SplitMix64 output function.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: a stable string hash (Swift's `Hasher` is seeded per process).
    static func fnv1a(_ text: String) -> UInt64 {
        fnv1a(bytes: text.utf8)
    }

    static func fnv1a(bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}
