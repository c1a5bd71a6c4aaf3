import BindbeeSandbox
import Foundation
import Testing
@testable import BindbeeSync

/// The config's PII rules, through the built binary against the sandbox: an excluded field is
/// in no column and no `_record`, a hashed one is the same keyed hash on every run and never
/// the clear value, and `include_custom_fields` reaches the API.
@Suite(.serialized) struct PrivacyEndToEndTests {
    @Test func piiRulesFromTheConfigReachTheMirrorAndHoldAcrossRuns() throws {
        let dir = try ScratchDirectory()
        let sandbox = try Sandbox(seed: 11)
        defer { sandbox.stop() }
        let rules = #", "hash_key_env": "MIRROR_HASH_KEY", "models": {"hris/employees": {"exclude_fields": ["ssn", "date_of_birth"], "hash_fields": ["personal_email"], "include_custom_fields": true}}"#
        let configPath = try dir.write("config.json", config(for: sandbox, extra: rules))
        var env = environment(for: sandbox)
        env["MIRROR_HASH_KEY"] = "e2e-hash-key-0123456789abcdef"
        let db = dir.path("m.sqlite")
        let args = ["run", "--config", configPath, "--db", db, "--model", "employees", "--mode", "full"]
        let first = try BinaryRunner.run(args, environment: env)
        #expect(first.status == 0, "\(first.all)")
        #expect(!first.all.contains("e2e-hash-key-0123456789abcdef"))

        let served = sandbox.connectors.filter { $0.category == .hris }.flatMap { sandbox.dataset.records(connector: $0.name, model: "employees") }
        let clearEmails = served.compactMap { record -> String? in
            guard case .string(let email)? = try? JSONValue.parse(record.json(includeRawData: false, includeCustomFields: false))["personal_email"] else { return nil }
            return email
        }
        #expect(!clearEmails.isEmpty)
        func snapshot() throws -> [String: String] {
            let store = try MirrorStore(path: db)
            let rows = try store.query(#"SELECT _connector || '/' || id, "ssn", "date_of_birth", "personal_email", "_record", "custom_fields" FROM hris_employees"#)
            #expect(rows.count == served.count)
            var hashes: [String: String] = [:]
            for row in rows {
                #expect(row[1] == .null && row[2] == .null)
                let record = try JSONValue.parse(row[4].text ?? "")
                #expect(record["ssn"] == nil && record["date_of_birth"] == nil)
                #expect(record["first_name"] != nil)
                if case .text(let hash) = row[3] {
                    #expect(hash.count == 64 && hash.allSatisfy { $0.isHexDigit })
                    #expect(record["personal_email"] == .string(hash))
                    hashes[row[0].text ?? ""] = hash
                }
            }
            #expect(try store.query(#"SELECT COUNT(*) FROM hris_employees WHERE custom_fields IS NOT NULL"#).first?.first != .integer(0))
            return hashes
        }
        let before = try snapshot()
        #expect(!before.isEmpty)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        for email in clearEmails.prefix(50) { #expect(bytes.range(of: Data(email.utf8)) == nil, "\(email) is in the database file") }
        #expect(try BinaryRunner.run(args, environment: env).status == 0)
        #expect(try snapshot() == before)  // the same keyed hash on every run
    }
}
