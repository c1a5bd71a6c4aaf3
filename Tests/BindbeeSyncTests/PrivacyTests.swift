import Foundation
import Testing
@testable import BindbeeSync

/// PII controls: excluded fields never reach the mirror (neither column nor `_record`), hashed
/// fields are stored as HMAC-SHA256 under the configured key (stable, joinable, not the clear
/// value), rows already mirrored are scrubbed when the rules gain a field, and another key is
/// refused.
@Suite struct PrivacyTests {
    let employees = ModelCatalog.shared.model(.hris, "employees")!
    let key = Secret("k3y-for-tests-0123456789abcdef")
    let rules = ModelOptions(excludeFields: ["ssn", "date_of_birth"], hashFields: ["personal_email", "work_email"])

    /// Two employees with PII, one field escaped, one null.
    let records = [
        #"{"id":"e1","first_name":"Ana","ssn":"123-45-6789","date_of_birth":"1980-01-02","personal_email":"ana@mail.example","work_email":"ana@acme.example","groups":[{"id":"g"}]}"#,
        #"{"id":"e2","first_name":"Zo\u00eb","ssn":null,"personal_email":"zo\u00eb@mail.example","work_email":null}"#,
    ]

    func write(_ path: String, privacy: MirrorPrivacy) throws -> MirrorStore {
        let store = try MirrorStore(path: path, privacy: privacy)
        try store.write(page: PageScanner.scan(pageJSON(records, cursor: nil)), model: employees, connector: "acme")
        return store
    }

