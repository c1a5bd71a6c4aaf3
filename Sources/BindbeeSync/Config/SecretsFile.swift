import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The config's `secrets_file`: the API key and connector tokens kept out of the config and out
/// of the crontab, in the form systemd's `EnvironmentFile=` and dotenv read, so one file serves
/// cron, systemd and a shell:
///
/// ```text
/// # comments (or ; comments) and blank lines are ignored
/// BINDBEE_API_KEY=bb_live_…
/// ACME_HRIS_TOKEN="…"
/// export ACME_ATS_TOKEN='…'
/// ```
///
/// Values are bare (a backslash escapes the next character), 'single-quoted' (literal) or
/// "double-quoted" (`\"`, `\\`, `\$`, `` \` `` unescaped), on one line. `export ` is accepted
/// for files that a shell also sources (systemd itself ignores such lines).
///
/// The file is refused unless it is a regular file that only its owner can read or write
/// (`chmod 600`), and every error names the file and the line, never a value.
public enum SecretsFile {
    /// Reads `path` into name → value, refusing a missing, non-regular, group- or
    /// world-accessible or malformed file.
    public static func load(path: String) throws(InputError) -> [String: Secret] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw InputError(source: path, "cannot read the secrets file: \(reason)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw InputError(source: path, "the secrets file is not a regular file")
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            throw InputError(source: path, "the secrets file is readable or writable by group or others (mode \(String(format: "%04o", mode))); chmod 600 it")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(source: path, "cannot read the secrets file (permission denied?); it must be readable by the user running bindbee-sync")
        }
        return try parse(data, source: path)
    }

    /// Parses the file's text. Names may repeat nowhere: a second line setting a name is an
    /// error rather than a silent override.
    public static func parse(_ data: Data, source: String) throws(InputError) -> [String: Secret] {
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(source: source, "the secrets file is not UTF-8 text")
        }
        var values: [String: Secret] = [:]
        var firstLine: [String: Int] = [:]
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let number = index + 1
            // ("\r\n" is one Character, so CRLF lines split above; a lone trailing "\r" goes here.)
            var line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            let (name, value) = try assignment(line, source: source, number: number)
            if let earlier = firstLine[name] {
                throw InputError(source: source, field: "line \(number)", "\(name) is already set on line \(earlier)")
            }
            firstLine[name] = number
            values[name] = Secret(value)
        }
        return values
    }

    /// `[export ]NAME=value`. Errors describe the line, never its value.
    private static func assignment(_ line: Substring, source: String, number: Int) throws(InputError) -> (String, String) {
        func fail(_ message: String) -> InputError {
            InputError(source: source, field: "line \(number)", message)
        }
        var rest = line
        if rest.hasPrefix("export ") {
            rest = rest.dropFirst(7).drop { $0 == " " || $0 == "\t" }
        }
        guard let equals = rest.firstIndex(of: "=") else {
            throw fail("expected NAME=value (a comment line starts with #)")
        }
        let name = String(rest[..<equals].trimmingCharacters(in: .whitespaces))
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && CharacterSet.letters.contains(first)),
              name.unicodeScalars.allSatisfy({ $0 == "_" || ($0.isASCII && CharacterSet.alphanumerics.contains($0)) }) else {
            throw fail("the name before '=' must be letters, digits and '_', not starting with a digit")
        }
        let raw = rest[rest.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard let quote = raw.first, quote == "\"" || quote == "'" else {
            // A bare value: as in systemd and sh, a backslash takes the next character literally.
            var value = ""
            var escaped = false
            for character in raw {
                if escaped || character != "\\" {
                    value.append(character)
                    escaped = false
                } else {
                    escaped = true
                }
            }
            guard !escaped else { throw fail("\(name): a trailing backslash (continued lines are not supported)") }
            return (name, value)
        }
        var value = ""
        var index = raw.index(after: raw.startIndex)
        var closed = false
        while index < raw.endIndex {
            let character = raw[index]
            index = raw.index(after: index)
            if character == quote {
                closed = true
                break
            }
            if quote == "\"", character == "\\", index < raw.endIndex, "\"\\$`".contains(raw[index]) {
                value.append(raw[index])
                index = raw.index(after: index)
                continue
            }
            value.append(character)
        }
        guard closed else { throw fail("\(name): the quoted value has no closing \(quote) (values must fit on one line)") }
        guard index == raw.endIndex else { throw fail("\(name): unexpected text after the closing \(quote)") }
        return (name, value)
    }
}
