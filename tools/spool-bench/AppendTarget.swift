import Foundation
import SpoolCore

/// What `spool-bench append` appends through, so the cost of each layer can be told apart.
enum Layer: String, CaseIterable {
    /// `Engine.append`: validation, encoding, the log and every inline view (what the server runs).
    case engine
    /// `AppendRequest.prepare` then a `Writer` with no projectors: the log alone.
    case log
}

/// An open data directory and the way to append to it for one run.
final class AppendTarget: Sendable {
    private let engine: Engine?
    private let store: Store
    /// The writer every append goes through.
    let writer: Writer

    /// Opens `directory` for `layer`. Throws `SpoolError` or `LMDBError` when it cannot be opened.
    init(layer: Layer, directory: String, mapSize: Int) throws {
        switch layer {
        case .engine:
            var options = Engine.Options()
            options.mapSize = mapSize
            let engine = try Engine(directory: directory, options: options)
            self.engine = engine
            store = engine.store
            writer = try engine.requireWriter()
        case .log:
            var options = Store.Options()
            options.mapSize = mapSize
            engine = nil
            store = try Store(directory: directory, options: options)
            writer = try Writer(store: store)
        }
    }

    /// Appends `request` and returns once it is durable. Throws what `Engine.append` throws.
    func append(_ request: AppendRequest) async throws {
        if let engine {
            _ = try await engine.append(request, actor: "bench")
        } else {
            _ = try await writer.append(try request.prepare(actor: "bench"))
        }
    }

    /// Finishes queued writes and stops the writer.
    func close() {
        if let engine {
            engine.close()
        } else {
            writer.stop()
            try? store.environment.sync()
        }
    }
}
