// swift-tools-version:6.2
import PackageDescription

/// Release builds of Spool's own modules optimize across them (the JSON codec's small
/// functions inline into the protocol and the views; BENCHMARKS.md).
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "Spool",
    platforms: [.macOS(.v26)],
    products: [
        .executable(name: "spoold", targets: ["spoold"]),
        .executable(name: "spool", targets: ["spool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .target(name: "LMDB", dependencies: ["CLMDB", "CLibCrypto"], swiftSettings: crossModule),
        .systemLibrary(name: "CJemalloc", pkgConfig: "jemalloc", providers: [.apt(["libjemalloc-dev"])]),
        .target(name: "JSON", swiftSettings: crossModule),
        .target(
            name: "SpoolCore",
            dependencies: [
                "LMDB", "JSON", .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: crossModule
        ),
        .target(
            name: "SpoolProtocol",
            dependencies: [
                "JSON", "SpoolCore", "LMDB", .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: crossModule
        ),
        .target(
            name: "SpoolServer",
            dependencies: [
                "JSON", "SpoolCore", "SpoolProtocol",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: crossModule
        ),
        .target(
            name: "SpoolClient",
            dependencies: [
                "JSON", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ]
        ),
        .executableTarget(
            name: "spoold",
            dependencies: [
                "CJemalloc", "SpoolCore", "SpoolProtocol", "SpoolServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "spool",
            dependencies: [
                "CJemalloc", "JSON", "SpoolCore", "SpoolProtocol", "SpoolClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "BenchSupport", dependencies: ["JSON"], path: "tools/BenchSupport"),
        .executableTarget(
            name: "spool-bench",
            dependencies: [
                "BenchSupport", "CJemalloc", "SpoolCore", "SpoolProtocol", "LMDB", "JSON",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "tools/spool-bench"
        ),
        .executableTarget(
            name: "spool-load",
            dependencies: [
                "BenchSupport", "JSON", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            path: "tools/spool-load"
        ),
        .target(name: "SpoolTestSupport", dependencies: ["JSON", "SpoolClient"], path: "Tests/SpoolTestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB", "SpoolTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "SpoolCoreTests",
            dependencies: ["SpoolCore", "LMDB", "SpoolTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "SpoolProtocolTests", dependencies: ["JSON", "SpoolCore", "SpoolProtocol", "SpoolTestSupport"]),
        .testTarget(
            name: "SpoolServerTests",
            dependencies: [
                "SpoolServer", "SpoolCore", "SpoolProtocol", "SpoolTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "JSON", "SpoolClient", "SpoolTestSupport", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "SpoolCLITests", dependencies: ["JSON", "SpoolClient", "SpoolTestSupport"]),
    ]
)
