import Foundation
import Testing
@testable import BindbeeSync

/// Every config the repository ships loads (with its secrets supplied), so a README step that
/// installs one never starts with a config error.
@Suite struct ShippedConfigTests {
    @Test func everyShippedConfigLoads() throws {
        let directory = BinaryRunner.repoRoot.appendingPathComponent("config")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(names.contains("production.example.json") && names.contains("production.sandbox.json"))
        for name in names {
            let path = directory.appendingPathComponent(name).path
            guard case .object(var root) = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: path))) else {
                Issue.record("\(name) is not an object"); continue
            }
            // The secrets file lives in /etc on a server: supply every *_env from the environment instead.
            root["secrets_file"] = nil
            let text = JSONValue.object(root).serialized
            let names = Set(text.matches(of: /"(?:api_key|token|hash_key)_env":"([A-Z0-9_]+)"/).map { String($0.1) })
            let environment = Dictionary(uniqueKeysWithValues: names.map { ($0, "value-of-\($0.lowercased())-0123456789") })
            let config = try ConfigLoader.parse(.object(root), source: path, environment: environment)
            if name.hasPrefix("production") {
                #expect(!config.modelOptions.isEmpty, "\(name) shows the PII rules")
                #expect(config.modelOptions["hris/employees"]?.excludeFields.contains("ssn") == true)
            }
        }
    }
}