    func row(_ store: MirrorStore, _ id: String) throws -> [String: SQLiteValue] {
        let rows = try store.query(#"SELECT "ssn", "date_of_birth", "personal_email", "work_email", "first_name", "_record" FROM hris_employees WHERE id = ?"#, [.text(id)])
        let values = try #require(rows.first)
        return Dictionary(uniqueKeysWithValues: zip(["ssn", "date_of_birth", "personal_email", "work_email", "first_name", "_record"], values))
    }

    @Test func hmacSHA256MatchesRFC4231() {
        // RFC 4231, test case 2.
        #expect(FieldHasher(key: Secret("Jefe")).hex("what do ya want for nothing?")
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func excludedFieldsAreAbsentAndHashedFieldsAreKeyedHashes() throws {
        let dir = try TemporaryDirectory()
        let hasher = FieldHasher(key: key)
        let store = try write(dir.path("m.sqlite"), privacy: MirrorPrivacy(options: ["hris/employees": rules], hasher: hasher))
        let ana = try row(store, "e1")
        #expect(ana["ssn"] == .null)
        #expect(ana["date_of_birth"] == .null)
        #expect(ana["personal_email"] == .text(hasher.hex("ana@mail.example")))
        #expect(ana["work_email"] == .text(hasher.hex("ana@acme.example")))
        #expect(ana["first_name"] == .text("Ana"))
        let record = try JSONValue.parse(try #require(ana["_record"]?.text))
        #expect(record["ssn"] == nil)
        #expect(record["date_of_birth"] == nil)
        #expect(record["personal_email"] == .string(hasher.hex("ana@mail.example")))
        #expect(record["groups"] == (try JSONValue.parse(#"[{"id":"g"}]"#)))
        let text = try #require(ana["_record"]?.text)
        for clear in ["123-45-6789", "1980-01-02", "ana@mail.example", "ana@acme.example"] { #expect(!text.contains(clear)) }
        // The escaped value is hashed as its decoded text; null stays null.
        let zoe = try row(store, "e2")
        #expect(zoe["personal_email"] == .text(hasher.hex("zo\u{EB}@mail.example")))
        #expect(zoe["work_email"] == .null)
        #expect(try JSONValue.parse(try #require(zoe["_record"]?.text))["ssn"] == nil)
    }

    @Test func hashesAreStableAcrossRunsAndDifferUnderAnotherKey() throws {
        let dir = try TemporaryDirectory()
        let privacy = MirrorPrivacy(options: ["hris/employees": rules], hasher: FieldHasher(key: key))
        let first = try row(try write(dir.path("a.sqlite"), privacy: privacy), "e1")["personal_email"]
        let second = try row(try write(dir.path("b.sqlite"), privacy: privacy), "e1")["personal_email"]
        #expect(first == second)
        #expect(first != .text("ana@mail.example"))
        let other = MirrorPrivacy(options: ["hris/employees": rules], hasher: FieldHasher(key: Secret("another-key-0123456789")))
        #expect(try row(try write(dir.path("c.sqlite"), privacy: other), "e1")["personal_email"] != first)
    }

    @Test func rowsAlreadyMirroredAreScrubbedWhenTheRulesGainFields() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        _ = try write(path, privacy: .none)
        let hasher = FieldHasher(key: key)
        let store = try MirrorStore(path: path, privacy: MirrorPrivacy(options: ["hris/employees": rules], hasher: hasher))
        #expect(store.scrubbed["hris/employees.ssn"] == 2)  // a null member is removed from _record too
        #expect(store.scrubbed["hris/employees.personal_email"] == 2)
        let ana = try row(store, "e1")
        #expect(ana["ssn"] == .null)
        #expect(ana["personal_email"] == .text(hasher.hex("ana@mail.example")))  // the hash the writer gives
        let record = try JSONValue.parse(try #require(ana["_record"]?.text))
        #expect(record["ssn"] == nil)
        #expect(record["personal_email"] == .string(hasher.hex("ana@mail.example")))
        #expect(record["first_name"] == .string("Ana"))
        // Opening again with the same rules changes nothing.
        #expect(try MirrorStore(path: path, privacy: MirrorPrivacy(options: ["hris/employees": rules], hasher: hasher)).scrubbed.isEmpty)
    }

    @Test func aDifferentHashKeyIsRefused() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path("m.sqlite")
        _ = try write(path, privacy: MirrorPrivacy(options: ["hris/employees": rules], hasher: FieldHasher(key: key)))
        #expect(throws: MirrorStoreError.self) {
            try MirrorStore(path: path, privacy: MirrorPrivacy(options: ["hris/employees": rules], hasher: FieldHasher(key: Secret("not-the-same-key-012345"))))
        }
    }

    @Test func includeFlagsAreSentAndPartOfTheWalk() {
        let connector = ConnectorConfig(name: "acme", category: .hris, token: Secret("token-acme-123456"))
        let plan = PullPlan(connector: connector, model: employees, mode: .full, options: ModelOptions(includeRawData: true, includeCustomFields: true))
        #expect(plan.queryParameters(modifiedAfter: "T").map { "\($0.name)=\($0.value)" } == ["modified_after=T", "include_raw_data=true", "include_custom_fields=true"])
        #expect(plan.walkSpec(state: nil, pageSize: 200).parameters == #"[["page_size","200"],["include_raw_data","true"],["include_custom_fields","true"]]"#)
        #expect(PullPlan(connector: connector, model: employees, mode: .full).walkSpec(state: nil, pageSize: 200).parameters == #"[["page_size","200"]]"#)
    }

    @Test(arguments: [
        (#""models": {"hris/employees": {"exclude_fields": ["shoe_size"]}}"#, #"models.hris/employees.exclude_fields[0]: "shoe_size" is not a field"#),
        (#""models": {"employees": {}}"#, "use category/model (hris/employees)"),
        (#""models": {"hris/employees": {"hash_fields": ["personal_email"]}}"#, "hash_key_env: is required"),
        (#""hash_key": "short", "models": {"hris/employees": {"hash_fields": ["personal_email"]}}"#, "at least 16 bytes"),
        (#""hash_key": "0123456789abcdef0123", "models": {"hris/employees": {"hash_fields": ["groups"]}}"#, "\"groups\" is not a text field"),
        (#""models": {"hris/employees": {"exclude_fields": ["id"]}}"#, "id is the mirror's key"),
        (#""models": {"hris/employees": {"exclude_fields": ["ssn"], "include_raw_data": true}}"#, "raw_data is the upstream record"),
        (#""models": {"hris/employees": {"exclude_fields": ["ssn"], "hash_fields": ["ssn"], "hash_key": "x"}}"#, "unknown key"),
    ])
    func badModelOptionsAreRefusedNamingTheField(_ fragment: String, _ expected: String) throws {
        let text = #"{"sandbox": {}, "connectors": [], "# + fragment + "}"
        do {
            _ = try ConfigLoader.parse(try JSONValue.parse(text), source: "c.json", environment: [:])
            Issue.record("accepted: \(fragment)")
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
            #expect(!"\(error)".contains("0123456789abcdef0123"))
        }
    }
}
