/// An instant with millisecond precision, written the way Bindbee writes `modified_at`
/// (`2026-11-28T09:15:42.123Z`). The dataset's clock and every record's `modified_at` are
/// timestamps; the conversions are done here with calendar arithmetic (no `DateFormatter`,
/// no locale, no time zone database), so they are exact and thread-safe.
public struct SandboxTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSince1970: Int64

    public init(millisecondsSince1970: Int64) {
        self.millisecondsSince1970 = millisecondsSince1970
    }

    /// Parses an ISO 8601 date-time (see `ISO8601Parsing.microseconds`); sub-millisecond
    /// digits are dropped. Nil when the text is not a date-time.
    public init?(iso8601 text: String) {
        guard let micros = ISO8601Parsing.microseconds(text) else { return nil }
        self.millisecondsSince1970 = micros >= 0 ? micros / 1000 : -((-micros + 999) / 1000)
    }

    /// 2026-12-01T00:00:00.000Z: the demo dataset's default "now".
    public static let defaultNow = SandboxTimestamp(iso8601: "2026-12-01T00:00:00Z")!

    public static let millisecondsPerDay: Int64 = 86_400_000

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var iso8601: String {
        let (days, msOfDay) = floorDivide(millisecondsSince1970, Self.millisecondsPerDay)
        let (y, m, d) = CivilCalendar.date(fromDays: days)
        let seconds = msOfDay / 1000
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):"
            + "\(pad(seconds % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    /// `YYYY-MM-DD` (UTC).
    public var isoDate: String {
        let (y, m, d) = CivilCalendar.date(fromDays: floorDivide(millisecondsSince1970, Self.millisecondsPerDay).0)
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }

    /// Whole Unix seconds (rounded down).
    public var unixSeconds: Int64 { floorDivide(millisecondsSince1970, 1000).0 }

    public var description: String { iso8601 }

    public func adding(milliseconds: Int64) -> SandboxTimestamp {
        SandboxTimestamp(millisecondsSince1970: millisecondsSince1970 + milliseconds)
    }

    public static func < (a: SandboxTimestamp, b: SandboxTimestamp) -> Bool {
        a.millisecondsSince1970 < b.millisecondsSince1970
    }
}

func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
    let q = a / b, r = a % b
    return r < 0 ? (q - 1, r + b) : (q, r)
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}

/// Proleptic Gregorian calendar arithmetic on day numbers (days since 1970-01-01).
enum CivilCalendar {
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400).0
        let yearOfEra = y - era * 400
        let monthIndex = (month + 9) % 12  // March = 0
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func date(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097).0
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

/// Reads the ISO 8601 date-times a Bindbee client may send in `modified_after`:
/// `YYYY-MM-DD`, optionally followed by `T` (or a space) `HH:MM`, `:SS`, a fraction of up to
/// any number of digits (microsecond precision is kept), and `Z` or an offset `±HH:MM`,
/// `±HHMM`, `±HH`. No offset means UTC, as the API documents.
enum ISO8601Parsing {
    /// Microseconds since 1970, or nil when the text is not such a date-time.
    static func microseconds(_ text: String) -> Int64? {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take("-"),
              let month = scanner.number(digits: 2), scanner.take("-"),
              let day = scanner.number(digits: 2),
              (1...12).contains(month), day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month)
        else { return nil }
        var micros: Int64 = 0
        var offsetMinutes: Int64 = 0
        if scanner.take("T") || scanner.take("t") || scanner.take(" ") {
            guard let hour = scanner.number(digits: 2), scanner.take(":"), let minute = scanner.number(digits: 2),
                  hour < 24, minute < 60 else { return nil }
            var second: Int64 = 0
            if scanner.take(":") {
                guard let s = scanner.number(digits: 2), s < 60 else { return nil }
                second = s
                if scanner.take(".") || scanner.take(",") {
                    var fraction: Int64 = 0, scale: Int64 = 100_000, count = 0
                    while let digit = scanner.digit() {
                        fraction += digit * scale
                        scale /= 10
                        count += 1
                    }
                    guard count > 0 else { return nil }
                    micros += fraction
                }
            }
            micros += ((hour * 60 + minute) * 60 + second) * 1_000_000
            if scanner.take("Z") || scanner.take("z") {
                offsetMinutes = 0
            } else if let sign: Int64 = scanner.take("+") ? 1 : (scanner.take("-") ? -1 : nil) {
                guard let oh = scanner.number(digits: 2), oh < 24 else { return nil }
                var om: Int64 = 0
                if scanner.take(":") {
                    guard let m = scanner.number(digits: 2) else { return nil }
                    om = m
                } else if let m = scanner.number(digits: 2) {
                    om = m
                }
                guard om < 60 else { return nil }
                offsetMinutes = sign * (oh * 60 + om)
            }
        }
        guard scanner.atEnd else { return nil }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        return days * 86_400_000_000 + micros - offsetMinutes * 60_000_000
    }

    private struct DigitScanner {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position == bytes.count }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
            position += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 else { return nil }
            position += 1
            return Int64(bytes[position - 1] - 0x30)
        }

        mutating func number(digits: Int) -> Int64? {
            let start = position
            var value: Int64 = 0
            for _ in 0..<digits {
                guard let d = digit() else { position = start; return nil }
                value = value * 10 + d
            }
            return value
        }
    }
}
