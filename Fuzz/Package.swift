// swift-tools-version:6.0
import PackageDescription

// Coverage-guided fuzzers for the wire formats (libFuzzer). Kept out of the main package so that
// `swift build` never builds them. See README.md in this folder.
let package = Package(
    name: "twofold-fuzz",
    dependencies: [
        .package(name: "twofold", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "RADIUSPacketFuzzer",
            dependencies: ["FuzzSupport", .product(name: "RADIUSWire", package: "twofold")]
        ),
        .executableTarget(
            name: "LDAPMessageFuzzer",
            dependencies: [
                "FuzzSupport",
                .product(name: "LDAPWire", package: "twofold"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
