import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// A config pointing the binary at `sandbox`, one entry per connector (category overridable).
func config(for sandbox: Sandbox, categories: [String: String] = [:], extra: String = "") -> String {
    let connectors = sandbox.connectors.map { c in
        #"{"name": "\#(c.name)", "category": "\#(categories[c.name] ?? c.category.rawValue)", "token_env": "TOKEN_\#(c.name.replacingOccurrences(of: "-", with: "_").uppercased())"}"#
    }
    return #"{"base_url": "\#(sandbox.baseURL.absoluteString)", "api_key_env": "SANDBOX_KEY", "connectors": [\#(connectors.joined(separator: ", "))]\#(extra)}"#
}

func environment(for sandbox: Sandbox) -> [String: String] {
    var env = ["SANDBOX_KEY": sandbox.apiKey]
    for c in sandbox.connectors { env["TOKEN_\(c.name.replacingOccurrences(of: "-", with: "_").uppercased())"] = c.token }
    return env
}

func secrets(of sandbox: Sandbox) -> [String] { [sandbox.apiKey] + sandbox.connectors.map(\.token) }

/// Rows per (connector, table) must equal what the sandbox serves, and every `_record` its item.
/// Returns the number of records compared.
@discardableResult
func expectMirrorEqualsSandbox(_ store: MirrorStore, _ sandbox: Sandbox, connectors names: [String]? = nil, models: [String]? = nil,
                               sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    var compared = 0
    for connector in sandbox.connectors where names?.contains(connector.name) ?? true {
        for model in ModelCatalog.shared.models(in: connector.category) where models?.contains(model.model) ?? true {
            let served = sandbox.dataset.records(connector: connector.name, model: model.model)
            let rows = try store.query("SELECT id, _record FROM \(MirrorSchema.quote(model.tableName)) WHERE _connector = ?", [.text(connector.name)])
            #expect(rows.count == served.count, "\(connector.name) \(model.tableName)", sourceLocation: sourceLocation)
            let mirrored = Dictionary(rows.map { ($0[0].text!, $0[1].text!) }, uniquingKeysWith: { a, _ in a })
            for record in served {
                guard let text = mirrored[record.id] else {
                    Issue.record("\(connector.name) \(model.tableName) lacks \(record.id)", sourceLocation: sourceLocation)
                    continue
                }
                #expect(try JSONValue.parse(text) == record.item(), "\(model.tableName) \(record.id)", sourceLocation: sourceLocation)
                compared += 1
            }
        }
    }
    return compared
}
