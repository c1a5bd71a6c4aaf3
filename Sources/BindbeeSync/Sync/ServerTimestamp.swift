/// An ISO 8601 date-time from the API (`modified_at`), kept as the server wrote it and
/// compared as an instant. Watermarks are server time, never the local clock: the text goes
/// back to the server unchanged as `modified_after`, while comparisons use the instant, so
/// `2026-11-30T10:00:00Z` and `2026-11-30T12:00:00.000+02:00` are equal.
public struct ServerTimestamp: Sendable, Comparable, CustomStringConvertible {
    /// The server's own text.
    public let text: String
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM]`; without an offset the time is
    /// UTC (as the API reads `modified_after`). Returns nil for anything else.
    public init?(_ text: String) {
        let b = Array(text.utf8)
        func digits(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= b.count else { return nil }
            var value = 0
            for i in start..<(start + count) {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard b.count >= 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
              let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2),
              let hour = digits(11, 2), let minute = digits(14, 2), let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var micros = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 100_000
            let start = i
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                micros += Int(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            guard i > start else { return nil }
        }
        var offsetSeconds = 0
        if i < b.count {
            if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
                i += 1
            } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
                let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
                guard let hours = digits(i + 1, 2) else { return nil }
                var next = i + 3
                if next < b.count, b[next] == UInt8(ascii: ":") { next += 1 }
                guard let minutes = digits(next, 2), hours < 24, minutes < 60 else { return nil }
                offsetSeconds = sign * (hours * 3600 + minutes * 60)
                i = next + 2
            } else {
                return nil
            }
        }
        guard i == b.count else { return nil }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        self.text = text
        self.microseconds = seconds * 1_000_000 + Int64(micros)
    }

    public var description: String { text }

    public static func < (a: ServerTimestamp, b: ServerTimestamp) -> Bool { a.microseconds < b.microseconds }
    public static func == (a: ServerTimestamp, b: ServerTimestamp) -> Bool { a.microseconds == b.microseconds }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
