import BindbeeSync

/// The JSON body of an admin request, read field by field the way a FastAPI model validates
/// one: each problem becomes an `HTTPValidationError` entry whose `loc` names the field
/// (`["body", "seconds"]`), and unknown fields are refused, so a typo (`"updates"`) is an
/// error instead of a silent no-op.
struct AdminBody {
    private var object = JSONObject()
    private(set) var errors = ValidationErrors()
    private var read: Set<String> = []

    /// An empty body reads as `{}`.
    init(_ bytes: [UInt8]) {
        guard bytes.contains(where: { !" \t\r\n".utf8.contains($0) }) else { return }
        do {
            let value = try JSONValue.parse(bytes)
            guard let object = value.objectValue else {
                errors.add(loc: [.string("body")], type: "model_attributes_type",
                           message: "Input should be a valid dictionary or object to extract fields from", input: value)
                return
            }
            self.object = object
        } catch {
            errors.add(loc: [.string("body"), .int(Int64(error.offset))], type: "json_invalid",
                       message: "JSON decode error", input: .object(JSONObject()),
                       context: JSONObject([("error", .string(error.message))]))
        }
    }

    var isEmpty: Bool { object.count == 0 }

    /// The 422 to answer with, or nil when every field read so far was valid.
    var failure: HTTPResponse? { errors.isEmpty ? nil : .json(422, errors.body) }

    /// A field's value as sent (null when absent), for error entries.
    func input(_ name: String) -> JSONValue { object[name] ?? .null }

    /// Records a refusal of `name`'s value for a reason that is not its type (a value error).
    mutating func refuse(_ name: String, _ message: String) {
        errors.add(loc: [.string("body"), .string(name)], type: "value_error", message: "Value error, \(message)",
                   input: input(name))
    }

    /// The value of `name`; absent (and recorded as missing when `required`) gives nil.
    private mutating func value(_ name: String, required: Bool) -> JSONValue? {
        read.insert(name)
        guard let value = object[name] else {
            if required {
                errors.add(loc: [.string("body"), .string(name)], type: "missing", message: "Field required",
                           input: .object(object))
            }
            return nil
        }
        return value
    }

    private mutating func wrongType(_ name: String, _ type: String, _ message: String) {
        errors.add(loc: [.string("body"), .string(name)], type: type, message: message, input: input(name))
    }

    mutating func number(_ name: String, required: Bool = false) -> Double? {
        switch value(name, required: required) {
        case nil: return nil
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default:
            wrongType(name, "float_type", "Input should be a valid number")
            return nil
        }
    }

    /// An integer of at least `minimum`.
    mutating func integer(_ name: String, required: Bool = false, minimum: Int64 = .min) -> Int64? {
        switch value(name, required: required) {
        case nil: return nil
        case .int(let i)? where i >= minimum: return i
        case .int?:
            errors.add(loc: [.string("body"), .string(name)], type: "greater_than_equal",
                       message: "Input should be greater than or equal to \(minimum)", input: input(name),
                       context: JSONObject([("ge", .int(minimum))]))
            return nil
        default:
            wrongType(name, "int_type", "Input should be a valid integer")
            return nil
        }
    }

    mutating func string(_ name: String, required: Bool = false) -> String? {
        switch value(name, required: required) {
        case nil: return nil
        case .string(let s)?: return s
        default:
            wrongType(name, "string_type", "Input should be a valid string")
            return nil
        }
    }

    /// nil: absent; `.some(nil)`: null; otherwise the string.
    mutating func nullableString(_ name: String) -> String?? {
        switch value(name, required: false) {
        case nil: return nil
        case .null?: return .some(nil)
        case .string(let s)?: return .some(s)
        default:
            wrongType(name, "string_type", "Input should be a valid string")
            return nil
        }
    }

    mutating func bool(_ name: String) -> Bool? {
        switch value(name, required: false) {
        case nil: return nil
        case .bool(let b)?: return b
        default:
            wrongType(name, "bool_type", "Input should be a valid boolean")
            return nil
        }
    }

    mutating func strings(_ name: String) -> [String]? {
        guard let value = value(name, required: false) else { return nil }
        guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
            wrongType(name, "list_type", "Input should be a valid list of strings")
            return nil
        }
        return items.compactMap(\.stringValue)
    }

    /// An object of integers (`{"employees": 30}`).
    mutating func integers(_ name: String) -> [String: Int]? {
        guard let value = value(name, required: false) else { return nil }
        guard let object = value.objectValue, object.allSatisfy({ $0.value.intValue != nil }) else {
            wrongType(name, "dict_type", "Input should be a valid object of integers")
            return nil
        }
        var out: [String: Int] = [:]
        for (key, count) in object { out[key] = Int(clamping: count.intValue ?? 0) }
        return out
    }

    /// Refuses every field no accessor asked for. Call after reading all of them.
    mutating func finish() {
        for (name, value) in object where !read.contains(name) {
            errors.add(loc: [.string("body"), .string(name)], type: "extra_forbidden",
                       message: "Extra inputs are not permitted", input: value)
        }
    }
}
