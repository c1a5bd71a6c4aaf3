import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// A production-like setup against the sandbox: the API key and every token in a `chmod 600`
/// secrets file next to the config (nothing in the environment), optionally faults, and a
/// connector whose token the sandbox refuses (401).
struct OperationsFixture {
    let dir: ScratchDirectory
    let sandbox: Sandbox
    let configPath: String
    let secretsPath: String
    /// The token of the connector the sandbox refuses, when there is one.
    let wrongToken: String?

    static let wrongConnector = "refused-hris"
    /// Fast backoff, a small page and no client-side throttling, so a faulty run takes seconds.
    static let quick = #", "page_size": 7, "concurrency": 6, "rate_limit": {"requests": 100000, "per_seconds": 60}, "retry": {"base_delay_seconds": 0.01, "max_delay_seconds": 0.2, "max_attempts": 10}, "connect_timeout_seconds": 1, "request_timeout_seconds": 3"#

    init(seed: UInt64, faults: FaultPlan = .none, refusedConnector: Bool = false) throws {
        dir = try ScratchDirectory()
        var options = Sandbox.Options(seed: seed, rateLimit: 1_000_000, faults: faults)
        options.apiKey = "sbx_ops_api_key_\(UUID().uuidString.prefix(8))"
        sandbox = try Sandbox(options: options)
        var lines = ["# test secrets", "OPS_API_KEY=\(sandbox.apiKey)"]
        var connectors: [String] = []
        for (i, connector) in sandbox.connectors.enumerated() {
            let name = "OPS_TOKEN_\(i)"
            // Every quoting form the file allows.
            lines.append(i % 3 == 0 ? "\(name)=\(connector.token)" : i % 3 == 1 ? "export \(name)=\"\(connector.token)\"" : "\(name)='\(connector.token)'")
            connectors.append(#"{"name": "\#(connector.name)", "category": "\#(connector.category.rawValue)", "token_env": "\#(name)"}"#)
        }
        if refusedConnector {
            let token = "sbx_refused_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
            lines.append("OPS_TOKEN_REFUSED=\(token)")
            connectors.append(#"{"name": "\#(Self.wrongConnector)", "category": "hris", "token_env": "OPS_TOKEN_REFUSED"}"#)
            wrongToken = token
        } else {
            wrongToken = nil
        }
        secretsPath = try dir.write("secrets.env", lines.joined(separator: "\n") + "\n")
        #expect(chmod(secretsPath, 0o600) == 0)
        configPath = try dir.write("config.json", #"{"base_url": "\#(sandbox.baseURL.absoluteString)", "api_key_env": "OPS_API_KEY", "secrets_file": "secrets.env", "connectors": [\#(connectors.joined(separator: ", "))]\#(Self.quick)}"#)
    }

    /// The API key and every token, including the refused one.
    var secrets: [String] { [sandbox.apiKey] + sandbox.connectors.map(\.token) + (wrongToken.map { [$0] } ?? []) }

    var db: String { dir.path("mirror.sqlite") }

    func run(_ extra: [String] = [], db: String? = nil) throws -> BinaryRunner.Outcome {
        try BinaryRunner.run(["run", "--config", configPath, "--db", db ?? self.db] + extra)
    }

    func stop() { sandbox.stop() }
}

/// One log line as key → value, from logfmt (`key=value key="quoted \" value"`) or a JSON line.
func logFields(_ line: String) -> [String: String]? {
    if line.hasPrefix("{") {
        guard case .object(let object)? = try? JSONValue.parse(Array(line.utf8)) else { return nil }
        var fields: [String: String] = [:]
        for (key, value) in object { fields[key] = value.stringValue ?? value.serialized }
        return fields
    }
    var fields: [String: String] = [:]
    var rest = Substring(line)
    while !rest.isEmpty {
        rest = rest.drop { $0 == " " }
        guard let equals = rest.firstIndex(of: "=") else { return rest.isEmpty ? fields : nil }
        let key = String(rest[..<equals])
        rest = rest[rest.index(after: equals)...]
        var value = ""
        if rest.first == "\"" {
            rest = rest.dropFirst()
            var closed = false
            while let character = rest.first {
                rest = rest.dropFirst()
                if character == "\"" { closed = true; break }
                if character == "\\", let next = rest.first {
                    rest = rest.dropFirst()
                    value.append(next == "n" ? "\n" : next)
                } else {
                    value.append(character)
                }
            }
            guard closed else { return nil }
        } else {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            value = String(rest[..<end])
            rest = rest[end...]
        }
        fields[key] = value
    }
    return fields
}
