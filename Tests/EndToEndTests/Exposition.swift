import Foundation

/// A strict reader of the Prometheus text exposition format (0.0.4), as node_exporter's
/// textfile collector reads it, for checking the metrics file: metric and label names match
/// their grammar, label values use only the three escapes, every family has one `# HELP` and
/// one `# TYPE` before its samples and its samples are together, values are floats, no sample
/// carries a timestamp (the textfile collector refuses them) and no series appears twice.
struct Exposition {
    struct Failure: Error, CustomStringConvertible {
        let line: Int
        let message: String
        var description: String { "line \(line): \(message)" }
    }

    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    private(set) var help: [String: String] = [:]
    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    /// The value of the series `name{labels}` (the labels given must be all of its labels).
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Every sample of family `name`.
    func family(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    static let types: Set<String> = ["counter", "gauge", "histogram", "summary", "untyped"]

    static func isMetricName(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first == "_" || first == ":" || first.properties.isAlphabetic else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0 == ":" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    static func isLabelName(_ text: Substring) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII, first == "_" || first.properties.isAlphabetic else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCII && ($0 == "_" || $0.properties.isAlphabetic || ("0"..."9").contains($0)) }
    }

    /// Go's `strconv.ParseFloat` forms Prometheus accepts.
    static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "NaN": return .nan
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        default: break
        }
        guard text.range(of: #"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil else { return nil }
        return Double(text)
    }

    static func parse(_ text: String) throws -> Exposition {
        guard text.hasSuffix("\n") else { throw Failure(line: 0, message: "the text must end with a newline") }
        var result = Exposition()
        var finished: Set<String> = []  // families whose samples are over
        var current: String?  // the family whose samples came last
        var seen: Set<String> = []
        for (index, line) in text.dropLast().split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            func fail(_ message: String) -> Failure { Failure(line: number, message: message) }
            if line.contains("\r") { throw fail("carriage return") }
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else { continue }  // a comment
                let name = parts[2]
                guard isMetricName(name) else { throw fail("bad metric name \"\(name)\"") }
                let family = String(name)
                if finished.contains(family) || current == family { throw fail("\(parts[1]) for \(family) after its samples") }
                if current != nil { finished.insert(current!); current = nil }
                let rest = parts.count == 4 ? String(parts[3]) : ""
                if parts[1] == "HELP" {
                    guard result.help[family] == nil else { throw fail("second HELP for \(family)") }
                    var escaped = false
                    for character in rest {
                        if escaped { guard character == "\\" || character == "n" else { throw fail("bad escape in HELP") }; escaped = false } else if character == "\\" { escaped = true }
                    }
                    if escaped { throw fail("HELP ends in a backslash") }
                    result.help[family] = rest
                } else {
                    guard result.types[family] == nil else { throw fail("second TYPE for \(family)") }
                    guard Self.types.contains(rest) else { throw fail("unknown type \"\(rest)\"") }
                    result.types[family] = rest
                }
                continue
            }
            // name{label="value",...} value
            var rest = line[...]
            let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
            let name = rest[..<nameEnd]
            guard isMetricName(name) else { throw fail("bad metric name \"\(name)\"") }
            rest = rest[nameEnd...]
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    guard let equals = rest.firstIndex(of: "=") else { throw fail("label without '='") }
                    let labelName = rest[..<equals]
                    guard isLabelName(labelName), !labelName.hasPrefix("__") else { throw fail("bad label name \"\(labelName)\"") }
                    rest = rest[rest.index(after: equals)...]
                    guard rest.first == "\"" else { throw fail("label value not quoted") }
                    rest = rest.dropFirst()
                    var value = ""
                    var closed = false
                    while let character = rest.first {
                        rest = rest.dropFirst()
                        if character == "\"" { closed = true; break }
                        if character == "\\" {
                            switch rest.first {
                            case "\\": value.append("\\")
                            case "\"": value.append("\"")
                            case "n": value.append("\n")
                            default: throw fail("bad escape in a label value")
                            }
                            rest = rest.dropFirst()
                        } else {
                            value.append(character)
                        }
                    }
                    guard closed else { throw fail("unterminated label value") }
                    guard labels.updateValue(value, forKey: String(labelName)) == nil else { throw fail("label \(labelName) given twice") }
                    if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected ',' or '}' after a label") }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " " else { throw fail("expected one space before the value") }
            let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 1 else { throw fail(fields.count == 2 ? "a timestamp (the textfile collector refuses them)" : "extra text after the value") }
            guard let value = parseValue(fields[0]) else { throw fail("bad value \"\(fields[0])\"") }
            let family = String(name)
            guard result.types[family] != nil, result.help[family] != nil else { throw fail("sample of \(family) before its HELP and TYPE") }
            if finished.contains(family) { throw fail("samples of \(family) are not together") }
            if let current, current != family { finished.insert(current) }
            current = family
            let key = family + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{0}") + "}"
            guard seen.insert(key).inserted else { throw fail("series \(key) given twice") }
            result.samples.append(Sample(name: family, labels: labels, value: value))
        }
        return result
    }
}
