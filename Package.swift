// swift-tools-version:6.0
import PackageDescription

// The module layout is DESIGN.md's "house": arrows point down only.
// Proxy -> {RADIUSFront, LDAPFront, DuoSim} -> {Policy, Upstream} -> {DuoAPI, RADIUSWire, LDAPWire}
let package = Package(
    name: "twofold",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "twofold", targets: ["Proxy"]),
        .library(name: "RADIUSWire", targets: ["RADIUSWire"]),
        .library(name: "LDAPWire", targets: ["LDAPWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Wire formats: pure values, no I/O. Only the standard library, NIOCore, Crypto and SwiftASN1.
        .target(
            name: "RADIUSWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "LDAPWire",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // The `twofold` executable.
        .executableTarget(
            name: "Proxy",
            dependencies: [
                "RADIUSWire",
                "LDAPWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `swift run -c release WireBenchmarks`: ns per decode and encode of the wire formats.
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: ["RADIUSWire", "LDAPWire"],
            path: "Benchmarks/WireBenchmarks"
        ),
        // Test helpers: peers (slapd, FreeRADIUS, radclient, pyrad, ...) started on 127.0.0.1 and
        // stopped by PID, free ports, waiting on a condition with a deadline.
        .target(
            name: "TestSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "RADIUSWireTests",
            dependencies: ["RADIUSWire", "TestSupport"]
        ),
        .testTarget(
            name: "LDAPWireTests",
            dependencies: ["LDAPWire", "TestSupport"]
        ),
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "RADIUSWire",
                "LDAPWire",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
