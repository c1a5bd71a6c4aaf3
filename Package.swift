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
        // The core: config → catalog → plan → fetch → store.
        .target(
            name: "BindbeeSync",
            dependencies: ["CSQLite"],
            exclude: ["Catalog/models.json", "Catalog/update-catalog.sh"]
        ),
        // An imitation of the Bindbee API on loopback, for the demo and the tests.
        .target(
            name: "BindbeeSandbox",
            dependencies: ["BindbeeSync"]
        ),
        // Thin CLI: parses arguments and calls into the libraries.
        .executableTarget(
            name: "bindbee-sync",
            dependencies: ["BindbeeSync", "BindbeeSandbox"]
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
            dependencies: ["bindbee-sync", "BindbeeSync", "BindbeeSandbox", "CSQLite"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
