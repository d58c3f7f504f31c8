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
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
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
        // Duo Auth API v2: request signing, typed results, failure classification, the HTTPS client,
        // the circuit breaker, Duo Web v2 signatures.
        .target(
            name: "DuoAPI",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The decision: identity parsing, sections, the primary -> Duo flow, failmode, factors,
        // exemptions, lockout, auth events. Reaches the outside only through PrimaryAuthenticator
        // and SecondFactor, so it is tested with fakes.
        .target(
            name: "Policy",
            dependencies: [
                "DuoAPI",
                "RADIUSWire",
                "LDAPWire",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // Primary authenticators that Policy calls: LDAP / Active Directory, upstream RADIUS, a
        // local users file. They conform to Policy's PrimaryAuthenticator.
        .target(
            name: "Upstream",
            dependencies: [
                "Policy",
                "RADIUSWire",
                "LDAPWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The RADIUS listener: clients by source network, duplicate detection, sealed challenge
        // State, section modes -> Policy, replies with Message-Authenticator first.
        .target(
            name: "RADIUSFront",
            dependencies: [
                "Policy",
                "RADIUSWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // The LDAP listener: clear LDAP with StartTLS and LDAPS, a per-connection session state machine,
        // the `[ldap_server_duo_only]` directory (Juniper's Duo LDAP service) -> Policy.
        .target(
            name: "LDAPFront",
            dependencies: [
                "Policy",
                "Upstream",
                "LDAPWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // A Duo Auth API server for tests, the demo and failmode experiments (`twofold duo-sim`).
        .target(
            name: "DuoSim",
            dependencies: [
                "DuoAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `twofold` executable.
        .executableTarget(
            name: "Proxy",
            dependencies: [
                "RADIUSWire",
                "LDAPWire",
                "DuoAPI",
                "DuoSim",
                "Policy",
                "Upstream",
                "RADIUSFront",
                "LDAPFront",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // `swift run -c release WireBenchmarks`: ns per decode and encode of the wire formats.
        .executableTarget(
            name: "WireBenchmarks",
            dependencies: ["RADIUSWire", "LDAPWire"],
            path: "Benchmarks/WireBenchmarks"
        ),
        // `swift run -c release DuoBenchmarks`: logins per second from the Duo client to the simulator
        // over TLS, and many pushes pending at once.
        .executableTarget(
            name: "DuoBenchmarks",
            dependencies: [
                "DuoAPI", "DuoSim",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Benchmarks/DuoBenchmarks"
        ),
        // `swift run -c release PolicyBenchmarks`: decisions per second of the policy engine (fake
        // primary, fake Duo) and local password checks per second per hash cost.
        .executableTarget(
            name: "PolicyBenchmarks",
            dependencies: ["Policy", "Upstream", "DuoAPI"],
            path: "Benchmarks/PolicyBenchmarks"
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
            name: "DuoAPITests",
            dependencies: [
                "DuoAPI",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "DuoSimTests",
            dependencies: [
                "DuoSim",
                "DuoAPI",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "PolicyTests",
            dependencies: [
                "Policy",
                "DuoAPI",
                "RADIUSWire",
                "LDAPWire",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        .testTarget(
            name: "UpstreamTests",
            dependencies: [
                "Upstream",
                "DuoSim",
                "Policy",
                "RADIUSWire",
                "LDAPWire",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RADIUSFrontTests",
            dependencies: [
                "RADIUSFront",
                "Policy",
                "RADIUSWire",
                "DuoAPI",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "LDAPFrontTests",
            dependencies: [
                "LDAPFront",
                "Policy",
                "LDAPWire",
                "DuoAPI",
                "DuoSim",
                "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ProxyTests",
            dependencies: [
                "Proxy", "Policy", "LDAPWire", "RADIUSWire", "RADIUSFront", "LDAPFront", "Upstream", "DuoAPI", "DuoSim", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
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
