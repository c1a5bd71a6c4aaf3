import Foundation

/// Bad input from the user (a config file, a job file, a flag): names the file and the field,
/// says what was expected. The CLI exits with status 2 on it, before anything is written.
public struct InputError: Error, Sendable, CustomStringConvertible, Equatable {
    public let source: String
    public let field: String?
    public let message: String

    public init(source: String, field: String? = nil, _ message: String) {
        self.source = source
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(source): \(field): \(message)" }
        return "\(source): \(message)"
    }
}

/// Reads typed values out of a parsed JSON object, turning every mismatch into an `InputError`
/// that names the file and the field path (`connectors[2].category`). Unknown keys are refused,
/// so a typo never silently falls back to a default.
struct JSONFieldReader {
    let source: String
    let path: String
    let object: JSONObject

    init(source: String, path: String, value: JSONValue) throws(InputError) {
        guard case .object(let object) = value else {
            throw InputError(source: source, field: path.isEmpty ? nil : path, "expected an object, found \(value.typeName)")
        }
        self.source = source
        self.path = path
        self.object = object
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: String, _ message: String) -> InputError {
        InputError(source: source, field: fieldPath(key), message)
    }

    func rejectUnknownKeys(allowed: Set<String>) throws(InputError) {
        for key in object.keys where !allowed.contains(key) {
            throw fail(key, "unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws(InputError) -> String? {
        guard let value = object[key] else { return nil }
        guard case .string(let text) = value else { throw fail(key, "expected a string, found \(value.typeName)") }
        guard !text.isEmpty else { throw fail(key, "must not be empty") }
        return text
    }

    func requiredString(_ key: String) throws(InputError) -> String {
        guard let text = try string(key) else { throw fail(key, "is required") }
        return text
    }

    func int(_ key: String, range: ClosedRange<Int>) throws(InputError) -> Int? {
        guard let value = object[key] else { return nil }
        guard case .int(let number) = value else { throw fail(key, "expected an integer, found \(value.typeName)") }
        guard range.contains(Int(number)) else { throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)") }
        return Int(number)
    }

    func number(_ key: String, range: ClosedRange<Double>) throws(InputError) -> Double? {
        guard let value = object[key] else { return nil }
        let number: Double
        switch value {
        case .int(let i): number = Double(i)
        case .double(let d): number = d
        default: throw fail(key, "expected a number, found \(value.typeName)")
        }
        guard range.contains(number) else { throw fail(key, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)") }
        return number
    }

    func bool(_ key: String) throws(InputError) -> Bool? {
        guard let value = object[key] else { return nil }
        guard case .bool(let flag) = value else { throw fail(key, "expected true or false, found \(value.typeName)") }
        return flag
    }

    func stringArray(_ key: String) throws(InputError) -> [String]? {
        guard let value = object[key] else { return nil }
        guard case .array(let items) = value else { throw fail(key, "expected an array of strings, found \(value.typeName)") }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard case .string(let text) = item, !text.isEmpty else {
                throw InputError(source: source, field: "\(fieldPath(key))[\(i)]", "expected a non-empty string, found \(item.typeName)")
            }
            guard !result.contains(text) else {
                throw InputError(source: source, field: "\(fieldPath(key))[\(i)]", "\"\(text)\" is listed twice")
            }
            result.append(text)
        }
        return result
    }

    func objectArray(_ key: String) throws(InputError) -> [JSONFieldReader]? {
        guard let value = object[key] else { return nil }
        guard case .array(let items) = value else { throw fail(key, "expected an array, found \(value.typeName)") }
        var readers: [JSONFieldReader] = []
        for (i, item) in items.enumerated() {
            readers.append(try JSONFieldReader(source: source, path: "\(fieldPath(key))[\(i)]", value: item))
        }
        return readers
    }

    func nested(_ key: String) throws(InputError) -> JSONFieldReader? {
        guard let value = object[key] else { return nil }
        return try JSONFieldReader(source: source, path: fieldPath(key), value: value)
    }
}

/// Reads and parses a JSON input file, with errors that name it.
func readJSONFile(_ path: String) throws(InputError) -> JSONValue {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw InputError(source: path, "cannot read the file (missing or unreadable)")
    }
    do {
        return try JSONValue.parse(data)
    } catch {
        throw InputError(source: path, error.description)
    }
}
