import Foundation
import BindbeeSync

/// What a command accepts: options that take a value (some repeatable) and bare flags.
struct ArgumentSpec {
    var command: String
    var valueOptions: Set<String> = []
    var repeatableOptions: Set<String> = []
    var flags: Set<String> = ["--help"]
    var maxPositionals = 0
}

/// Command-line arguments after parsing against an `ArgumentSpec`. Anything unexpected is an
/// `InputError` naming the flag (exit status 2), never silently ignored.
struct ParsedArguments {
    var positionals: [String] = []
    var values: [String: [String]] = [:]
    var flags: Set<String> = []

    static func parse(_ arguments: [String], spec: ArgumentSpec) throws(InputError) -> ParsedArguments {
        var parsed = ParsedArguments()
        var index = 0
        let source = "bindbee-sync \(spec.command)"
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                parsed.positionals += arguments[index...]
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                parsed.positionals.append(argument)
                continue
            }
            var name = argument
            var inlineValue: String?
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            if name == "-h" { name = "--help" }
            if spec.flags.contains(name) {
                guard inlineValue == nil else { throw InputError(source: source, field: name, "takes no value") }
                parsed.flags.insert(name)
            } else if spec.valueOptions.contains(name) || spec.repeatableOptions.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else { throw InputError(source: source, field: name, "needs a value") }
                    value = arguments[index]
                    index += 1
                }
                guard !value.isEmpty else { throw InputError(source: source, field: name, "needs a non-empty value") }
                if !spec.repeatableOptions.contains(name), parsed.values[name] != nil {
                    throw InputError(source: source, field: name, "given more than once")
                }
                parsed.values[name, default: []].append(value)
            } else {
                let known = (spec.flags.union(spec.valueOptions).union(spec.repeatableOptions)).sorted().joined(separator: ", ")
                throw InputError(source: source, field: name, "unknown option (known: \(known))")
            }
        }
        if parsed.positionals.count > spec.maxPositionals, !parsed.flags.contains("--help") {
            throw InputError(source: source, "unexpected argument \"\(parsed.positionals[spec.maxPositionals])\"")
        }
        return parsed
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    func int(_ name: String, range: ClosedRange<Int>, command: String) throws(InputError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw InputError(source: "bindbee-sync \(command)", field: name,
                             "expected a whole number from \(range.lowerBound) to \(range.upperBound), found \"\(text)\"")
        }
        return number
    }
}

/// The `--db FILE` of a command that reads an existing mirror (`status`, `verify`): the
/// database's path, or the exit status to return at once (help printed, or bad input reported).
enum ExistingDatabase {
    enum Parsed {
        case path(String)
        case exit(Int32)
    }

    static func parse(_ arguments: [String], spec: ArgumentSpec, help: String, output: CommandOutput) -> Parsed {
        FileModes.restrict()  // a read-only open of a WAL database may still create its -shm
        do {
            let parsed = try ParsedArguments.parse(arguments, spec: spec)
            if parsed.has("--help") {
                output.out(help)
                return .exit(ExitCode.ok)
            }
            guard let db = parsed.value("--db") else { throw InputError(source: "bindbee-sync \(spec.command)", field: "--db", "is required") }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: db, isDirectory: &isDirectory) else { throw InputError(source: db, "no such database") }
            guard !isDirectory.boolValue else { throw InputError(source: db, "is a directory, not a database") }
            return .path(db)
        } catch {
            output.err("error: \(error)\nRun 'bindbee-sync \(spec.command) --help' for usage.")
            return .exit(ExitCode.badInput)
        }
    }
}
