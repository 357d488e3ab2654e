import Foundation
import Logging
import ServiceLifecycle
import SpoolCore

/// Keeps the engine open while the service group runs and shuts it down at the end: pending
/// subscription state is written, the writer finishes what was queued, then the data is
/// synced. Put it before the server in the group, so the server (shut down first) has stopped
/// using the engine when this closes it.
public struct EngineService: Service {
    public let engine: Engine
    let logger: Logger

    public init(engine: Engine, logger: Logger) {
        self.engine = engine
        self.logger = logger
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await engine.shutdown()
        logger.info("engine closed")
    }
}
