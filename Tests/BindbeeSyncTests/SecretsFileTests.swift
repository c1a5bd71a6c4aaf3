import Foundation
import Testing
@testable import BindbeeSync

/// The secrets file: dotenv / `EnvironmentFile=` syntax, refused when others can read it or when
/// a line is malformed (naming the line, never the value), and looked up before the environment.
@Suite struct SecretsFileTests {
    func write(_ dir: TemporaryDirectory, _ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
        let path = try dir.write(name, text)
        #expect(chmod(path, mode) == 0)
        return path
    }

    @Test func readsNamesWithExportCommentsBlankLinesAndQuotes() throws {
        let text = """
            # Bindbee credentials
            BINDBEE_API_KEY=bb_live_plain_value

            export ACME_TOKEN="double quoted \\"with\\" a \\\\ and = sign"
              SINGLE='single $quoted \\n stays'\r
            SPACED = spaced-value-123 \t
            EMPTY=
            HASH=value#not-a-comment
            ; a systemd-style comment
            BARE=back\\slash\\\\kept-once
            """
        let values = try SecretsFile.parse(Data(text.utf8), source: "s.env")
        #expect(values["BINDBEE_API_KEY"]?.revealed == "bb_live_plain_value")
        #expect(values["ACME_TOKEN"]?.revealed == #"double quoted "with" a \ and = sign"#)
        #expect(values["SINGLE"]?.revealed == #"single $quoted \n stays"#)
        #expect(values["SPACED"]?.revealed == "spaced-value-123")
        #expect(values["EMPTY"]?.revealed == "")
        #expect(values["HASH"]?.revealed == "value#not-a-comment")
        #expect(values["BARE"]?.revealed == #"backslash\kept-once"#)
        #expect(values.count == 7)
    }

    @Test(arguments: [
        ("A=1\njust-a-secret-value-9f8e7d\n", 2, "expected NAME=value"),
        ("A=1\nB=2\n9BAD=secret-value-9f8e7d\n", 3, "the name before '=' must be"),
        ("OK=1\nTOKEN=\"secret-value-9f8e7d\n", 2, "TOKEN: the quoted value has no closing \""),
        ("TOKEN='secret-value-9f8e7d' trailing-9f8e7d\n", 1, "TOKEN: unexpected text after the closing '"),
        ("TOKEN=secret-value-9f8e7d\n# again\nTOKEN=other-value-9f8e7d\n", 3, "TOKEN is already set on line 1"),
        ("TOKEN=secret-value-9f8e7d\\\n", 1, "TOKEN: a trailing backslash"),
    ])
    func aMalformedLineIsNamedByNumberWithoutItsValue(_ text: String, _ line: Int, _ expected: String) throws {
        do {
            _ = try SecretsFile.parse(Data(text.utf8), source: "/etc/bindbee/secrets.env")
            Issue.record("accepted a malformed file")
        } catch {
            #expect(error.source == "/etc/bindbee/secrets.env")
            #expect(error.field == "line \(line)")
            #expect(error.description.contains(expected), "\(error)")
            #expect(!error.description.contains("9f8e7d"), "\(error)")
        }
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o620, 0o602, 0o660])
    func aFileOthersCanAccessIsRefusedNamingItsMode(_ mode: Int) throws {
        let dir = try TemporaryDirectory()
        let path = try write(dir, "secrets.env", "TOKEN=secret-value-9f8e7d\n", mode: mode_t(mode))
        do {
            _ = try SecretsFile.load(path: path)
            Issue.record("accepted mode \(String(mode, radix: 8))")
        } catch {
            #expect(error.description == "\(path): the secrets file is readable or writable by group or others (mode 0\(String(mode, radix: 8))); chmod 600 it")
        }
    }

    @Test func aMissingFileOrADirectoryIsRefusedAndMode0400Is0600Accepted() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: InputError(source: dir.path("nope.env"), "cannot read the secrets file: no such file")) {
            try SecretsFile.load(path: dir.path("nope.env"))
        }
        try FileManager.default.createDirectory(atPath: dir.path("d.env"), withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        #expect(throws: InputError(source: dir.path("d.env"), "the secrets file is not a regular file")) {
            try SecretsFile.load(path: dir.path("d.env"))
        }
        #expect(try SecretsFile.load(path: write(dir, "a.env", "A=x\n", mode: 0o400))["A"]?.revealed == "x")
        #expect(try SecretsFile.load(path: write(dir, "b.env", "B=y\n", mode: 0o600))["B"]?.revealed == "y")
    }

    @Test func configNamesAreLookedUpInTheSecretsFileFirstThenTheEnvironment() throws {
        let dir = try TemporaryDirectory()
        _ = try write(dir, "secrets.env", "API_KEY=key-from-file-123\nTOKEN_A=token-a-from-file\n")
        let configPath = try dir.write("config.json", """
            {"base_url": "https://api.bindbee.dev", "api_key_env": "API_KEY", "secrets_file": "secrets.env",
             "connectors": [{"name": "a", "category": "hris", "token_env": "TOKEN_A"},
                            {"name": "b", "category": "ats", "token_env": "TOKEN_B"}]}
            """)
        let environment = ["API_KEY": "key-from-environment", "TOKEN_A": "token-a-from-environment", "TOKEN_B": "token-b-from-environment"]
        let config = try ConfigLoader.load(path: configPath, environment: environment)
        #expect(config.apiKey?.revealed == "key-from-file-123")
        #expect(config.connector(named: "a")?.token.revealed == "token-a-from-file")
        #expect(config.connector(named: "b")?.token.revealed == "token-b-from-environment")
        #expect(Set(config.secrets.map(\.revealed)) == ["key-from-file-123", "token-a-from-file", "token-b-from-environment"])
        // Printing the config never shows a value.
        #expect(!"\(config)".contains("from-file"))

        // A name set nowhere names both places.
        do {
            _ = try ConfigLoader.load(path: configPath, environment: ["API_KEY": "k"])
            Issue.record("TOKEN_B is set nowhere")
        } catch {
            #expect(error.description == "\(configPath): connectors[1].token_env: environment variable TOKEN_B is not set, and the secrets file \(dir.path("secrets.env")) does not set it either")
        }
    }

    @Test func aRelativeSecretsFileResolvesAgainstTheConfigsDirectoryAndAnAbsoluteOneAsIs() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.path("etc"), withIntermediateDirectories: false)
        _ = try write(dir, "etc/creds.env", "K=key-in-etc-dir-1\n")
        let relative = try dir.write("etc/config.json", #"{"sandbox": {}, "api_key_env": "K", "secrets_file": "creds.env", "connectors": []}"#)
        // The working directory is not the config's: the relative name still resolves next to the config.
        #expect(FileManager.default.currentDirectoryPath != dir.path("etc"))
        #expect(try ConfigLoader.load(path: relative, environment: [:]).apiKey?.revealed == "key-in-etc-dir-1")
        let absolute = try dir.write("config.json", #"{"sandbox": {}, "api_key_env": "K", "secrets_file": "\#(dir.path("etc/creds.env"))", "connectors": []}"#)
        #expect(try ConfigLoader.load(path: absolute, environment: [:]).apiKey?.revealed == "key-in-etc-dir-1")
        // A world-readable one fails the config load, naming the secrets file.
        #expect(chmod(dir.path("etc/creds.env"), 0o644) == 0)
        #expect(throws: InputError(source: dir.path("etc/creds.env"),
                                   "the secrets file is readable or writable by group or others (mode 0644); chmod 600 it")) {
            try ConfigLoader.load(path: relative, environment: ["K": "from-env"])
        }
    }
}
