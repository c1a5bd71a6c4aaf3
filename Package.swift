// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "bindbee-sync",
    products: [
        .executable(name: "bindbee-sync", targets: ["bindbee-sync"]),
    ],
    targets: [
        // libsqlite3 through a system-library target with a small C shim.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // OpenSSL's libcrypto, for HMAC-SHA256 of hashed PII fields.
        .systemLibrary(
            name: "CCrypto",
            path: "Sources/CCrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // The core: config → catalog → plan → fetch → store.
        .target(
            name: "BindbeeSync",
            dependencies: ["CSQLite", "CCrypto"],
            exclude: ["Catalog/models.json", "Catalog/update-catalog.sh"]
        ),
        // An imitation of the Bindbee API on loopback, for the demo and the tests.
        .target(
            name: "BindbeeSandbox",
            dependencies: ["BindbeeSync"]
        ),
        // The commands (run, sandbox): argument parsing and wiring of the libraries.
        .target(
            name: "BindbeeCommands",
            dependencies: ["BindbeeSync", "BindbeeSandbox"]
        ),
        // Thin entry point: hands the arguments to BindbeeCommands.
        .executableTarget(
            name: "bindbee-sync",
            dependencies: ["BindbeeCommands"]
        ),
        .testTarget(
            name: "BindbeeSyncTests",
            dependencies: ["BindbeeSync", "BindbeeSandbox", "CSQLite"]
        ),
        .testTarget(
            name: "BindbeeSandboxTests",
            dependencies: ["BindbeeSandbox", "BindbeeSync"]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["bindbee-sync", "BindbeeCommands", "BindbeeSync", "BindbeeSandbox", "CSQLite"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
